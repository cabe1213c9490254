// Secured clusters: every security.protocol and SASL mechanism through Producer, Consumer, Admin
// and the C-style API, the OAUTHBEARER provider, ACLs, and the failures a user meets (a wrong
// password, a refused token or certificate, a denied topic or group), against a real Kafka
// broker with TLS, SASL and ACLs on.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, capi, Consumer, KafkaError, Producer, getDefaultLogger, setDefaultLogger, silentLogger, type AclBinding, type Config, type OAuthBearerToken } from '../lib';
import { main, type CliIo } from '../lib/cli';
import { applyProperties, DEFAULTS, startProxy } from '../lib/proxy';
import { consumeCount } from './helpers';
import { httpRequest } from './http';
import { oauthConfig, saslConfig, sslConfig, unsecuredJwt, useSecuredKafka } from './secured';

const kafka = useSecuredKafka();
const id = () => randomUUID().slice(0, 8);

/** The super user's admin client, over SCRAM-SHA-512. */
let admin: Admin;

/** What alice may do: everything on topics and groups whose names start with 'sec-'. */
function aliceAcls(): AclBinding[] {
  return [
    ...(['read', 'write', 'describe', 'create'] as const).map((operation): AclBinding => ({ resourceType: 'topic', resourceName: 'sec-', patternType: 'prefixed', principal: 'User:alice', operation })),
    { resourceType: 'group', resourceName: 'sec-', patternType: 'prefixed', principal: 'User:alice', operation: 'read' },
  ];
}

beforeAll(async () => {
  admin = new Admin(saslConfig(kafka, 'SCRAM-SHA-512', 'admin'));
  await admin.createAcls(aliceAcls());
}, 60_000);

afterAll(async () => {
  await admin?.close();
});

/** A round trip as alice: three records sent, read back by a group, the topic in the metadata. */
async function roundTrip(config: Config, options: { oauthBearerProvider?: () => Promise<OAuthBearerToken> } = {}): Promise<void> {
  const topic = `sec-${id()}`;
  await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
  const producer = new Producer(config, options);
  const consumer = new Consumer({ ...config, 'group.id': `sec-${id()}`, 'auto.offset.reset': 'earliest' }, topic, options);
  const aliceAdmin = new Admin(config, options);
  try {
    for (const value of ['a', 'b', 'c']) await producer.send({ topic, payload: value });
    const records = await consumeCount(consumer, 3);
    expect(records.map((r) => r.value())).toEqual(['a', 'b', 'c']);
    const metadata = await aliceAdmin.metadata({ topics: [topic] });
    expect(metadata.topics.map((t) => [t.name, t.error])).toEqual([[topic, 0]]);
  } finally {
    await Promise.all([producer.close(), consumer.close(), aliceAdmin.close()]);
  }
}

describe('every way of logging in works for Producer, Consumer and Admin', () => {
  it('SSL with a PEM client certificate (CN=alice is User:alice)', async () => {
    await roundTrip(sslConfig(kafka, 'alice'));
  });

  it('SSL with a PKCS#12 key store', async () => {
    await roundTrip({
      'bootstrap.servers': kafka.ssl,
      'security.protocol': 'SSL',
      'ssl.ca.location': `${kafka.certDir}/ca.pem`,
      'ssl.keystore.location': `${kafka.certDir}/alice.p12`,
      'ssl.keystore.password': kafka.users.alice,
    });
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'] as const)('SASL_SSL with %s', async (mechanism) => {
    await roundTrip(saslConfig(kafka, mechanism, 'alice'));
  });

  it('SASL_SSL with OAUTHBEARER tokens from an async JavaScript provider', async () => {
    const asked: string[] = [];
    await roundTrip(oauthConfig(kafka, { 'sasl.oauthbearer.config': 'scope=kafka' }), {
      oauthBearerProvider: async (config?: string) => {
        asked.push(config ?? '');
        await new Promise((resolve) => setTimeout(resolve, 10));
        return { value: unsecuredJwt('alice'), lifetime: Date.now() + 3_600_000, principal: 'alice', extensions: { traceId: 'x1' } };
      },
    } as { oauthBearerProvider: () => Promise<OAuthBearerToken> });
    // One request per client (producer, consumer, admin), each given sasl.oauthbearer.config.
    expect(asked.length).toBeGreaterThanOrEqual(3);
    expect(new Set(asked)).toEqual(new Set(['scope=kafka']));
  });

  it('SASL_SSL with OAUTHBEARER: lifetime and principal default to the JWT claims', async () => {
    await roundTrip(oauthConfig(kafka), { oauthBearerProvider: async () => ({ value: unsecuredJwt('alice') }) });
  });

  it("SASL_SSL with OAUTHBEARER: librdkafka's own unsecured JWT (no provider)", async () => {
    await roundTrip(oauthConfig(kafka, { 'enable.sasl.oauthbearer.unsecure.jwt': true, 'sasl.oauthbearer.config': 'principal=alice' }));
  });

  it('the C-style API takes the same properties: a SCRAM producer handle delivers and reads metadata', async () => {
    const topic = `sec-${id()}`;
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    const h = capi.InitKafka();
    for (const [key, value] of Object.entries(saslConfig(kafka, 'SCRAM-SHA-256', 'alice') as { [key: string]: string })) {
      expect(capi.SetKafkaConf(h, key, value)).toEqual([0, '']);
    }
    try {
      const [code, msgid] = capi.Produce(h, topic, 'capi', null);
      expect(code).toBe(0);
      const report = await new Promise<[number[], number[]]>((resolve) => {
        const take = () => {
          const [ids, errors] = capi.DeliveryReport(h, 10);
          if (ids.length > 0) {
            capi.SetWakeup(h, null);
            resolve([ids, errors]);
          }
        };
        capi.SetWakeup(h, take);
        take();
      });
      expect(report).toEqual([[msgid], [0]]);
      const metadata = await capi.Metadata(h, [topic]);
      expect(metadata[0]).toBe(0);
    } finally {
      await capi.UninitProducerAsync(h, 5000);
    }
  });
});

