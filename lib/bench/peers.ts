// The peer Node clients, each installed by npm into a folder of its own under bench/peers/
// (one failing to build must not take the others down). The native ones are built from source
// against the system librdkafka. Outcomes are kept in bench/peers/status.json, so a driver that
// could not be installed is reported as skipped with the installer's own words.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { capi } from '../index';

export interface Peer {
  /** Folder under bench/peers/ (holds the package.json that pins the version). */
  dir: string;
  /** The npm package the driver loads. */
  module: string;
  /** Environment for `npm install`. */
  env: { [key: string]: string };
}

const SYSTEM_LIBRDKAFKA = {
  BUILD_LIBRDKAFKA: '0', // link -lrdkafka from the system instead of the bundled copy
  CKJS_LINKING: 'dynamic',
  npm_config_nodedir: '/usr', // Node's headers, as for the addon
  npm_config_build_from_source: 'true', // node-pre-gyp: no prebuilt binary download
};

/**
 * The librdkafka copy inside the package, built from its sources (nothing is downloaded) as a
 * shared library beside the addon. Not the system librdkafka, so its figures are for reading
 * beside the others, not for the goal's "same librdkafka" comparison.
 */
const BUNDLED_LIBRDKAFKA = {
  CKJS_LINKING: 'dynamic', // configure against the system's compression and TLS libraries (a static build downloads them)
  npm_config_nodedir: '/usr',
  npm_config_build_from_source: 'true',
};

export const PEERS: Peer[] = [
  { dir: 'node-rdkafka', module: 'node-rdkafka', env: SYSTEM_LIBRDKAFKA },
  { dir: 'confluent-kafka-javascript', module: '@confluentinc/kafka-javascript', env: SYSTEM_LIBRDKAFKA },
  { dir: 'confluent-kafka-javascript-bundled', module: '@confluentinc/kafka-javascript', env: BUNDLED_LIBRDKAFKA },
  { dir: 'kafkajs', module: 'kafkajs', env: {} },
];

export interface PeerStatus {
  ok: boolean;
  version?: string;
  /** Why it is not usable (the build's first error lines). */
  reason?: string;
  installedAt: string;
}

export function peersDir(root: string): string {
  return path.join(root, 'bench', 'peers');
}

function statusFile(root: string): string {
  return path.join(peersDir(root), 'status.json');
}

export function readPeerStatus(root: string): { [dir: string]: PeerStatus } {
  try {
    return JSON.parse(fs.readFileSync(statusFile(root), 'utf8')) as { [dir: string]: PeerStatus };
  } catch {
    return {};
  }
}

/** The installed version of a peer's module, or undefined when it does not load. */
export function peerVersion(root: string, peer: Peer): string | undefined {
  try {
    const require = createRequire(path.join(peersDir(root), peer.dir, 'package.json'));
    require(peer.module); // loads the native part too: an unlinkable build is not installed
    const pkg = require(`${peer.module}/package.json`) as { version: string };
    return pkg.version;
  } catch {
    return undefined;
  }
}

/** Why a peer cannot run here, or undefined when it can. */
export function peerUnavailable(root: string, dir: string): string | undefined {
  const peer = PEERS.find((p) => p.dir === dir);
  if (peer === undefined) return `unknown peer ${dir}`;
  if (peerVersion(root, peer) !== undefined) return undefined;
  const status = readPeerStatus(root)[dir];
  if (status && !status.ok && status.reason) return status.reason;
  return `${peer.module} is not installed (npm run bench -- --install-peers)`;
}

/** Installs every peer (or the ones named), one npm install each; resolves to their status. */
export async function installPeers(root: string, log: (line: string) => void, only?: string[]): Promise<{ [dir: string]: PeerStatus }> {
  const statuses = readPeerStatus(root);
  for (const peer of PEERS) {
    if (only && !only.includes(peer.dir)) continue;
    const cwd = path.join(peersDir(root), peer.dir);
    log(`installing ${peer.module} into bench/peers/${peer.dir} ...`);
    const started = Date.now();
    const { code, output } = await npmInstall(cwd, peer.env);
    const version = code === 0 ? peerVersion(root, peer) : undefined;
    statuses[peer.dir] =
      version !== undefined
        ? { ok: true, version, installedAt: new Date().toISOString() }
        : { ok: false, reason: installFailure(peer, output), installedAt: new Date().toISOString() };
    const status = statuses[peer.dir];
    log(status.ok ? `  ${peer.module} ${status.version} ready (${((Date.now() - started) / 1000).toFixed(0)} s)` : `  ${peer.module} not usable: ${status.reason}`);
    fs.writeFileSync(statusFile(root), `${JSON.stringify(statuses, null, 2)}\n`);
  }
  return statuses;
}

function npmInstall(cwd: string, env: { [key: string]: string }): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--foreground-scripts'], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', (error) => resolve({ code: 1, output: error.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** The install's failure in a sentence: the compiler's errors when there are some. */
function installFailure(peer: Peer, output: string): string {
  const compileErrors = [...output.matchAll(/error: ([^\n]+)/g)].map((m) => m[1].trim());
  // gcc quotes names as ‘name’ (or 'name' in the C locale): the librdkafka names it cannot find.
  const missing = [
    ...new Set(
      compileErrors
        .filter((e) => /not declared|does not name a type|has no member|was not declared/.test(e))
        .map((e) => /[‘'](rd_kafka_\w+)[’']/.exec(e)?.[1])
        .filter((name): name is string => name !== undefined),
    ),
  ];
  if (missing.length > 0) {
    const system = peer.env.BUILD_LIBRDKAFKA === '0' ? `the system librdkafka ${capi.Version()[1]}` : 'librdkafka';
    return `does not compile against ${system}: it uses ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}, which that librdkafka does not have`;
  }
  if (compileErrors.length > 0) return `does not compile: ${compileErrors.slice(0, 3).join(' | ')}`;
  const lines = output.trim().split('\n').filter((line) => /err/i.test(line));
  return `npm install failed: ${(lines.slice(-3).join(' | ') || output.trim().split('\n').slice(-3).join(' | ')).slice(0, 400)}`;
}
