// RDKAFKA_NAPI_ADDON: a process loads the addon file it names (how `npm run test:librdkafka-latest`
// runs the suite on an addon built against another librdkafka), and a wrong path is an error naming it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
// Prints the version and the addon files the process has mapped.
const script = `const { librdkafkaVersion } = require('./dist/index.js');
  const mapped = [...new Set(require('fs').readFileSync('/proc/self/maps', 'utf8').match(/\\/\\S+\\.node$/gm))];
  console.log(JSON.stringify({ version: librdkafkaVersion().text, mapped }));`;

function run(addon: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, RDKAFKA_NAPI_ADDON: addon } });
}

describe('RDKAFKA_NAPI_ADDON', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rdkafka-napi-addon-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the addon at the path it names, wherever that is', () => {
    // The addon this test process runs (build/Release, or the one the variable already names), copied elsewhere.
    const source = process.env.RDKAFKA_NAPI_ADDON || path.join(root, 'build/Release/rdkafka_napi.node');
    const copy = path.join(dir, 'elsewhere.node');
    copyFileSync(source, copy);
    const result = run(copy);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), mapped: [copy] });
  });

  it('a path that does not exist is an ERR_ADDON_MISSING error naming it', () => {
    const missing = path.join(dir, 'no-such-addon.node');
    const result = run(missing);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`RDKAFKA_NAPI_ADDON names ${missing}, which does not exist`);
    expect(result.stderr).toContain('ERR_ADDON_MISSING');
  });
});