describe('the C-style token functions', () => {
  it('SetOAuthBearerRefresh asks JavaScript; OAuthBearerSetToken answers; a handle then reads metadata', async () => {
    const h = capi.InitKafka();
    for (const [key, value] of Object.entries(oauthConfig(kafka, { 'sasl.oauthbearer.config': 'who=alice' }) as { [key: string]: string })) {
      expect(capi.SetKafkaConf(h, key, value)).toEqual([0, '']);
    }
    const asked: string[] = [];
    capi.SetOAuthBearerRefresh(h, (config) => {
      asked.push(config);
      expect(capi.OAuthBearerSetToken(h, unsecuredJwt('alice'), Date.now() + 600_000, 'alice', ['traceId', 't1'])).toEqual([0, '']);
    });
    try {
      const metadata = await capi.Metadata(h, null, 30_000);
      expect(metadata[0]).toBe(0);
      expect(asked).toEqual(['who=alice']);
      // librdkafka's own checks: an expired lifetime is refused with its reason.
      const [code, message] = capi.OAuthBearerSetToken(h, unsecuredJwt('alice'), Date.now() - 1000, 'alice');
      expect(code).toBe(-186);
      expect(message).toMatch(/expired|lifetime/i);
      expect(() => capi.SetOAuthBearerRefresh(h, () => undefined)).toThrow(/before the client starts/);
    } finally {
      await capi.UninitProducerAsync(h, 0);
    }
    // After close: a clear code, no crash.
    expect(capi.OAuthBearerSetTokenFailure(h, 'late')).toBe(-172);
  });

  it('OAuthBearerSetTokenFailure: the reason reaches the client errors as _AUTHENTICATION', async () => {
    const h = capi.InitKafka();
    for (const [key, value] of Object.entries(oauthConfig(kafka) as { [key: string]: string })) capi.SetKafkaConf(h, key, value);
    capi.SetOAuthBearerRefresh(h, () => expect(capi.OAuthBearerSetTokenFailure(h, 'no token today')).toBe(0));
    try {
      const [code, message] = (await capi.Metadata(h, null, 120_000)) as [number, string];
      expect(code).toBe(-169);
      expect(message).toMatch(/no token today/);
    } finally {
      await capi.UninitProducerAsync(h, 0);
    }
  });
});

