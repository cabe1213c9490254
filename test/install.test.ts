// The package as a user gets it: `npm pack`, then `npm install` of the tarball into a new project,
// and a produce/consume round trip on the embedded broker in a process of that project. Mount
// namespaces (unshare -m) make a machine without Node's headers, and one without librdkafka.
// Packing runs in a copy of the checkout, so its build/, dist/ and prebuilds/ stay as they are.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.join(__dirname, '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  cwd: string;
  env?: { [name: string]: string };
  /** A shell script run first, in a mount namespace of its own: it hides things with mounts. */
  namespace?: string;
}

// npm's variables from an outer `npm test` would reach the npm commands run here, and
// `npm run test:librdkafka-latest`'s addon and library path would replace what was installed.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'RDKAFKA_NAPI_ADDON' && name !== 'LD_LIBRARY_PATH')) as { [name: string]: string };

function run(command: string, args: string[], options: RunOptions): Promise<Run> {
  let file = command;
  let argv = args;
  if (options.namespace !== undefined) {
    // Root unshares a mount namespace; anyone else maps themselves to root in a user namespace.
    const unshare = process.getuid?.() === 0 ? ['-m'] : ['-r', '-m'];
    file = 'unshare';
    argv = [...unshare, 'sh', '-ec', `${options.namespace}\nexec "$@"`, 'sh', command, ...args];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: options.cwd, env: { ...cleanEnv, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function output(result: Run): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

async function succeed(command: string, args: string[], options: RunOptions): Promise<Run> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed\n${output(result)}`);
  return result;
}

/** What a user's program does with the package: one message there and back. */
const ROUND_TRIP = `
const fs = require('node:fs');
const { MockCluster, Producer, Consumer, librdkafkaVersion } = require('rdkafka-napi');
(async () => {
  const cluster = new MockCluster({ brokers: 1 });
  cluster.createTopic('installed', 1);
  const producer = new Producer({ 'bootstrap.servers': cluster.bootstrapServers });
  await producer.send({ topic: 'installed', key: 'red', payload: 'from the installed package' });
  await producer.close();
  const consumer = new Consumer(
    { 'bootstrap.servers': cluster.bootstrapServers, 'group.id': 'installed', 'auto.offset.reset': 'earliest' },
    ['installed'],
  );
  let received;
  for await (const record of consumer) {
    received = { key: record.keyString(), value: record.value() };
    break;
  }
  await consumer.close();
  cluster.close();
  // The addon file this process really mapped.
  const addon = /\\s(\\/\\S+\\.node)$/m.exec(fs.readFileSync('/proc/self/maps', 'utf8'))[1];
  console.log(JSON.stringify({ received, librdkafka: librdkafkaVersion(), addon }));
})();
`;

interface RoundTrip {
  received: { key: string; value: string };
  librdkafka: { hex: number; text: string; features: string[] };
  addon: string;
}

// Directories where Node keeps its headers for node-gyp: Debian's, and an official build's.
const nodeHeaderDirs = [...new Set(['/usr/include/node', path.resolve(path.dirname(fs.realpathSync(process.execPath)), '..', 'include', 'node')])];

describe('installing the packed package', () => {
  let work: string;
  let tarball: string;
  let projects = 0;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rdkafka-napi-install-'));
    // The checkout's files as git sees them (tracked, and new ones not ignored), as a fresh clone has them.
    const listed = await succeed('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo });
    const source = path.join(work, 'source');
    for (const file of listed.stdout.split('\0').filter((name) => name !== '' && fs.existsSync(path.join(repo, name)))) {
      fs.cpSync(path.join(repo, file), path.join(source, file));
    }
    fs.symlinkSync(path.join(repo, 'node_modules'), path.join(source, 'node_modules'), 'dir');
    // prepack builds the prebuilt binary and dist/.
    const packed = await succeed('npm', ['pack', '--pack-destination', work, '--loglevel=error'], { cwd: source });
    tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
    await fs.promises.rm(source, { recursive: true, force: true });
  }, 600_000);

  // Removed asynchronously: the installed projects are large, and a synchronous removal on a loaded
  // machine blocked the test worker long enough for vitest's own RPC to time out.
  afterAll(async () => {
    if (work !== undefined) await fs.promises.rm(work, { recursive: true, force: true });
  }, 600_000);

  /** A new project of a user's, with the round-trip program in it. */
  function newProject(): string {
    const dir = path.join(work, `project-${++projects}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `app-${projects}`, version: '1.0.0', private: true }));
    fs.writeFileSync(path.join(dir, 'round-trip.js'), ROUND_TRIP);
    return dir;
  }

  /** npm install of the tarball, from the registry's packages in npm's cache where it can. */
  function install(project: string, flags: string[], options: Omit<RunOptions, 'cwd'> = {}): Promise<Run> {
    return run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...flags, tarball], { cwd: project, ...options });
  }

  async function roundTrip(project: string, options: Omit<RunOptions, 'cwd'> = {}): Promise<RoundTrip> {
    const result = await succeed(process.execPath, ['round-trip.js'], { cwd: project, ...options });
    return JSON.parse(result.stdout.trim().split('\n').pop()!) as RoundTrip;
  }

  const installed = (project: string, ...parts: string[]) => path.join(project, 'node_modules', 'rdkafka-napi', ...parts);
  const prebuilt = (project: string) => installed(project, 'prebuilds', `${process.platform}-${process.arch}`, 'rdkafka-napi.glibc.node');

  /** A mount namespace where Node's headers are empty directories, checked before anything runs. */
  function withoutNodeHeaders(): string {
    const empty = fs.mkdtempSync(path.join(work, 'empty-'));
    const mounts = nodeHeaderDirs.map((dir) => `if [ -d '${dir}' ]; then mount --bind '${empty}' '${dir}'; fi`);
    const checks = nodeHeaderDirs.map((dir) => `if [ -e '${dir}/node_api.h' ]; then echo 'Node headers still visible in ${dir}' >&2; exit 99; fi`);
    return [...mounts, ...checks].join('\n');
  }

  it('installed with --ignore-scripts, the prebuilt binary produces and consumes on the embedded broker', async () => {
    const project = newProject();
    const result = await install(project, ['--ignore-scripts']);
    expect(result.code, output(result)).toBe(0);
    const trip = await roundTrip(project);
    expect(trip.received).toEqual({ key: 'red', value: 'from the installed package' });
    expect(trip.addon).toBe(prebuilt(project));
    expect(fs.existsSync(installed(project, 'build'))).toBe(false);
    expect(trip.librdkafka.hex).toBeGreaterThanOrEqual(0x020002ff);
    // Every librdkafka build has gzip; which others there are depends on how it was built.
    expect(trip.librdkafka.features).toContain('gzip');
  }, 180_000);

  it("installed on a machine without Node's headers, the install script keeps the prebuilt binary", async () => {
    const project = newProject();
    const namespace = withoutNodeHeaders();
    const result = await install(project, [], { namespace });
    expect(result.code, output(result)).toBe(0);
    const trip = await roundTrip(project, { namespace });
    expect(trip.received).toEqual({ key: 'red', value: 'from the installed package' });
    expect(trip.addon).toBe(prebuilt(project));
    expect(fs.existsSync(installed(project, 'build'))).toBe(false);
  }, 180_000);

  it("where no prebuilt binary fits, the install script builds the addon with cmake-js, without Node's headers", async () => {
    const project = newProject();
    const namespace = withoutNodeHeaders();
    // node-gyp-build's LIBC names the C library it matches binaries to: the package ships a glibc one only.
    const env = { LIBC: 'musl' };
    const result = await install(project, ['--foreground-scripts'], { namespace, env });
    expect(result.code, output(result)).toBe(0);
    expect(result.stderr).toContain('building the addon from source with cmake-js');
    const trip = await roundTrip(project, { namespace, env });
    expect(trip.received).toEqual({ key: 'red', value: 'from the installed package' });
    expect(trip.addon).toBe(installed(project, 'build', 'Release', 'rdkafka_napi.node'));
  }, 300_000);

  it('installed with --ignore-scripts where no prebuilt binary fits, loading says how to build the addon', async () => {
    const project = newProject();
    const env = { LIBC: 'musl' };
    expect((await install(project, ['--ignore-scripts'], { env })).code).toBe(0);
    const result = await run(process.execPath, ['-e', "require('rdkafka-napi')"], { cwd: project, env });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`rdkafka-napi has no native addon for ${process.platform}-${process.arch}`);
    expect(result.stderr).toContain('npm rebuild rdkafka-napi');
    expect(result.stderr).toContain("code: 'ERR_ADDON_MISSING'");
  }, 180_000);

  describe('librdkafka', () => {
    const installHints = ['apt-get install librdkafka1', 'librdkafka-dev', 'dnf install librdkafka', 'apk add librdkafka', 'brew install librdkafka'];

    /** A mount namespace where the library directories librdkafka is in no longer show it (overlay whiteouts). */
    async function withoutLibrdkafka(): Promise<string> {
      const cache = await succeed('ldconfig', ['-p'], { cwd: work });
      const dirs = new Set(cache.stdout.split('\n').flatMap((line) => {
        const found = /^\s*librdkafka\.so\.1 .*=> (\S+)$/.exec(line)?.[1];
        return found === undefined ? [] : [path.dirname(fs.realpathSync(found))];
      }));
      expect(dirs.size, 'librdkafka.so.1 in the loader cache').toBeGreaterThan(0);
      const layers = fs.mkdtempSync(path.join(work, 'layers-'));
      return [...dirs].map((dir, i) => [
        `mkdir -p '${layers}/${i}' && mount -t tmpfs tmpfs '${layers}/${i}' && mkdir '${layers}/${i}/upper' '${layers}/${i}/work'`,
        `for f in '${dir}'/librdkafka*; do mknod "${layers}/${i}/upper/$(basename "$f")" c 0 0; done`,
        `mount -t overlay overlay -o 'lowerdir=${dir},upperdir=${layers}/${i}/upper,workdir=${layers}/${i}/work' '${dir}'`,
        `if [ -e '${dir}/librdkafka.so.1' ]; then echo 'librdkafka still visible in ${dir}' >&2; exit 99; fi`,
      ].join('\n')).join('\n');
    }

    it('missing: loading names what is missing and how to install it, and npm install stops with the same words', async () => {
      const namespace = await withoutLibrdkafka();
      const project = newProject();
      expect((await install(project, ['--ignore-scripts'])).code).toBe(0);
      const loaded = await run(process.execPath, ['-e', "require('rdkafka-napi')"], { cwd: project, namespace });
      expect(loaded.code).not.toBe(0);
      expect(loaded.stderr).toContain('rdkafka-napi needs librdkafka 2.0.2 or newer, and the system has none');
      expect(loaded.stderr).toContain('librdkafka.so.1: cannot open shared object file');
      expect(loaded.stderr).toContain("code: 'ERR_LIBRDKAFKA_MISSING'");
      for (const hint of installHints) expect(loaded.stderr).toContain(hint);

      const withScripts = await install(newProject(), [], { namespace });
      expect(withScripts.code, output(withScripts)).not.toBe(0);
      expect(withScripts.stderr).toContain('rdkafka-napi needs librdkafka 2.0.2 or newer, and the system has none');
      for (const hint of installHints) expect(withScripts.stderr).toContain(hint);
    }, 180_000);

    /** A librdkafka.so.1 that says it is 1.9.2: `symbols` are the functions it has besides the version. */
    async function oldLibrdkafka(symbols: string[]): Promise<string> {
      const dir = fs.mkdtempSync(path.join(work, 'librdkafka-1.9.2-'));
      // What the version check calls, with 1.9.2's answers; the rest do nothing.
      const versionCheck = [
        'int rd_kafka_version(void) { return 0x010902ff; }',
        'const char *rd_kafka_version_str(void) { return "1.9.2"; }',
        'static int conf; void *rd_kafka_conf_new(void) { return &conf; }',
        'int rd_kafka_conf_get(const void *conf, const char *name, char *dest, unsigned long *size) { return -2; }',
        'void rd_kafka_conf_destroy(void *conf) {}',
      ];
      const defined = new Set(versionCheck.map((line) => /(rd_kafka_\w+)\(/.exec(line)![1]));
      const source = [...versionCheck, ...symbols.filter((name) => !defined.has(name)).map((name) => `void ${name}(void) {}`)].join('\n');
      fs.writeFileSync(path.join(dir, 'librdkafka.c'), source);
      await succeed('cc', ['-shared', '-fPIC', '-Wl,-soname,librdkafka.so.1', '-o', 'librdkafka.so.1', 'librdkafka.c'], { cwd: dir });
      return dir;
    }

    it('older than 2.0.2: loading names the version found, where it is, and how to install a newer one', async () => {
      const project = newProject();
      expect((await install(project, ['--ignore-scripts'])).code).toBe(0);
      // Every librdkafka function the addon calls exists, so it loads and asks for the version.
      const undefinedSymbols = await succeed('nm', ['-D', '--undefined-only', prebuilt(project)], { cwd: work });
      const used = undefinedSymbols.stdout.split('\n').map((line) => line.trim().split(/\s+/).pop()!).filter((name) => /^rd_kafka_\w+$/.test(name));
      expect(used).toContain('rd_kafka_new');
      const old = await oldLibrdkafka(used);
      const loaded = await run(process.execPath, ['-e', "require('rdkafka-napi')"], { cwd: project, env: { LD_LIBRARY_PATH: old } });
      expect(loaded.code).not.toBe(0);
      expect(loaded.stderr).toContain(`rdkafka-napi needs librdkafka 2.0.2 or newer, and found librdkafka 1.9.2 (${old}/librdkafka.so.1)`);
      expect(loaded.stderr).toContain("code: 'ERR_LIBRDKAFKA_TOO_OLD'");
      for (const hint of installHints) expect(loaded.stderr).toContain(hint);
    }, 180_000);

    it('lacking functions the addon needs: loading says the librdkafka found is older than 2.0.2', async () => {
      const project = newProject();
      expect((await install(project, ['--ignore-scripts'])).code).toBe(0);
      const old = await oldLibrdkafka([]);
      const loaded = await run(process.execPath, ['-e', "require('rdkafka-napi')"], { cwd: project, env: { LD_LIBRARY_PATH: old } });
      expect(loaded.code).not.toBe(0);
      expect(loaded.stderr).toMatch(/rdkafka-napi needs librdkafka 2\.0\.2 or newer; the librdkafka found lacks rd_kafka_\w+, so it is older/);
      expect(loaded.stderr).toContain("code: 'ERR_LIBRDKAFKA_TOO_OLD'");
      for (const hint of installHints) expect(loaded.stderr).toContain(hint);
    }, 180_000);
  });
});
