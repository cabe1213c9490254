#!/usr/bin/env node
// Builds the Go tools of the REST proxy benchmarks into ~/.cache/rdkafka-napi/go-tools: the load
// generator (bench/loadgen in this repo) and the real Kafka-Pixy v0.18.0 (from the Go module
// proxy: `go mod download`, then `go build` in the module; ~40 s to 3 min on 2 cores). Each is
// built once and kept; the load generator under a name with its source's hash, so that worktrees
// or checkouts with different sources never run each other's build.
//
//   import { buildGoTools } from './scripts/bench/go-tools.mjs';
//   const { loadgen, kafkaPixy } = buildGoTools();   // each { path } or { error: 'why not' }
//   node scripts/bench/go-tools.mjs                   # prints that as JSON
//
// Plain Node ESM, no dependencies. Needs `go` on PATH (1.26+: fasthttp 1.78 asks for it; an older go
// fetches that toolchain itself). The load generator's module, fasthttp, comes from the Go module proxy.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LOADGEN_SRC = path.join(HERE, '..', '..', 'bench', 'loadgen');
export const KAFKA_PIXY_VERSION = '0.18.0';
export const GO_TOOLS_DIR = path.join(os.homedir(), '.cache', 'rdkafka-napi', 'go-tools');

/** Runs go; the reason it failed (last lines of its output), or undefined. */
function go(args, options = {}) {
  const r = spawnSync(options.go ?? 'go', args, { encoding: 'utf8', timeout: 15 * 60_000, ...options, env: { ...process.env, ...options.env } });
  if (r.error) return r.error.code === 'ENOENT' ? 'go is not installed (the Go toolchain is needed to build it)' : r.error.message;
  if (r.status !== 0) return `go ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr + r.stdout).trim().split('\n').slice(-5).join(' | ')}`;
  return undefined;
}

/** A short hash of the load generator's source files (main.go, go.mod, go.sum). */
function sourceHash(dir) {
  const hash = createHash('sha256');
  for (const name of fs.readdirSync(dir).sort()) hash.update(name).update(fs.readFileSync(path.join(dir, name)));
  return hash.digest('hex').slice(0, 12);
}

/** The load generator, built when no build of its current source is there. */
export function buildLoadgen(options = {}) {
  const out = path.join(options.dir ?? GO_TOOLS_DIR, `loadgen-${sourceHash(LOADGEN_SRC)}`);
  if (fs.existsSync(out)) return { path: out };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // The tmp name makes the write atomic: a concurrent run never starts a half-written binary.
  const tmp = `${out}.${process.pid}.tmp`;
  const error = go(['build', '-o', tmp, '.'], { ...options, cwd: LOADGEN_SRC });
  if (error !== undefined) return { error: `the load generator could not be built: ${error}` };
  fs.renameSync(tmp, out);
  return { path: out };
}

/** The real Kafka-Pixy, downloaded from the Go module proxy and built once. */
export function buildKafkaPixy(options = {}) {
  const out = path.join(options.dir ?? GO_TOOLS_DIR, `kafka-pixy-${KAFKA_PIXY_VERSION}`);
  if (fs.existsSync(out)) return { path: out };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-pixy-build-'));
  try {
    const module = `github.com/mailgun/kafka-pixy@v${KAFKA_PIXY_VERSION}`;
    const r = spawnSync(options.go ?? 'go', ['mod', 'download', '-json', module], { cwd: work, encoding: 'utf8', timeout: 10 * 60_000, env: { ...process.env, ...options.env } });
    if (r.error || r.status !== 0) {
      const why = r.error?.code === 'ENOENT' ? 'go is not installed (the Go toolchain is needed to build it)' : (r.error?.message ?? (r.stderr + r.stdout).trim().split('\n').slice(-3).join(' | '));
      return { error: `Kafka-Pixy ${KAFKA_PIXY_VERSION} could not be downloaded: ${why}` };
    }
    const { Dir: dir } = JSON.parse(r.stdout);
    // -mod=mod: the module's go.sum predates newer Go's checks; the tmp name makes the write atomic.
    const error = go(['build', '-o', `${out}.tmp`, '.'], { ...options, cwd: dir, env: { ...options.env, GOFLAGS: '-mod=mod' } });
    if (error !== undefined) return { error: `Kafka-Pixy ${KAFKA_PIXY_VERSION} could not be built: ${error}` };
    fs.renameSync(`${out}.tmp`, out);
    return { path: out };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function buildGoTools(options = {}) {
  return { loadgen: buildLoadgen(options), kafkaPixy: buildKafkaPixy(options) };
}

const invokedDirectly = process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) console.log(JSON.stringify(buildGoTools()));