describe('ACLs', () => {
  it('are created, described and deleted through Admin, in kafka-acls.sh terms', async () => {
    const principal = `User:carol-${id()}`;
    await admin.createAcls([
      { resourceType: 'topic', resourceName: 'carol-topic', principal, operation: 'write' },
      { resourceType: 'group', resourceName: 'carol-', patternType: 'prefixed', principal, host: '127.0.0.1', operation: 'read', permission: 'deny' },
    ]);
    const found = await admin.describeAcls({ principal });
    expect(found.sort((a, b) => a.resourceType.localeCompare(b.resourceType))).toEqual([
      { resourceType: 'group', resourceName: 'carol-', patternType: 'prefixed', principal, host: '127.0.0.1', operation: 'read', permission: 'deny' },
      { resourceType: 'topic', resourceName: 'carol-topic', patternType: 'literal', principal, host: '*', operation: 'write', permission: 'allow' },
    ]);
    const deleted = await admin.deleteAcls({ principal, resourceType: 'topic' });
    expect(deleted.map((b) => b.resourceName)).toEqual(['carol-topic']);
    expect((await admin.describeAcls({ principal })).map((b) => b.resourceName)).toEqual(['carol-']);
    await admin.deleteAcls({ principal });
    expect(await admin.describeAcls({ principal })).toEqual([]);
  });

  it('a "match" filter finds the ACLs that apply to a name', async () => {
    const found = await admin.describeAcls({ resourceType: 'topic', resourceName: 'sec-anything', patternType: 'match', principal: 'User:alice' });
    expect(found.map((b) => b.operation).sort()).toEqual(['create', 'describe', 'read', 'write']);
  });

  it('the C-style functions take and give the numeric tuples', async () => {
    const h = capi.InitKafka();
    for (const [key, value] of Object.entries(saslConfig(kafka, 'PLAIN', 'admin') as { [key: string]: string })) capi.SetKafkaConf(h, key, value);
    const principal = `User:dave-${id()}`;
    try {
      // topic 2, literal 3, write 4, allow 3
      expect(await capi.CreateAcls(h, [[2, 'dave', 3, principal, '*', 4, 3]])).toEqual([[0, '']]);
      expect(await capi.DescribeAcls(h, [1, null, 1, principal, null, 1, 1])).toEqual([0, [[2, 'dave', 3, principal, '*', 4, 3]]]);
      expect(await capi.DeleteAcls(h, [[1, null, 1, principal, null, 1, 1]])).toEqual([[0, '', [[2, 'dave', 3, principal, '*', 4, 3]]]]);
    } finally {
      await capi.UninitProducerAsync(h, 0);
    }
  });

  it('a binding librdkafka would refuse, or a wrong value, is an error naming it; nothing is sent', async () => {
    await expect(admin.createAcls({ resourceType: 'topic', resourceName: 't', principal: 'User:x', operation: 'any' as 'read' })).rejects.toThrow(
      /Expected one of 'all', 'read', .* for binding.operation but received 'any'/,
    );
    await expect(admin.describeAcls({ resourceType: 'queue' as 'topic' })).rejects.toThrow(/filter.resourceType/);
    const h = capi.InitKafka();
    for (const [key, value] of Object.entries(saslConfig(kafka, 'PLAIN', 'admin') as { [key: string]: string })) capi.SetKafkaConf(h, key, value);
    try {
      // A binding of resource type "any": librdkafka's own check, answered before anything is sent.
      const [code, message] = (await capi.CreateAcls(h, [[1, 't', 3, 'User:x', '*', 4, 3]])) as [number, string];
      expect(code).toBe(-186);
      expect(message).toMatch(/resource type/i);
      // An empty principal passes librdkafka's checks; the broker refuses that binding (INVALID_REQUEST).
      const [[brokerCode, brokerMessage]] = (await capi.CreateAcls(h, [[2, 't', 3, '', '*', 4, 3]])) as [number, string][];
      expect(brokerCode).toBe(42);
      expect(brokerMessage).toMatch(/principal/);
      expect(() => capi.CreateAcls(h, [[9, 't', 3, 'User:x', '*', 4, 3]])).toThrow(/bindings\[0\]\[0\]/);
    } finally {
      await capi.UninitProducerAsync(h, 0);
    }
  });

  it('alice, who may not manage ACLs, is refused with CLUSTER_AUTHORIZATION_FAILED', async () => {
    const aliceAdmin = new Admin(saslConfig(kafka, 'SCRAM-SHA-256', 'alice'));
    try {
      const error = await aliceAdmin.createAcls({ resourceType: 'topic', resourceName: 'x', principal: 'User:alice', operation: 'all' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaError);
      expect((error as KafkaError).code).toBe(31);
    } finally {
      await aliceAdmin.close();
    }
  });
});

/** The error `promise` rejects with (it must reject). */
async function failure(promise: Promise<unknown>): Promise<KafkaError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KafkaError);
  return error as KafkaError;
}

// message.timeout.ms and request timeouts far beyond the test's own timeout: a failure that
// waited for them instead of surfacing would fail the test.
const PATIENT = { 'message.timeout.ms': 300_000 };

