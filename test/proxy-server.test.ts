// The proxy process: graceful shutdown on SIGTERM, basic auth, TLS; the Kafka-Pixy idle timeout.
import { execFileSync, spawn } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { Admin } from '../lib/admin';
import { DEFAULTS, startProxy } from '../lib/proxy';
import { useRealKafka } from './brokers';
import { uniqueTopic } from './helpers';

const root = join(__dirname, '..');

describe('the proxy process (real broker)', () => {
  const kafka = useRealKafka();
  it('SIGTERM flushes accepted messages, closes consumer instances (they leave their groups) and exits 0', async () => {
    const bootstrap = kafka.bootstrapServers;
    const admin = new Admin({ 'bootstrap.servers': bootstrap });
    const topic = uniqueTopic('sigterm');
    await admin.createTopics({ name: topic, partitions: 1 });
    const child = spawn(process.execPath, ['dist/cli.js', 'proxy', '--json', '-b', bootstrap, '--listeners', 'http://127.0.0.1:0', '--pixy-listeners', 'http://127.0.0.1:0', '--set', 'producer.linger.ms=200'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    const { url, pixyUrl } = JSON.parse(first) as { url: string; pixyUrl: string };
    const group = uniqueTopic('g');
    const created = await (await fetch(`${url}/consumers/${group}`, { method: 'POST', headers: { 'content-type': 'application/vnd.kafka.v2+json' }, body: '{}' })).json() as { base_uri: string };
    const base = created.base_uri as string;
    await fetch(`${base}/subscription`, { method: 'POST', headers: { 'content-type': 'application/vnd.kafka.v2+json' }, body: JSON.stringify({ topics: [topic] }) });
    // Records requests drive the group join; wait until the broker lists the member.
    let members = 0;
    for (let i = 0; i < 30 && members === 0; i++) {
      await fetch(`${base}/records?timeout=1000`, { headers: { accept: 'application/vnd.kafka.binary.v2+json' } });
      members = (await admin.describeGroups(group))[0].members.length;
    }
    expect(members).toBe(1);
    // An async produce is accepted at once; linger 200 ms means it is still queued at SIGTERM.
    expect((await fetch(`${pixyUrl}/topics/${topic}/messages`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'in flight' })).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((await admin.watermarkOffsets(topic, 0)).high).toBe(1); // flushed, not lost
    expect((await admin.describeGroups(group))[0].members).toEqual([]); // left the group
    await admin.close();
  });
});

describe('the proxy process out of file descriptors (real broker)', () => {
  const kafka = useRealKafka();

  /** A connected socket to `url`'s port, and its data as it arrives. */
  function open(url: string): Promise<{ socket: Socket; received: () => string }> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      let data = '';
      const socket = connect(Number(port), hostname, () => resolve({ socket, received: () => data }));
      socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
      socket.on('error', reject);
    });
  }

  async function answered(received: () => string, count: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (received().split('HTTP/1.1 ').length - 1 < count && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return received().split('HTTP/1.1 ').length - 1 >= count;
  }

  it.each([['native front end', true], ['Node', false]] as const)('the Kafka-Pixy listener (%s) out of descriptors neither spins nor stops: open connections are served, and new ones once descriptors are free', async (_name, native) => {
    const bootstrap = kafka.bootstrapServers;
    const admin = new Admin({ 'bootstrap.servers': bootstrap });
    const topic = uniqueTopic('emfile');
    await admin.createTopics({ name: topic, partitions: 1 });
    // 256 descriptors for the whole process, and no connection cap of the proxy's own in the way.
    const command = `ulimit -n 256 && exec "${process.execPath}" dist/cli.js proxy --json -b ${bootstrap} --listeners http://127.0.0.1:0 --pixy-listeners http://127.0.0.1:0 --set http.max.connections=100000 --set pixy.native.front.end=${native}`;
    const child = spawn('bash', ['-c', command], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const sockets: Socket[] = [];
    try {
      const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
      const { pixyUrl } = JSON.parse(first) as { pixyUrl: string };
      const produce = (body: string) => `POST /topics/${topic}/messages?sync HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      const kept = await open(pixyUrl);
      kept.socket.write(produce('before'));
      expect(await answered(kept.received, 1, 30_000)).toBe(true);

      // More connections than descriptors: the kernel completes them, the proxy cannot accept them all.
      for (let i = 0; i < 400; i++) sockets.push((await open(pixyUrl)).socket);
      const cpu = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((sum, ticks) => sum + Number(ticks), 0);
      expect(readdirSync(`/proc/${child.pid}/fd`).length).toBeGreaterThan(250); // out of descriptors
      const before = cpu();
      await new Promise((r) => setTimeout(r, 2000));
      expect(cpu() - before).toBeLessThan(50); // clock ticks (1/100 s): a listener spinning on its error would take the 2 s

      kept.socket.write(produce('during'));
      expect(await answered(kept.received, 2, 30_000)).toBe(true);
      expect(kept.received()).toMatch(/^HTTP\/1.1 200 OK[^]*HTTP\/1.1 200 OK/);

      for (const socket of sockets.splice(0)) socket.destroy();
      // The connection comes once the proxy has closed its side of those: while it is still out of
      // descriptors, Node accepts a new connection only to close it (libuv's EMFILE rule).
      const deadline = performance.now() + 30_000;
      while (readdirSync(`/proc/${child.pid}/fd`).length > 200 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(readdirSync(`/proc/${child.pid}/fd`).length).toBeLessThanOrEqual(200);
      const fresh = await open(pixyUrl);
      fresh.socket.write(produce('after'));
      expect(await answered(fresh.received, 1, 30_000)).toBe(true);
      expect(fresh.received()).toMatch(/^HTTP\/1.1 200 OK/);
      kept.socket.destroy();
      fresh.socket.destroy();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect((await admin.watermarkOffsets(topic, 0)).high).toBe(3);
    } finally {
      for (const socket of sockets) socket.destroy();
      child.kill('SIGKILL');
      await admin.close();
    }
  });
});

describe('security', () => {
  it('with basic.auth.users, a request without the right credentials is 401 (40101)', async () => {
    const proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', basicAuthUsers: ['alice:s3cret'] });
    try {
      const anonymous = await fetch(`${proxy.url}/topics`);
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { error_code: number }).error_code).toBe(40101);
      const wrong = await fetch(`${proxy.url}/`, { headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${proxy.url}/`, { headers: { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` } });
      expect(right.status).toBe(200);
    } finally {
      await proxy.close();
    }
  });

  it('serves HTTPS with the configured key and certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const proxy = await startProxy({ ...DEFAULTS, listeners: 'https://127.0.0.1:0', pixyListeners: '', sslKeyLocation: join(dir, 'key.pem'), sslCertificateLocation: join(dir, 'cert.pem') });
    try {
      expect(proxy.url.startsWith('https://')).toBe(true);
      const body = await new Promise<string>((resolve, reject) => {
        httpsRequest(`${proxy.url}/`, { ca: readFileSync(join(dir, 'cert.pem')), checkServerIdentity: () => undefined }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        })
          .on('error', reject)
          .end();
      });
      expect(JSON.parse(body)).toEqual({});
    } finally {
      await proxy.close();
    }
  });

  it('binds 127.0.0.1 by default', () => {
    expect(new URL(DEFAULTS.listeners).hostname).toBe('127.0.0.1');
    expect(new URL(DEFAULTS.pixyListeners).hostname).toBe('127.0.0.1');
  });
});

describe('start-up', () => {
  const listening = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;

  it('client properties reach librdkafka: a refused value names the property, and the Nagle default can be turned back on', async () => {
    await expect(startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', client: { 'socket.nagle.disable': 'maybe' } })).rejects.toThrow(
      /'socket.nagle.disable'.*true or false/,
    );
    await expect(startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', client: { 'no.such.key': '1' } })).rejects.toThrow(/Unknown configuration property 'no.such.key'/);
    const proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', client: { 'socket.nagle.disable': 'false' } });
    try {
      expect((await fetch(`${proxy.url}/topics`)).status).toBe(200);
    } finally {
      await proxy.close();
    }
  });

  it("logs through the logger it is given: its start, a 5xx answer, and its clients' librdkafka lines", async () => {
    const entries: Array<{ level: string; fields: { [key: string]: unknown }; message: string }> = [];
    const at = (level: string) => (fields: { [key: string]: unknown }, message: string) => entries.push({ level, fields, message });
    const logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
    // Nobody listens on port 1: every Kafka request of the proxy fails.
    const proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', bootstrapServers: '127.0.0.1:1' }, undefined, logger);
    try {
      expect(entries[0]).toMatchObject({ level: 'info', fields: { url: proxy.url, bootstrapServers: '127.0.0.1:1' }, message: expect.stringContaining(`Confluent API on ${proxy.url}`) });
      const reply = await fetch(`${proxy.url}/topics`);
      expect(reply.status).toBeGreaterThanOrEqual(500); // Kafka cannot be reached: the proxy's failure, not the client's
      expect(entries.some((e) => e.level === 'error' && e.fields.url === '/topics' && e.fields.status === reply.status)).toBe(true);
      expect(entries.some((e) => e.level === 'error' && /^rdkafka#producer-\d+$/.test(String(e.fields.client)) && /127\.0\.0\.1:1/.test(e.message))).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('a start that fails half-way (the Pixy port is taken) stops what it had started', async () => {
    const first = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: 'http://127.0.0.1:0' });
    try {
      const before = listening();
      // The Confluent listener starts on a free port, then the Pixy one finds its port in use.
      await expect(startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: first.pixyUrl! })).rejects.toThrow(/EADDRINUSE/);
      // A closed server's handle is released in the close phase of the loop turn it closed in.
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(listening()).toBe(before);
    } finally {
      await first.close();
    }
  });
});

describe('Kafka-Pixy idle timeout', () => {
  it('a long poll longer than the idle timeout keeps its group consumer: 408 after the whole wait, not an error', async () => {
    // Embedded broker; group consumers idle 0.5 s, long polls 2 s.
    const proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: 'http://127.0.0.1:0', pixyIdleTimeoutMs: 500, pixyLongPollTimeoutMs: 2000 });
    try {
      const topic = uniqueTopic('idle');
      const group = uniqueTopic('g');
      const produced = await fetch(`${proxy.pixyUrl}/topics/${topic}/messages?sync`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
      expect(produced.status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const started = performance.now();
        const polled = await fetch(`${proxy.pixyUrl}/topics/${topic}/messages?group=${group}`);
        expect(polled.status, await polled.text()).toBe(408);
        expect(performance.now() - started).toBeGreaterThan(1500);
      }
    } finally {
      await proxy.close();
    }
  });
});
