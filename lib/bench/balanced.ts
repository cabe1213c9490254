// Several proxy processes (`node dist/cli.js proxy`) behind HAProxy in round-robin, as
// test/proxy-balancer.test.ts and the balanced REST benchmark (rest-balanced.ts) start them: each
// proxy on its own port, all listed as each other's peers, base_uri pointing at the balancer.
// HAProxy is Debian's package (scripts/setup.sh installs it).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(__dirname, '..', '..');

/** A port free on 127.0.0.1 right now. */
/**
 * A port free now, for a process that binds it later. Taken below Linux's ephemeral range (32768
 * and up): the ports the kernel hands out meanwhile (listeners on port 0, outgoing connections)
 * cannot take it first. CI once saw a proxy's port taken that way (EADDRINUSE).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface ProxyProcess {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export interface Balanced {
  /** The balancer's URL: what clients use. */
  url: string;
  proxies: ProxyProcess[];
  /** The embedded Schema Registry that the first proxy serves and the others use. */
  registryUrl: string;
  /** HAProxy's pid (for its CPU). */
  haproxyPid: number;
  stop(): Promise<void>;
}

/** Starts one proxy process and waits for its "listening" line. */
export async function startProxyProcess(bootstrapServers: string, port: number, properties: string[]): Promise<ProxyProcess> {
  const args = ['dist/cli.js', 'proxy', '--json', '-b', bootstrapServers, '--listeners', `http://127.0.0.1:${port}`, '--pixy-listeners', ''];
  for (const p of properties) args.push('--set', p);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const first = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
    exited.then((code) => Promise.reject(new Error(`proxy on port ${port} exited (${code}) before listening: ${stderr}`))),
  ]);
  return { url: (JSON.parse(first) as { url: string }).url, child, exited };
}

/**
 * `count` proxies behind HAProxy (round-robin, a dead server taken out after one failed check);
 * `extra`: proxy properties for all; `registry`: the first proxy serves a Schema Registry for all.
 */
export async function startBalanced(bootstrapServers: string, count: number, extra: string[] = [], { registry = true } = {}): Promise<Balanced> {
  const ports = [];
  for (let i = 0; i < count + 2; i++) ports.push(await freePort());
  const [lbPort, registryPort, ...proxyPorts] = ports;
  const url = `http://127.0.0.1:${lbPort}`;
  const registryUrl = `http://127.0.0.1:${registryPort}`;
  const peers = proxyPorts.map((p) => `http://127.0.0.1:${p}`);
  const proxies = await Promise.all(
    proxyPorts.map((port, i) =>
      startProxyProcess(bootstrapServers, port, [
        `advertised.listeners=${url}`,
        `peers=${peers.join(',')}`,
        // One registry for all: the first proxy's embedded one.
        ...(registry ? [i === 0 ? `schema.registry.listeners=${registryUrl}` : `schema.registry.url=${registryUrl}`] : []),
        ...extra,
      ]),
    ),
  );
  const dir = mkdtempSync(join(tmpdir(), 'rdkafka-napi-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 2000',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 120s',
      '  timeout server 120s',
      // A request that could not reach a (just killed) proxy goes to another one.
      '  retries 3',
      '  option redispatch 1',
      '  retry-on conn-failure empty-response',
      'frontend rest',
      `  bind 127.0.0.1:${lbPort}`,
      '  default_backend proxies',
      'backend proxies',
      '  balance roundrobin',
      '  option httpchk GET /health',
      '  default-server check inter 500 fall 1 rise 2',
      ...proxyPorts.map((port, i) => `  server proxy${i} 127.0.0.1:${port}`),
      '',
    ].join('\n'),
  );
  const haproxy = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const haproxyExited = new Promise<number | null>((resolve) => haproxy.once('exit', (code) => resolve(code)));
  await waitListening(lbPort, haproxyExited);
  return {
    url,
    proxies,
    registryUrl,
    haproxyPid: haproxy.pid ?? 0,
    async stop() {
      haproxy.kill('SIGTERM');
      for (const p of proxies) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
      await Promise.all([haproxyExited, ...proxies.map((p) => p.exited)]);
    },
  };
}

/** Until HAProxy accepts connections on `port` (it exits at once on a bad configuration). */
async function waitListening(port: number, exited: Promise<number | null>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error('haproxy exited at start');
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