describe('failures are prompt and named', () => {
  // These clients fail on purpose: their librdkafka error lines are expected, not news.
  let previous = getDefaultLogger();
  beforeAll(() => {
    previous = getDefaultLogger();
    setDefaultLogger(silentLogger);
  });
  afterAll(() => setDefaultLogger(previous));

  /** A send with `config` rejects; the admin client's request rejects with the same cause. */
  async function refused(config: Config): Promise<[KafkaError, KafkaError]> {
    const producer = new Producer({ ...(config as object), ...PATIENT });
    const client = new Admin(config);
    try {
      return [await failure(producer.send({ topic: `sec-${id()}`, payload: 'x' })), await failure(client.createTopics({ name: `sec-${id()}` }, { timeoutMs: 300_000 }))];
    } finally {
      await Promise.all([producer.close(1000), client.close()]);
    }
  }

  it('a wrong password: _AUTHENTICATION, naming the invalid credentials, for send, admin requests and reads', async () => {
    const config = saslConfig(kafka, 'SCRAM-SHA-256', 'alice', 'not-the-password');
    const [send, request] = await refused(config);
    for (const error of [send, request]) {
      expect(error.code).toBe(-169);
      expect(error.message).toMatch(/invalid credentials/i);
      expect(error.fatal).toBe(true);
    }
    const client = new Admin(config);
    try {
      expect((await failure(client.metadata({ timeoutMs: 300_000 }))).code).toBe(-169);
    } finally {
      await client.close();
    }
    const consumer = new Consumer({ ...(config as object), 'group.id': `sec-${id()}` }, `sec-${id()}`);
    try {
      const error = await failure(consumer.consumeRecord(120_000));
      expect(error.code).toBe(-169);
    } finally {
      await consumer.close();
    }
  });

  it('a PLAIN user that does not exist: _AUTHENTICATION', async () => {
    const [send] = await refused({ ...(saslConfig(kafka, 'PLAIN', 'alice') as object), 'sasl.username': 'mallory' });
    expect(send.code).toBe(-169);
    expect(send.message).toMatch(/Invalid username or password/);
  });

  it("a broker certificate from a CA we do not trust: _SSL, 'certificate verify failed'", async () => {
    const [send, request] = await refused(sslConfig(kafka, 'alice', { 'ssl.ca.location': `${kafka.certDir}/rogue-ca.pem` }));
    for (const error of [send, request]) {
      expect(error.code).toBe(-181);
      expect(error.message).toMatch(/certificate verify failed/);
    }
  });

  it('a broker certificate for another host name: refused the same way; accepted when host names are not checked', async () => {
    const config = sslConfig(kafka, 'alice', { 'bootstrap.servers': kafka.wrongHost });
    const [send] = await refused(config);
    expect(send.code).toBe(-181);
    expect(send.message).toMatch(/certificate verify failed/);
    // The same certificate, host names unchecked: so it was the host name that failed.
    const topic = `sec-${id()}`;
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    const producer = new Producer({ ...(config as object), 'ssl.endpoint.identification.algorithm': 'none' });
    try {
      expect((await producer.send({ topic, payload: 'x' })).offset).toBe(0);
    } finally {
      await producer.close();
    }
  });

  it.each([
    ['expired', 'alice-expired'],
    ['from an untrusted CA', 'rogue'],
  ])('a client certificate %s: the TLS alert the broker sent', async (_, cert) => {
    const [send, request] = await refused(sslConfig(kafka, cert));
    for (const error of [send, request]) {
      expect(error.code).toBe(-195);
      expect(error.message).toMatch(/SSL alert number 4[26]/);
    }
  });

  it('no client certificate where one is required: the TLS alert the broker sent', async () => {
    const { 'ssl.certificate.location': _c, 'ssl.key.location': _k, ...noCertificate } = sslConfig(kafka, 'alice') as { [key: string]: string };
    const [send] = await refused(noCertificate);
    expect(send.code).toBe(-195);
    expect(send.message).toMatch(/SSL alert/);
  });

  it('a send to a topic alice may not write rejects with TOPIC_AUTHORIZATION_FAILED, without waiting for message.timeout.ms', async () => {
    const topic = `denied-${id()}`;
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    const producer = new Producer({ ...(saslConfig(kafka, 'PLAIN', 'alice') as object), ...PATIENT });
    try {
      const error = await failure(producer.send({ topic, payload: 'x' }));
      expect(error.code).toBe(29);
      // The producer goes on for topics alice may write.
      const allowed = `sec-${id()}`;
      await admin.createTopics({ name: allowed, partitions: 1, replicationFactor: 1 });
      expect((await producer.send({ topic: allowed, payload: 'y' })).offset).toBe(0);
    } finally {
      await producer.close();
    }
  });

  it("a consumer in a group alice may not join: the read rejects with GROUP_AUTHORIZATION_FAILED", async () => {
    const consumer = new Consumer({ ...(saslConfig(kafka, 'SCRAM-SHA-512', 'alice') as object), 'group.id': `denied-${id()}` }, `sec-${id()}`);
    try {
      const error = await failure(consumer.consumeRecord(120_000));
      expect(error.code).toBe(30);
      expect(error.fatal).toBe(true);
    } finally {
      await consumer.close();
    }
  });

  it("a consumer of a topic alice may not read: the read rejects with TOPIC_AUTHORIZATION_FAILED", async () => {
    const topic = `denied-${id()}`;
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    const consumer = new Consumer({ ...(saslConfig(kafka, 'SCRAM-SHA-512', 'alice') as object), 'group.id': `sec-${id()}` }, topic);
    try {
      const error = await failure(consumer.consumeRecord(120_000));
      expect(error.code).toBe(29);
    } finally {
      await consumer.close();
    }
  });
});

