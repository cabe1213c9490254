#!/usr/bin/env node
// Runs a real Schema Registry for tests and benchmarks: Apicurio Registry (its Confluent-compatible
// "ccompat" API), from its distribution on Maven Central, in memory, on a free port of 127.0.0.1.
// Apicurio 3.3.3 needs Java 21 or later; where only an older Java is installed, 2.6.13.Final runs
// on Java 17.
//
//   import { startRegistry } from './scripts/registry/registry.mjs';
//   const registry = await startRegistry();   // registry.url = 'http://127.0.0.1:PORT/apis/ccompat/v7'
//   await registry.stop();
//
//   node scripts/registry/registry.mjs fetch   # download and unpack into the cache
//   node scripts/registry/registry.mjs start   # print url=..., run until ^C
//
// Plain Node ESM, no dependencies. Needs `mvn` and a Java runtime.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE_ROOT = path.join(os.homedir(), '.cache', 'rdkafka-napi');
const HOST = '127.0.0.1';
const MARKER = '.complete';
// Small heap, C1 only, serial GC: starts in 4-8 s with ~200 MB resident.
const JVM_ARGS = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));

/** The Java major version of a `java` binary, or 0 when it does not run. */
function javaMajor(java) {
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr ?? ''}${r.stdout ?? ''}`);
  if (!match) return 0;
  return match[1] === '1' ? Number(match[2]) : Number(match[1]);
}

/** The newest Java on the machine: $JAVA_HOME, `java` on PATH, and the JDKs under /usr/lib/jvm. */
export function findJava() {
  const candidates = [];
  if (process.env.JAVA_HOME) candidates.push(path.join(process.env.JAVA_HOME, 'bin', 'java'));
  candidates.push('java');
  try {
    for (const dir of fs.readdirSync('/usr/lib/jvm')) candidates.push(path.join('/usr/lib/jvm', dir, 'bin', 'java'));
  } catch {}
  let best = { java: 'java', major: 0 };
  for (const java of candidates) {
    const major = javaMajor(java);
    if (major > best.major) best = { java, major };
  }
  if (best.major === 0) throw new Error("No Java runtime found: Apicurio Registry needs one (Debian: apt-get install -y openjdk-17-jre-headless)");
  return best;
}

/** The Apicurio version this machine's Java runs: 3.3.3 on Java 21+, else 2.6.13.Final. */
export function registryVersion(major = findJava().major) {
  return major >= 21 ? '3.3.3' : '2.6.13.Final';
}

function run(cmd, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${cmd} ${args.join(' ')} timed out`)); }, timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error.code === 'ENOENT' ? new Error(`'${cmd}' was not found on PATH (Debian: apt-get install -y maven)`) : error); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

/** Fetches the distribution through Maven once and unpacks it; returns its directory. */
export async function fetchRegistry(version = registryVersion()) {
  const dir = path.join(CACHE_ROOT, `apicurio-registry-${version}`);
  if (fs.existsSync(path.join(dir, MARKER))) return dir;
  const artifact = `io.apicurio:apicurio-registry-app:${version}:tar.gz:all`;
  const got = await run('mvn', ['-q', '-B', 'dependency:get', `-Dartifact=${artifact}`, '-Dtransitive=false'], 15 * 60_000);
  if (got.code !== 0) throw new Error(`mvn dependency:get ${artifact} failed (exit ${got.code}):\n${got.output.slice(-4000)}`);
  const repo = process.env.MAVEN_REPO ?? path.join(os.homedir(), '.m2', 'repository');
  const tarball = path.join(repo, 'io', 'apicurio', 'apicurio-registry-app', version, `apicurio-registry-app-${version}-all.tar.gz`);
  await fsp.mkdir(CACHE_ROOT, { recursive: true });
  // Unpacked into a private directory and renamed into place: never a half-filled cache.
  const tmp = await fsp.mkdtemp(`${dir}.tmp-`);
  try {
    const unpacked = await run('tar', ['-xzf', tarball, '-C', tmp], 5 * 60_000);
    if (unpacked.code !== 0) throw new Error(`unpacking ${tarball} failed:\n${unpacked.output}`);
    await fsp.writeFile(path.join(tmp, MARKER), `${version}\n`);
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.rename(tmp, dir).catch((error) => { if (!fs.existsSync(path.join(dir, MARKER))) throw error; });
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The jar that starts the distribution: quarkus-run.jar (3.x) or *-runner.jar (2.x). */
function launcher(dir) {
  if (fs.existsSync(path.join(dir, 'quarkus-run.jar'))) return path.join(dir, 'quarkus-run.jar');
  const runner = fs.readdirSync(dir).find((f) => f.endsWith('-runner.jar'));
  if (runner) return path.join(dir, runner);
  for (const sub of fs.readdirSync(dir)) {
    const inner = path.join(dir, sub);
    if (fs.statSync(inner).isDirectory() && (fs.existsSync(path.join(inner, 'quarkus-run.jar')) || fs.readdirSync(inner).some((f) => f.endsWith('-runner.jar')))) return launcher(inner);
  }
  throw new Error(`No quarkus-run.jar or *-runner.jar in ${dir}`);
}

/**
 * Starts Apicurio Registry in memory on a free port; resolves once GET /subjects answers 200.
 * Returns { url (the Confluent-compatible base), version, java, stop() }.
 */
export async function startRegistry({ timeoutMs = 120_000 } = {}) {
  const { java, major } = findJava();
  const version = registryVersion(major);
  const dir = await fetchRegistry(version);
  const jar = launcher(dir);
  const port = await freePort();
  const logFile = path.join(os.tmpdir(), `rdkafka-napi-apicurio-${port}.log`);
  const fd = fs.openSync(logFile, 'w');
  const args = [...JVM_ARGS, `-Dquarkus.http.host=${HOST}`, `-Dquarkus.http.port=${port}`,
    `-Dquarkus.management.host=${HOST}`, '-Dquarkus.management.port=0', '-Dquarkus.log.level=WARN', '-jar', jar];
  // setpriv --pdeathsig: the JVM dies with this process even when it is SIGKILLed.
  const child = SETPRIV ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', java, ...args], { stdio: ['ignore', fd, fd], cwd: path.dirname(jar) })
    : spawn(java, args, { stdio: ['ignore', fd, fd], cwd: path.dirname(jar) });
  fs.closeSync(fd);
  let exited = null;
  child.once('exit', (code, signal) => { exited = { code, signal }; });
  const killOnExit = () => { try { child.kill('SIGKILL'); } catch {} };
  process.once('exit', killOnExit);
  const major3 = version.startsWith('3.');
  const url = `http://${HOST}:${port}/apis/ccompat/${major3 ? 'v7' : 'v6'}`;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exited === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    await fsp.rm(logFile, { force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) {
      const log = fs.readFileSync(logFile, 'utf8').slice(-4000);
      throw new Error(`Apicurio Registry ${version} exited (code ${exited.code}, signal ${exited.signal}) before it was ready:\n${log}`);
    }
    const ready = await fetch(`${url}/subjects`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Apicurio Registry ${version} not ready after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, version, java: `${java} (Java ${major})`, pid: child.pid, stop };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  if (command === 'fetch') {
    const dir = await fetchRegistry();
    console.log(dir);
  } else if (command === 'start') {
    const registry = await startRegistry();
    console.log(`url=${registry.url}`);
    console.log(`Apicurio Registry ${registry.version} on ${registry.java}; Ctrl-C stops it`);
    await new Promise((resolve) => process.once('SIGINT', resolve));
    await registry.stop();
  } else {
    console.error('usage: registry.mjs fetch | start');
    process.exit(2);
  }
}
