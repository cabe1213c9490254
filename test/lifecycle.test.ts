// Lifetimes: closing frees, dropping is cleaned up, and the package loads both ways.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, Producer, type MockCluster } from '../lib';
import { consumerConfig, startMock, uniqueTopic } from './helpers';

let mock: MockCluster;
beforeAll(() => {
  mock = startMock(1);
  mock.createTopic('lifecycle', 1);
});
afterAll(() => mock.close());

function rssMiB(): number {
  global.gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

describe('no leaks', () => {
  it('creating and closing 1,000 producers and 1,000 consumers keeps memory bounded', async () => {
    const cycle = async (n: number) => {
      for (let i = 0; i < n; i += 10) {
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            const p = new Producer({ 'bootstrap.servers': mock.bootstrapServers, 'linger.ms': 0 });
            await p.send({ topic: 'lifecycle', payload: Buffer.alloc(1000) });
            await p.close();
            const c = new Consumer(consumerConfig(mock.bootstrapServers, uniqueTopic('leak')), ['lifecycle']);
            await c.consumeRecord(0);
            await c.close();
          }),
        );
      }
    };
    await cycle(100); // warm-up: allocator arenas, librdkafka's one-time state
    const before = rssMiB();
    await cycle(1000);
    const after = rssMiB();
    console.log(`RSS after warm-up ${before.toFixed(1)} MiB, after 1,000 producers + 1,000 consumers ${after.toFixed(1)} MiB (+${(after - before).toFixed(1)} MiB)`);
    // A leak of even one config or client per cycle would show as tens of MiB here.
    expect(after - before).toBeLessThan(40);
  }, 600_000);
});

describe('loading', () => {
  const root = path.join(__dirname, '..');
  it('require() and import give the same working API', () => {
    const script = `
      const cjs = require('./dist/index.js');
      import('./dist/index.mjs').then((esm) => {
        const same = esm.Producer === cjs.Producer && esm.capi === cjs.capi && esm.default === cjs;
        console.log(JSON.stringify({ same, version: cjs.librdkafkaVersion().text }));
      });`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
    const result = JSON.parse(out.trim());
    expect(result.same).toBe(true);
    expect(result.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a worker thread can load and unload the addon repeatedly with open clients', () => {
    const script = `
      const { Worker } = require('node:worker_threads');
      let done = 0;
      const run = () => new Promise((resolve, reject) => {
        const w = new Worker(\`
          const { Producer } = require(\${JSON.stringify(process.cwd() + '/dist/index.js')});
          const p = new Producer({ 'bootstrap.servers': '${mock.bootstrapServers}' });
          p.produce('lifecycle', 'from a worker');
          require('node:worker_threads').parentPort.postMessage('ok');
        \`, { eval: true });
        w.on('message', () => w.terminate().then(resolve));
        w.on('error', reject);
      });
      (async () => { for (let i = 0; i < 5; i++) { await run(); done++; } console.log(done); })();`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe('5');
  });

  it('a worker terminated in the middle of native calls that raise errors does not take the process down', () => {
    // Termination can land inside a native call: the error it raises then cannot reach
    // JavaScript, and must be dropped rather than end the process.
    const script = `
      const { Worker } = require('node:worker_threads');
      let done = 0;
      const run = (i) => new Promise((resolve, reject) => {
        const w = new Worker(\`
          const { capi } = require(\${JSON.stringify(process.cwd() + '/dist/index.js')});
          const h = capi.InitKafka();
          require('node:worker_threads').parentPort.postMessage('busy');
          for (;;) {
            try { capi.SetKafkaConf(h, 'no.such.key', 'x'); capi.SetKafkaConf(7, 'a', 'b'); } catch {}
          }
        \`, { eval: true });
        w.on('message', () => setTimeout(() => w.terminate().then(resolve), 5 + (i % 10)));
        w.on('error', reject);
      });
      (async () => { for (let i = 0; i < 20; i++) { await run(i); done++; } console.log(done); })();`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe('20');
  });
});