describe('the OAUTHBEARER provider', () => {
  async function providerFailure(provider: () => Promise<OAuthBearerToken>, timeoutMs?: number): Promise<KafkaError> {
    const producer = new Producer({ ...(oauthConfig(kafka) as object), ...PATIENT }, { oauthBearerProvider: provider, oauthBearerProviderTimeoutMs: timeoutMs });
    try {
      return await failure(producer.send({ topic: `sec-${id()}`, payload: 'x' }));
    } finally {
      await producer.close(1000);
    }
  }

  it('that throws: the send rejects with _AUTHENTICATION naming what it threw', async () => {
    const error = await providerFailure(async () => {
      throw new Error('identity provider unreachable');
    });
    expect(error.code).toBe(-169);
    expect(error.message).toMatch(/identity provider unreachable/);
  });

  it('that does not answer in time: the send rejects naming the timeout', async () => {
    const error = await providerFailure(() => new Promise(() => {}), 500);
    expect(error.code).toBe(-169);
    expect(error.message).toMatch(/did not answer within 500 ms/);
  });

  it('that answers without a usable token: the send rejects naming what is missing', async () => {
    const error = await providerFailure(async () => ({ value: 'opaque-token' }));
    expect(error.message).toMatch(/no lifetime/);
  });

  it('whose token the broker refuses (expired): _AUTHENTICATION from the broker', async () => {
    const error = await providerFailure(async () => ({ value: unsecuredJwt('alice', -60), lifetime: Date.now() + 60_000, principal: 'alice' }));
    expect(error.code).toBe(-169);
    expect(error.message).toMatch(/SASL authentication error/);
  });

  it('is asked again after a failure, and the client then works', async () => {
    // librdkafka asks again about 10 s after a failure.
    let calls = 0;
    let askedAgain!: () => void;
    const secondCall = new Promise<void>((resolve) => (askedAgain = resolve));
    const topic = `sec-${id()}`;
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    const producer = new Producer(oauthConfig(kafka), {
      oauthBearerProvider: async () => {
        if (++calls === 1) throw new Error('not yet');
        askedAgain();
        return { value: unsecuredJwt('alice') };
      },
    });
    try {
      expect((await failure(producer.send({ topic, payload: 'x' }))).message).toMatch(/not yet/);
      await secondCall;
      expect((await producer.send({ topic, payload: 'y' })).offset).toBe(0);
    } finally {
      await producer.close();
    }
  }, 60_000);

  it('a client closed while its provider is still working closes cleanly; the late answer is dropped', async () => {
    let answer: (token: OAuthBearerToken) => void = () => {};
    let asked!: () => void;
    const wasAsked = new Promise<void>((resolve) => (asked = resolve));
    const producer = new Producer(oauthConfig(kafka), {
      oauthBearerProvider: () => {
        asked();
        return new Promise((resolve) => (answer = resolve));
      },
    });
    producer.produce(`sec-${id()}`, 'x');
    await wasAsked;
    await producer.close(100);
    answer({ value: unsecuredJwt('alice') });
    await new Promise((resolve) => setImmediate(resolve));
    expect(() => producer.produce('t', 'y')).toThrow(/closed/);
  });

  it('clients with a provider, dropped without close, are still collected (the provider does not hold them)', async () => {
    const collected = { count: 0 };
    const registry = new FinalizationRegistry(() => collected.count++);
    const asked: Promise<void>[] = [];
    (() => {
      for (let i = 0; i < 5; i++) {
        let wasAsked!: () => void;
        asked.push(new Promise<void>((resolve) => (wasAsked = resolve)));
        const producer = new Producer(oauthConfig(kafka), {
          oauthBearerProvider: async () => {
            wasAsked();
            return { value: unsecuredJwt('alice') };
          },
        });
        producer.produce(`sec-${id()}`, 'x'); // started: librdkafka asks for a token
        registry.register(producer.handle, i);
      }
    })();
    await Promise.all(asked);
    for (let i = 0; i < 50 && collected.count < 5; i++) {
      global.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(collected.count).toBe(5);
  });

  it('a provider that is not a function is refused when the client is made', () => {
    expect(() => new Producer(oauthConfig(kafka), { oauthBearerProvider: 'token' as unknown as () => OAuthBearerToken })).toThrow(
      /Expected a function for options.oauthBearerProvider but received 'token'/,
    );
  });
});

describe('the CLI on a secured cluster', () => {
  /** Runs the tool in this process. */
  async function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdin: Readable.from(stdin ? [stdin] : []),
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      interrupted: () => new AbortController().signal,
    };
    const code = await main(args, io);
    return { code, stdout, stderr };
  }

  const tempDirs: string[] = [];
  afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdkafka-napi-props-'));
    tempDirs.push(dir);
    return dir;
  };

  /** A Kafka-style client properties file, as kafka-*.sh --command-config takes it. */
  function propertiesFile(user: 'admin' | 'alice', password = kafka.users[user]): string {
    const file = join(tempDir(), `${user}.properties`);
    writeFileSync(file, [
      '# as for kafka-topics.sh / kafka-acls.sh --command-config',
      'security.protocol=SASL_SSL',
      'sasl.mechanism=SCRAM-SHA-512',
      'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\',
      `    username="${user}" password="${password}";`,
      `ssl.truststore.location=${kafka.certDir}/ca.pem`,
      'ssl.truststore.type=PEM',
      '',
    ].join('\n'));
    return file;
  }

  const sslArgs = () => ['-b', kafka.ssl, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${kafka.certDir}/ca.pem`,
    '-X', `ssl.certificate.location=${kafka.certDir}/alice.pem`, '-X', `ssl.key.location=${kafka.certDir}/alice.key`];

  it('produces and consumes over SSL with -X properties', async () => {
    const topic = `sec-${id()}`;
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    expect((await cli(['produce', '--topic', topic, ...sslArgs()], 'one\ntwo\n')).code).toBe(0);
    const consumed = await cli(['consume', '--topic', topic, '--from-beginning', '--max-messages', '2', '--group', `sec-${id()}`, ...sslArgs()]);
    expect(consumed).toMatchObject({ code: 0, stdout: 'one\ntwo\n' });
  });

  it('lists topics with a --command-config file (Java sasl.jaas.config, PEM trust store); a wrong password fails naming it', async () => {
    const topic = `sec-${id()}`;
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    const listed = await cli(['topics', 'list', '-b', kafka.saslSsl, '--command-config', propertiesFile('alice')]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')).toContain(topic);
    const refused = await cli(['topics', 'list', '-b', kafka.saslSsl, '--command-config', propertiesFile('alice', 'wrong')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/invalid credentials.*ERR__AUTHENTICATION/);
  });

  it('acls create, list and delete in kafka-acls.sh terms, listed as kafka-acls.sh lists them', async () => {
    const principal = `User:erin-${id()}`;
    const topic = `erin-${id()}`;
    const auth = ['-b', kafka.saslSsl, '--command-config', propertiesFile('admin')];
    const created = await cli(['acls', 'create', '--topic', topic, '--allow-principal', principal, '--operation', 'Read', '--operation', 'DescribeConfigs', ...auth]);
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain(`Adding ACLs for resource \`ResourcePattern(resourceType=TOPIC, name=${topic}, patternType=LITERAL)\`:`);
    await cli(['acls', 'create', '--group', 'erin-', '--resource-pattern-type', 'prefixed', '--deny-principal', principal, '--operation', 'Read', ...auth]);

    const ours = await cli(['acls', 'list', '--principal', principal, ...auth]);
    expect(ours.code).toBe(0);
    const { runKafkaTool } = await import('../scripts/kafka/broker.mjs');
    const theirs: { stdout: string } = await runKafkaTool('kafka.admin.AclCommand', ['--bootstrap-server', kafka.bootstrapServers, '--list', '--principal', principal]);
    // The same resources, each with the same ACL lines (Kafka's own tool orders them as it likes).
    const header = `ACLs for principal \`${principal}\``;
    expect([ours.stdout.split('\n')[0], theirs.stdout.split('\n')[0]]).toEqual([header, header]);
    const blocks = (text: string) => text.slice(header.length).split(/\n\s*\n/).map((b) => b.trim().split('\n').map((l) => l.trim()).sort().join('\n')).filter(Boolean).sort();
    expect(blocks(ours.stdout)).toEqual(blocks(theirs.stdout));
    expect(blocks(ours.stdout)).toHaveLength(2);

    const removed = await cli(['acls', 'delete', '--topic', topic, '--principal', principal, ...auth]);
    expect(removed.stdout).toContain(`(principal=${principal}, host=*, operation=DESCRIBE_CONFIGS, permissionType=ALLOW)`);
    const left = JSON.parse((await cli(['acls', 'list', '--principal', principal, '--json', ...auth])).stdout) as AclBinding[];
    expect(left.map((a) => [a.resourceType, a.resourceName, a.permission])).toEqual([['group', 'erin-', 'deny']]);
  });

  it('a wrong acls command line is a usage error naming what is missing', async () => {
    const auth = ['-b', kafka.saslSsl, '--command-config', propertiesFile('admin')];
    expect(await cli(['acls', 'create', '--topic', 't', '--operation', 'Read', ...auth])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--allow-principal or --deny-principal/) });
    expect(await cli(['acls', 'create', '--allow-principal', 'User:x', '--operation', 'Read', ...auth])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--topic, --group or --cluster/) });
    expect(await cli(['acls', 'delete', ...auth])).toMatchObject({ code: 2, stderr: expect.stringMatching(/delete which ACLs/) });
    const jks = join(tempDir(), 'jks.properties');
    writeFileSync(jks, 'ssl.truststore.location=/x/truststore.jks\n');
    expect(await cli(['topics', 'list', '-b', kafka.ssl, '--command-config', jks])).toMatchObject({ code: 2, stderr: expect.stringMatching(/must be a PEM file.*JKS/) });
  });
});

