// Where librdkafka's log lines go: the client's logger (pino's call shape), the default logger,
// or a capi handle's callback, on the JavaScript thread. Never raw to stderr.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { capi, Producer, streamLogger, type LogFields, type LogLine } from '../lib';
import { uniqueTopic } from './helpers';

/** A logger that keeps every call. */
function recordingLogger() {
  const calls: Array<{ level: string; fields: LogFields; message: string }> = [];
  const at = (level: string) => (fields: LogFields, message: string) => calls.push({ level, fields, message });
  return { calls, logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } };
}

/** No broker listens on port 1 of the loopback address. */
const NOBODY = '127.0.0.1:1';

describe("a client's logger", () => {
  it("receives a configuration warning as a warning, with the client's name and librdkafka's facility", async () => {
    const { calls, logger } = recordingLogger();
    const producer = new Producer({ 'bootstrap.servers': NOBODY, 'group.id': 'not-for-producers' }, { logger });
    producer.produce(uniqueTopic(), 'x'); // starts the client, which warns about the consumer property
    await producer.close(0);
    const warning = calls.find((c) => c.fields.facility === 'CONFWARN');
    expect(warning).toMatchObject({ level: 'warn', fields: { client: expect.stringMatching(/^rdkafka#producer-\d+$/) } });
    expect(warning!.message).toMatch(/group\.id.*consumer property/);
  });

  it("gets librdkafka's debug lines at debug level, and connection failures at error level", async () => {
    const { calls, logger } = recordingLogger();
    const producer = new Producer({ 'bootstrap.servers': NOBODY, debug: 'broker', 'message.timeout.ms': 2000 }, { logger });
    await expect(producer.send({ topic: uniqueTopic(), payload: 'x' })).rejects.toMatchObject({ codeName: 'ERR__MSG_TIMED_OUT' });
    await producer.close();
    expect(calls.some((c) => c.level === 'debug' && c.fields.facility === 'BROKER')).toBe(true);
    expect(calls.some((c) => c.level === 'error' && /Connect to ipv4#127\.0\.0\.1:1 failed/.test(c.message))).toBe(true);
  });

  it('gets the lines a client logs while it closes (a producer closed with a message left undelivered)', () => {
    const lines: LogLine[] = [];
    const h = capi.InitKafka();
    capi.SetKafkaConf(h, 'bootstrap.servers', NOBODY);
    capi.SetLogger(h, (batch) => lines.push(...batch));
    expect(capi.Produce(h, uniqueTopic(), 'left behind', null)[0]).toBe(0);
    expect(capi.UninitProducer(h, 100)).toBe(-185); // _TIMED_OUT: not delivered
    const terminate = lines.find(([, facility]) => facility === 'TERMINATE');
    expect(terminate).toBeDefined();
    expect(terminate![0]).toBe(4); // syslog warning
    expect(terminate![2]).toMatch(/Producer terminating with 1 message/);
  });

  it('refuses something that is not a logger, naming the option', () => {
    expect(() => new Producer({}, { logger: { warn() {} } as never })).toThrow(/Expected a logger .* for options\.logger/);
    expect(() => capi.SetLogger(capi.InitKafka(), 'loud' as never)).toThrow(/for callback/);
  });
});

describe('the default logger', () => {
  it('writes one formatted line per warning or error to stderr: no raw librdkafka line, for classes and capi handles alike', () => {
    const script = `
      const { Producer, capi } = require('./dist');
      const producer = new Producer({ 'bootstrap.servers': '${NOBODY}', 'message.timeout.ms': 1500 });
      const h = capi.InitKafka();
      capi.SetKafkaConf(h, 'bootstrap.servers', '${NOBODY}');
      capi.SetKafkaConf(h, 'message.timeout.ms', '1500');
      capi.Produce(h, 'from-capi', 'x', null);
      producer.send({ topic: 'from-class', payload: 'x' }).catch(() => capi.UninitProducerAsync(h)).then(() => producer.close());
    `;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines.filter((line) => /^%\d\|/.test(line))).toEqual([]);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (ERROR|WARN) rdkafka#producer-\d+ [A-Z]+: /);
    expect(lines.some((line) => line.includes('rdkafka#producer-1 ') && line.includes('127.0.0.1:1'))).toBe(true); // the class's client
    expect(lines.some((line) => line.includes('rdkafka#producer-2 ') && line.includes('127.0.0.1:1'))).toBe(true); // the capi handle
  });

  it('can be replaced for every client without a logger of its own; a stream logger filters by level', () => {
    const script = `
      const { Producer, setDefaultLogger, streamLogger } = require('./dist');
      setDefaultLogger(streamLogger('error', process.stdout));
      const producer = new Producer({ 'bootstrap.servers': '${NOBODY}', 'group.id': 'warned-about', 'message.timeout.ms': 1500 });
      producer.send({ topic: 'x', payload: 'x' }).catch(() => producer.close());
    `;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/ ERROR rdkafka#producer-1 FAIL: .*127\.0\.0\.1:1/);
    expect(run.stdout).not.toMatch(/WARN|CONFWARN/); // the configuration warning is below 'error'
  });

  it('a stream logger writes what it is given in one line format', () => {
    const written: string[] = [];
    const logger = streamLogger('debug', { write: (text: string) => written.push(text) });
    logger.info({ client: 'rdkafka#consumer-3', facility: 'CGRPOP' }, 'joined');
    logger.debug({}, 'plain');
    expect(written[0]).toMatch(/^\S+Z INFO rdkafka#consumer-3 CGRPOP: joined\n$/);
    expect(written[1]).toMatch(/^\S+Z DEBUG plain\n$/);
    expect(() => streamLogger('loud' as never)).toThrow(/for level/);
  });
});