/** One request over real HTTPS, trusting the test CA; `auth` an Authorization header, `cert` a client certificate's name. */
async function https(url: string, options: { method?: string; body?: unknown; contentType?: string; auth?: string; cert?: string } = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the wire
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const reply = await httpRequest(url, {
    method: options.method ?? 'GET',
    tls: {
      ca: readFileSync(`${kafka.certDir}/ca.pem`),
      ...(options.cert === undefined ? {} : { cert: readFileSync(`${kafka.certDir}/${options.cert}.pem`), key: readFileSync(`${kafka.certDir}/${options.cert}.key`) }),
    },
    headers: {
      ...(body === undefined ? {} : { 'content-type': options.contentType ?? 'application/vnd.kafka.json.v2+json' }),
      ...(options.auth === undefined ? {} : { authorization: options.auth }),
      accept: 'application/vnd.kafka.json.v2+json, application/json',
    },
    body,
  });
  return { status: reply.status, body: reply.text === '' ? undefined : JSON.parse(reply.text) };
}

describe('the REST proxy on a secured cluster', () => {
  it.each([
    ['SASL_SSL with SCRAM-SHA-256', () => ({ ...(saslConfig(kafka, 'SCRAM-SHA-256', 'alice') as { [key: string]: string }) })],
    ['SSL with a client certificate', () => ({ ...(sslConfig(kafka, 'alice') as { [key: string]: string }) })],
  ])('client.* properties reach librdkafka (%s): produce and consume over HTTPS; a denied topic is 403 / 40301 in v2 and v3', async (_, clientConfig) => {
    const { 'bootstrap.servers': bootstrapServers, ...client } = clientConfig();
    const proxy = await startProxy({
      ...DEFAULTS,
      listeners: 'https://127.0.0.1:0',
      pixyListeners: '',
      sslKeyLocation: `${kafka.certDir}/broker.key`,
      sslCertificateLocation: `${kafka.certDir}/broker.pem`,
      bootstrapServers,
      client,
    });
    try {
      const topic = `sec-${id()}`;
      await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
      const produced = await https(`${proxy.url}/topics/${topic}`, { method: 'POST', body: { records: [{ value: { n: 1 } }, { value: { n: 2 } }] } });
      expect(produced.status).toBe(200);
      expect(produced.body.offsets.map((o: { offset: number }) => o.offset)).toEqual([0, 1]);

      const group = `sec-${id()}`;
      const created = await https(`${proxy.url}/consumers/${group}`, { method: 'POST', body: { name: 'c1', format: 'json', 'auto.offset.reset': 'earliest' }, contentType: 'application/vnd.kafka.v2+json' });
      expect(created.status).toBe(200);
      const base = `${proxy.url}/consumers/${group}/instances/c1`;
      expect((await https(`${base}/subscription`, { method: 'POST', body: { topics: [topic] }, contentType: 'application/vnd.kafka.v2+json' })).status).toBe(204);
      const values: unknown[] = [];
      for (let i = 0; i < 10 && values.length < 2; i++) {
        const read = await https(`${base}/records?timeout=3000`);
        expect(read.status).toBe(200);
        values.push(...read.body.map((r: { value: unknown }) => r.value));
      }
      expect(values).toEqual([{ n: 1 }, { n: 2 }]);
      await https(base, { method: 'DELETE' });

      const denied = `denied-${id()}`;
      await admin.createTopics({ name: denied, partitions: 1, replicationFactor: 1 });
      const v2 = await https(`${proxy.url}/topics/${denied}`, { method: 'POST', body: { records: [{ value: 1 }] } });
      expect(v2.status).toBe(403);
      expect(v2.body.error_code).toBe(40301);
      const clusterId = (await https(`${proxy.url}/v3/clusters`)).body.data[0].cluster_id;
      const v3 = await https(`${proxy.url}/v3/clusters/${clusterId}/topics/${denied}/records`, { method: 'POST', body: { value: { type: 'JSON', data: 1 } }, contentType: 'application/json' });
      expect(v3.status).toBe(403);
      expect(v3.body.error_code).toBe(40301);
    } finally {
      await proxy.close();
    }
  });
});

describe('the REST proxy with kafka.credentials.passthrough: its users are Kafka principals', () => {
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const alice = () => basic('alice', kafka.users.alice);
  const bob = () => basic('bob', kafka.users.bob);
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  const opened: string[] = [];

  beforeAll(async () => {
    const { 'bootstrap.servers': bootstrapServers, 'sasl.username': _u, 'sasl.password': _p, ...client } = saslConfig(kafka, 'SCRAM-SHA-512', 'alice') as { [key: string]: string };
    const logger = { error() {}, warn() {}, debug() {}, info: (fields: { user?: string }) => void (fields.user && opened.push(fields.user)) };
    proxy = await startProxy({
      ...DEFAULTS,
      listeners: 'https://127.0.0.1:0',
      pixyListeners: '',
      sslKeyLocation: `${kafka.certDir}/broker.key`,
      sslCertificateLocation: `${kafka.certDir}/broker.pem`,
      // mTLS: HTTP clients need a certificate from the test CA.
      sslCaLocation: `${kafka.certDir}/ca.pem`,
      sslClientAuth: true,
      bootstrapServers,
      client,
      credentialsPassthrough: true,
      credentialsBearerBootstrapServers: kafka.oauth,
      credentialsIdleTimeoutMs: 1000,
    }, undefined, logger);
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
  });

  it('a produce is served as its user: alice may write sec- topics, bob gets 403 / 40301 in v2 and v3', async () => {
    const topic = `sec-${id()}`;
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    const asAlice = await https(`${proxy.url}/topics/${topic}`, { method: 'POST', body: { records: [{ value: 'a' }] }, auth: alice(), cert: 'alice' });
    expect(asAlice.status).toBe(200);
    expect(asAlice.body.offsets[0].offset).toBe(0);
    const asBob = await https(`${proxy.url}/topics/${topic}`, { method: 'POST', body: { records: [{ value: 'b' }] }, auth: bob(), cert: 'bob' });
    expect(asBob).toMatchObject({ status: 403, body: { error_code: 40301 } });
    const clusterId = (await https(`${proxy.url}/v3/clusters`, { auth: bob(), cert: 'bob' })).body.data[0].cluster_id;
    const v3 = await https(`${proxy.url}/v3/clusters/${clusterId}/topics/${topic}/records`, { method: 'POST', body: { value: { type: 'JSON', data: 1 } }, contentType: 'application/json', auth: bob(), cert: 'bob' });
    expect(v3).toMatchObject({ status: 403, body: { error_code: 40301 } });
    // Nothing of bob's reached the topic.
    expect((await admin.watermarkOffsets(topic, 0)).high).toBe(1);
  });

  it("a consumer instance belongs to its maker: another user's reads, commits and delete are 403 / 40301", async () => {
    const topic = `sec-${id()}`;
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    await https(`${proxy.url}/topics/${topic}`, { method: 'POST', body: { records: [{ value: { n: 1 } }] }, auth: alice(), cert: 'alice' });
    const group = `sec-${id()}`;
    const v2 = 'application/vnd.kafka.v2+json';
    expect((await https(`${proxy.url}/consumers/${group}`, { method: 'POST', body: { name: 'mine', format: 'json', 'auto.offset.reset': 'earliest' }, contentType: v2, auth: alice(), cert: 'alice' })).status).toBe(200);
    const base = `${proxy.url}/consumers/${group}/instances/mine`;
    expect((await https(`${base}/subscription`, { method: 'POST', body: { topics: [topic] }, contentType: v2, auth: alice(), cert: 'alice' })).status).toBe(204);
    for (const request of [
      https(`${base}/records`, { auth: bob(), cert: 'bob' }),
      https(`${base}/offsets`, { method: 'POST', body: {}, contentType: v2, auth: bob(), cert: 'bob' }),
      https(base, { method: 'DELETE', auth: bob(), cert: 'bob' }),
      https(`${proxy.url}/consumers/${group}`, { method: 'POST', body: { name: 'mine' }, contentType: v2, auth: bob(), cert: 'bob' }),
    ]) {
      expect(await request).toMatchObject({ status: 403, body: { error_code: 40301 } });
    }
    const values: unknown[] = [];
    for (let i = 0; i < 10 && values.length < 1; i++) values.push(...(await https(`${base}/records?timeout=3000`, { auth: alice(), cert: 'alice' })).body.map((r: { value: unknown }) => r.value));
    expect(values).toEqual([{ n: 1 }]);
    expect((await https(base, { method: 'DELETE', auth: alice(), cert: 'alice' })).status).toBe(204);
  });

  it('a Bearer token is passed on as the OAUTHBEARER token of that user', async () => {
    const topic = `sec-${id()}`;
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    const asAlice = await https(`${proxy.url}/topics/${topic}`, { method: 'POST', body: { records: [{ value: 'a' }] }, auth: `Bearer ${unsecuredJwt('alice')}`, cert: 'alice' });
    expect(asAlice.status).toBe(200);
    const asBob = await https(`${proxy.url}/topics/${topic}`, { method: 'POST', body: { records: [{ value: 'b' }] }, auth: `Bearer ${unsecuredJwt('bob')}`, cert: 'bob' });
    expect(asBob).toMatchObject({ status: 403, body: { error_code: 40301 } });
  });

  it('a wrong password, a refused token or no credentials are 401 / 40101', async () => {
    expect(await https(`${proxy.url}/topics`, { auth: basic('alice', 'wrong'), cert: 'alice' })).toMatchObject({ status: 401, body: { error_code: 40101 } });
    expect(await https(`${proxy.url}/topics`, { auth: `Bearer ${unsecuredJwt('alice', -60)}`, cert: 'alice' })).toMatchObject({ status: 401, body: { error_code: 40101 } });
    expect(await https(`${proxy.url}/topics`, { cert: 'alice' })).toMatchObject({ status: 401, body: { error_code: 40101 } });
  });

  it('an HTTP client without a certificate from the configured CA is refused in the TLS handshake', async () => {
    await expect(https(`${proxy.url}/topics`, { auth: alice() })).rejects.toThrow();
    await expect(https(`${proxy.url}/topics`, { auth: alice(), cert: 'rogue' })).rejects.toThrow();
    expect((await https(`${proxy.url}/topics`, { auth: alice(), cert: 'alice' })).status).toBe(200);
  });

  it('its settings are checked: a wrong value or a combination that cannot work is refused naming it', async () => {
    const apply = (pairs: [string, string][]) => applyProperties(DEFAULTS, new Map(pairs));
    expect(apply([['kafka.credentials.passthrough', 'true'], ['kafka.credentials.idle.timeout.ms', '5000'], ['kafka.credentials.max.users', '3']])).toMatchObject({
      credentialsPassthrough: true,
      credentialsIdleTimeoutMs: 5000,
      credentialsMaxUsers: 3,
    });
    expect(() => apply([['kafka.credentials.passthrough', 'yes']])).toThrow(/kafka.credentials.passthrough must be true or false/);
    expect(() => apply([['kafka.credentials.max.users', '0']])).toThrow(/kafka.credentials.max.users must be a positive integer/);
    expect(() => apply([['kafka.credentials.passthrough', 'true'], ['basic.auth.users', 'a:b']])).toThrow(/exclude each other/);
    expect(() => apply([['ssl.client.auth', 'true']])).toThrow(/needs ssl.ca.location/);
    await expect(startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', bootstrapServers: kafka.saslSsl, credentialsPassthrough: true })).rejects.toThrow(/Confluent API only: set pixy.listeners=/);
  });

  it("a user's clients are closed when idle and opened again at their next request", async () => {
    const before = opened.filter((u) => u === 'alice').length;
    expect((await https(`${proxy.url}/topics`, { auth: alice(), cert: 'alice' })).status).toBe(200);
    // Past kafka.credentials.idle.timeout.ms (1 s) plus a sweep.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await https(`${proxy.url}/topics`, { auth: alice(), cert: 'alice' })).status).toBe(200);
    expect(opened.filter((u) => u === 'alice').length).toBeGreaterThan(before);
  });
});
