#!/usr/bin/env node
// Runs a real Apache Kafka 3.9.1 cluster (KRaft, combined broker+controller nodes) on 127.0.0.1
// for tests and benchmarks, from Maven Central jars only (no Docker, no other downloads). Kafka
// 4.1.1 (the KIP-848 consumer group protocol) on request: `version: '4.1.1'`, `--version 4.1.1`.
//
//   import { startKafka, runKafkaTool, kafkaClasspath } from './scripts/kafka/broker.mjs';
//   const kafka = await startKafka({ nodes: 3 });   // kafka.bootstrapServers = '127.0.0.1:p1,...'
//   const kafka4 = await startKafka({ version: '4.1.1' });
//   await runKafkaTool('org.apache.kafka.tools.TopicCommand',
//     ['--bootstrap-server', kafka.bootstrapServers, '--list']);
//   await kafka.stop();
//
//   node scripts/kafka/broker.mjs fetch [--version V]              # download the jars into the cache
//   node scripts/kafka/broker.mjs start [--nodes N] [--version V] [--secured]  # print bootstrap.servers=..., run until ^C
//   node scripts/kafka/broker.mjs start --zookeeper   # 3.9.1 in ZooKeeper mode (KRaft stays the default), for Kafka-Pixy
// (V: 3.9.1, the default, 4.1.1, or latest = 4.1.1.)
//
// Plain Node ESM, no dependencies. Needs `java` (17+) and `mvn` on PATH (or JAVA_HOME).

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const fileUrl = (name) => pathToFileURL(path.join(HERE, name)).href;
/** The default: what every test and benchmark runs against unless it asks for another. */
export const DEFAULT_KAFKA_VERSION = '3.9.1';
/** The newest Kafka here. Kafka 4.x brokers take the KIP-848 consumer group protocol by default (3.9.1 does not). */
export const LATEST_KAFKA_VERSION = '4.1.1';
// Each version: the pom that lists its jars, and its logging configuration (3.x logs through
// reload4j, 4.x through log4j2).
const VERSIONS = {
  '3.9.1': { pom: path.join(HERE, 'pom.xml'), logArgs: [`-Dlog4j.configuration=${fileUrl('log4j.properties')}`] },
  '4.1.1': { pom: path.join(HERE, 'pom-4.1.1.xml'), logArgs: [`-Dlog4j2.configurationFile=${fileUrl('log4j2.xml')}`] },
};
const MARKER = '.complete'; // written last; holds a hash of the pom so an edited pom re-fetches
const JAVA = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
const HOST = '127.0.0.1';

/** The version's settings; anything else is an error naming the versions there are. */
function kafkaVersion(version = DEFAULT_KAFKA_VERSION) {
  const settings = VERSIONS[version];
  if (!settings) throw new Error(`Kafka version ${version} is not one of ${Object.keys(VERSIONS).join(', ')}`);
  return { version, ...settings, cacheDir: path.join(os.homedir(), '.cache', 'rdkafka-napi', `kafka-${version}`) };
}

const commonJvmArgs = (kafka) => ['-Djava.awt.headless=true', ...kafka.logArgs];
// Same GC settings as Kafka's own kafka-server-start.sh, with the heap asked for in the spec.
const BROKER_JVM_ARGS = ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent'];
const TOOL_JVM_ARGS = ['-Xmx256m'];
// Only for the short StorageTool runs: C1-only JIT and serial GC start ~40% faster on 2 cores
// (not for tools in general: ProducerPerformance & co. need the full JIT).
const QUICK_JVM_ARGS = ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

// ---------------------------------------------------------------------------------------------
// Child process bookkeeping: every Java process we start is killed if this Node process exits.

const liveChildren = new Set();
const liveRunDirs = new Set();
let exitHandlerInstalled = false;

function track(child) {
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    // 'exit' handlers must be synchronous: SIGKILL (no waiting possible) and best-effort cleanup.
    process.on('exit', () => {
      for (const c of liveChildren) try { c.kill('SIGKILL'); } catch {}
      for (const d of liveRunDirs) try { fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 }); } catch {}
    });
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}

// setpriv --pdeathsig makes the kernel SIGKILL the JVM even if Node itself is SIGKILLed (no
// 'exit' event then). It execs in place, so the pid we see is the JVM's own pid.
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));

function spawnJava(args, options) {
  return SETPRIV
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', JAVA, ...args], options)
    : spawn(JAVA, args, options);
}

function missingCommandError(cmd, what) {
  return new Error(`'${cmd}' was not found on PATH; ${what} is needed to run the Kafka broker ` +
    `(Debian: apt-get install -y openjdk-17-jdk-headless maven)`);
}

function requireCommand(cmd, args, what) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  if (r.error?.code === 'ENOENT') throw missingCommandError(cmd, what);
  if (r.error) throw new Error(`could not run '${cmd}': ${r.error.message}`);
}

// Runs a command to completion, collecting its output. Rejects only if it cannot be started or
// exceeds timeoutMs (then it is SIGKILLed); a non-zero exit code is returned, not thrown.
function run(cmd, args, { input, timeoutMs = 60000, java = false, label = cmd } = {}) {
  return new Promise((resolve, reject) => {
    const child = track(java ? spawnJava(args, {}) : spawn(cmd, args));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.stdin.on('error', () => {}); // the tool may exit without reading its input (EPIPE)
    child.stdin.end(input ?? ''); // always close stdin so that tools reading it never hang
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} timed out after ${timeoutMs} ms` +
        `\n--- stdout (tail) ---\n${tail(stdout)}\n--- stderr (tail) ---\n${tail(stderr)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' ? missingCommandError(cmd, cmd) : err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : -1), stdout, stderr });
    });
  });
}

function tail(text, lines = 60) {
  return text.split('\n').slice(-lines).join('\n');
}

function fileTail(file, lines = 60) {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 16384);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return tail(buf.toString('utf8'), lines) || '(empty)';
    } finally { fs.closeSync(fd); }
  } catch (err) {
    return `(could not read ${file}: ${err.message})`;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Jars

const classpathPromises = new Map(); // version -> Promise<class path>

/** Java class path (all runtime jars of that Kafka version), downloading them with Maven on first use. */
export async function kafkaClasspath(version = DEFAULT_KAFKA_VERSION) {
  const kafka = kafkaVersion(version);
  // One fetch per process and version even when called concurrently; a failed fetch may be retried.
  if (!classpathPromises.has(version)) {
    classpathPromises.set(version, fetchJars(kafka).catch((err) => { classpathPromises.delete(version); throw err; }));
  }
  return classpathPromises.get(version);
}

async function fetchJars({ pom, cacheDir }) {
  requireCommand(JAVA, ['-version'], 'Java (17+)');
  const pomHash = crypto.createHash('sha256').update(fs.readFileSync(pom)).digest('hex');
  const complete = () => {
    try { return fs.readFileSync(path.join(cacheDir, MARKER), 'utf8').trim() === pomHash; } catch { return false; }
  };
  if (!complete()) {
    requireCommand('mvn', ['-v'], 'Maven');
    // Download into a private dir and rename it into place, so a concurrent or interrupted
    // fetch never leaves a half-filled cache behind.
    await fsp.mkdir(path.dirname(cacheDir), { recursive: true });
    const tmp = await fsp.mkdtemp(`${cacheDir}.tmp-`);
    try {
      const r = await run('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies',
        '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`], { timeoutMs: 15 * 60000 });
      if (r.code !== 0) {
        throw new Error(`mvn dependency:copy-dependencies failed (exit ${r.code}):\n${tail(r.stdout + r.stderr)}`);
      }
      await fsp.writeFile(path.join(tmp, MARKER), `${pomHash}\n`);
      if (!complete()) {
        await fsp.rm(cacheDir, { recursive: true, force: true }); // stale or partial
        await fsp.rename(tmp, cacheDir).catch((err) => { if (!complete()) throw err; }); // lost a race: fine
      }
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  }
  const jars = (await fsp.readdir(cacheDir)).filter((f) => f.endsWith('.jar')).sort();
  return jars.map((f) => path.join(cacheDir, f)).join(path.delimiter);
}

/**
 * Runs a Kafka command-line tool class, e.g. org.apache.kafka.tools.TopicCommand,
 * kafka.tools.ConsoleProducer, org.apache.kafka.tools.consumer.ConsoleConsumer,
 * org.apache.kafka.tools.consumer.group.ConsumerGroupCommand, org.apache.kafka.tools.ProducerPerformance.
 * `input` is written to its stdin (stdin is closed either way). Resolves to { code, stdout, stderr }
 * (code 128+N if killed by signal N); rejects if it runs longer than timeoutMs (it is killed then).
 * `version`: the Kafka version's tools (default 3.9.1; in 4.x some moved to org.apache.kafka.tools).
 */
export async function runKafkaTool(mainClass, args = [], { input, timeoutMs = 60000, version } = {}) {
  const kafka = kafkaVersion(version);
  const classpath = await kafkaClasspath(kafka.version);
  return run(JAVA, [...TOOL_JVM_ARGS, ...commonJvmArgs(kafka), '-cp', classpath, mainClass, ...args],
    { input, timeoutMs, java: true, label: `${mainClass} ${args.join(' ')}` });
}

// ---------------------------------------------------------------------------------------------
// Cluster

/** Ports that are free right now: bind them all to port 0 at once (so they differ), then close. */
async function freePorts(count) {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => resolve(s));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A KRaft cluster id, as StorageTool random-uuid makes it (16 random bytes, base64url) without a JVM. */
function randomClusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka's Uuid.randomUuid() rejects these too
  }
}

/**
 * Sends one Metadata request (v4, no topics) to 127.0.0.1:port and resolves to the node ids of
 * the live (registered, unfenced) brokers in the answer. This is what a client does first, so
 * success means the node really serves clients.
 */
function metadataBrokerIds(port, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const clientId = Buffer.from('broker.mjs');
    const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4 + 1);
    let o = req.writeInt32BE(req.length - 4, 0); // size
    o = req.writeInt16BE(3, o); // api_key: Metadata
    o = req.writeInt16BE(4, o); // api_version
    o = req.writeInt32BE(1, o); // correlation_id
    o = req.writeInt16BE(clientId.length, o);
    o += clientId.copy(req, o);
    o = req.writeInt32BE(0, o); // topics: empty array = none (null would mean all)
    req.writeInt8(0, o); // allow_auto_topic_creation: false

    let buf = Buffer.alloc(0);
    const sock = net.connect({ host: HOST, port });
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`metadata request to port ${port} timed out`)));
    sock.on('connect', () => sock.write(req));
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`port ${port} closed the connection`))); // no-op once resolved
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      sock.destroy();
      try {
        // Response v4: size, correlation_id, throttle_time_ms, brokers[node_id, host, port, rack], ...
        const count = buf.readInt32BE(12);
        let p = 16;
        const ids = [];
        for (let i = 0; i < count; i++) {
          ids.push(buf.readInt32BE(p));
          p += 4;
          p += 2 + buf.readInt16BE(p); // host
          p += 4; // port
          const rack = buf.readInt16BE(p);
          p += 2 + Math.max(rack, 0); // nullable rack: -1 = null
        }
        resolve(ids);
      } catch (err) {
        reject(new Error(`malformed metadata response from port ${port}: ${err.message}`));
      }
    });
  });
}

function serverProperties(node, all, version, { secured, zookeeperConnect } = {}) {
  const n = all.length;
  // KIP-848 consumer groups (Kafka 4.x): heartbeats every second instead of 5 s, so an assignment
  // or a rebalance takes seconds, as the classic protocol's with group.initial.rebalance.delay.ms=0.
  const consumerGroups = version.startsWith('3.') ? [] : [
    'group.consumer.min.heartbeat.interval.ms=500',
    'group.consumer.heartbeat.interval.ms=1000',
    'group.consumer.min.session.timeout.ms=6000',
    'group.consumer.session.timeout.ms=10000',
  ];
  const plainListeners = [
    `listeners=PLAINTEXT://${HOST}:${node.port},CONTROLLER://${HOST}:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${node.port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
  ];
  // ZooKeeper mode (3.x only): the broker registers in ZooKeeper instead of a KRaft quorum.
  const membership = zookeeperConnect ? [
    `broker.id=${node.id}`,
    `zookeeper.connect=${zookeeperConnect}`,
    `listeners=PLAINTEXT://${HOST}:${node.port}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${node.port}`,
  ] : [
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${all.map((x) => `${x.id}@${HOST}:${x.controllerPort}`).join(',')}`,
    ...(secured ? securedListenerProperties(node, secured) : plainListeners),
    'controller.listener.names=CONTROLLER',
  ];
  return [
    ...membership,
    `log.dirs=${node.logDir}`,
    'num.network.threads=2',
    'num.io.threads=2',
    'num.partitions=1',
    'auto.create.topics.enable=true',
    'group.initial.rebalance.delay.ms=0',
    // Internal topics: replicated on every node (up to 3); one partition each so that the first
    // consumer group / transactional producer does not wait for 50 partitions to be created.
    `offsets.topic.replication.factor=${Math.min(n, 3)}`,
    'offsets.topic.num.partitions=1',
    `transaction.state.log.replication.factor=${Math.min(n, 3)}`,
    `transaction.state.log.min.isr=${Math.min(n, 2)}`,
    'transaction.state.log.num.partitions=1',
    // min.insync.replicas stays at its default (1), so a 3-node cluster still accepts acks=all
    // writes with only one replica left.
    ...consumerGroups,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// A secured node: TLS and SASL listeners, ACLs on. Certificates are made with openssl at start.

/** The users a secured broker knows, with their passwords (SCRAM and PLAIN alike). */
export const SECURED_USERS = Object.freeze({ admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' });

// EC keys: generated in milliseconds, where RSA keys cost a noticeable part of the start.
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args, cwd) {
  const r = await new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { cwd });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (err) => reject(err.code === 'ENOENT' ? missingCommandError('openssl', 'openssl') : err));
    child.on('close', (code) => resolve({ code, out }));
  });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (exit ${r.code}):\n${tail(r.out)}`);
}

async function makeCa(dir, name) {
  await openssl(['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '7',
    '-subj', `/CN=rdkafka-napi test ${name}`], dir);
}

// A certificate signed by `ca`, with subject CN=cn and the given subjectAltName (or none).
// `dates` = [start, end] in openssl's YYYYMMDDHHMMSSZ makes one valid only then (an expired one).
async function makeCert(dir, ca, name, cn, san, dates) {
  await openssl(['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  const ext = path.join(dir, `${name}.ext`);
  await fsp.writeFile(ext, san ? `subjectAltName=${san}\n` : 'basicConstraints=CA:FALSE\n');
  if (dates) {
    // Only `openssl ca` takes explicit validity dates (x509 -req counts days from now).
    const caDir = path.join(dir, `${name}-ca`);
    await fsp.mkdir(caDir);
    await fsp.writeFile(path.join(caDir, 'index.txt'), '');
    await fsp.writeFile(path.join(caDir, 'ca.cnf'), ['[ca]', 'default_ca=ca_default', '[ca_default]',
      `database=${caDir}/index.txt`, `new_certs_dir=${caDir}`, `serial=${caDir}/serial`, 'default_md=sha256',
      'policy=policy_any', 'unique_subject=no', '[policy_any]', 'commonName=supplied', ''].join('\n'));
    await fsp.writeFile(path.join(caDir, 'serial'), '01\n');
    await openssl(['ca', '-batch', '-config', path.join(caDir, 'ca.cnf'), '-cert', `${ca}.pem`, '-keyfile', `${ca}.key`,
      '-in', `${name}.csr`, '-out', `${name}.pem`, '-notext', '-startdate', dates[0], '-enddate', dates[1], '-extfile', ext], dir);
  } else {
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`,
      // A random serial each: -CAcreateserial's shared serial file races when certificates are made in parallel.
      '-set_serial', `0x${crypto.randomBytes(8).toString('hex')}`,
      '-out', `${name}.pem`, '-days', '7', '-extfile', ext], dir);
  }
  // Kafka's PEM key store: the private key (PKCS#8) followed by the certificate, in one file.
  await fsp.writeFile(path.join(dir, `${name}.keystore.pem`),
    (await fsp.readFile(path.join(dir, `${name}.key`), 'utf8')) + (await fsp.readFile(path.join(dir, `${name}.pem`), 'utf8')));
}

/**
 * Makes the certificates of a secured broker in `dir`: a CA (ca.pem) that signs the broker's
 * certificate (broker.pem, for 127.0.0.1 and localhost), one for a host name nobody uses
 * (wronghost.pem), client certificates (CN=admin, CN=alice, CN=bob; alice-expired.pem expired in
 * 2020) and a second CA nobody trusts (rogue-ca.pem) with a client certificate of its own.
 * Every X has X.pem, X.key and X.keystore.pem (key + certificate, as Kafka's PEM key store wants);
 * alice.p12 is alice's as a PKCS#12 key store (password alice-secret).
 */
async function makeCertificates(dir) {
  await fsp.mkdir(dir, { recursive: true });
  await Promise.all([makeCa(dir, 'ca'), makeCa(dir, 'rogue-ca')]);
  await Promise.all([
    makeCert(dir, 'ca', 'broker', 'localhost', 'DNS:localhost,IP:127.0.0.1'),
    makeCert(dir, 'ca', 'wronghost', 'kafka.wrong-host.invalid', 'DNS:kafka.wrong-host.invalid'),
    ...Object.keys(SECURED_USERS).map((user) => makeCert(dir, 'ca', user, user)),
    makeCert(dir, 'ca', 'alice-expired', 'alice', undefined, ['20200101000000Z', '20200102000000Z']),
    makeCert(dir, 'rogue-ca', 'rogue', 'alice'),
  ]);
  // alice's certificate and key also as a PKCS#12 key store (ssl.keystore.location), password alice-secret.
  await openssl(['pkcs12', '-export', '-in', 'alice.pem', '-inkey', 'alice.key', '-out', 'alice.p12',
    '-passout', `pass:${SECURED_USERS.alice}`], dir);
}

function securedListenerProperties(node, { certDir, ports }) {
  const cert = (name) => path.join(certDir, name);
  const plainUsers = Object.entries(SECURED_USERS).map(([u, p]) => `user_${u}="${p}"`).join(' ');
  const listeners = { INTERNAL: node.port, SSL: ports.ssl, SASL_SSL: ports.saslSsl, OAUTH: ports.oauth, WRONGHOST: ports.wrongHost };
  return [
    `listeners=${Object.entries(listeners).map(([n, p]) => `${n}://${HOST}:${p}`).join(',')},CONTROLLER://${HOST}:${node.controllerPort}`,
    `advertised.listeners=${Object.entries(listeners).map(([n, p]) => `${n}://${HOST}:${p}`).join(',')}`,
    // The internal listener (plaintext, 127.0.0.1 only) carries broker and controller traffic;
    // its anonymous principal is a super user, as is `admin` on the secured listeners.
    'inter.broker.listener.name=INTERNAL',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,OAUTH:SASL_SSL,WRONGHOST:SSL',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users=User:admin;User:ANONYMOUS',
    'allow.everyone.if.no.acl.found=false',
    // TLS on every secured listener; client certificates required on SSL ones (CN=alice is User:alice).
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${cert('broker.keystore.pem')}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${cert('ca.pem')}`,
    'ssl.client.auth=none',
    'listener.name.ssl.ssl.client.auth=required',
    'listener.name.wronghost.ssl.client.auth=required',
    `listener.name.wronghost.ssl.keystore.location=${cert('wronghost.keystore.pem')}`,
    'listener.name.wronghost.ssl.keystore.type=PEM',
    'ssl.principal.mapping.rules=RULE:^CN=([^,]*)$/$1/,DEFAULT',
    // SASL_SSL: SCRAM users are added at format time; PLAIN users are listed here.
    'listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
    // OAUTH: Kafka's unsecured JWT validator (alg "none"; the principal is the "sub" claim).
    'listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER',
    'listener.name.oauth.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
    'connections.max.reauth.ms=0',
  ];
}

/**
 * ZooKeeper (3.8.4, among Kafka 3.9.1's own jars) for a ZooKeeper-mode broker: one server on
 * 127.0.0.1:port, its data in runDir/zookeeper. Resolves once it accepts connections.
 */
async function startZooKeeper(runDir, port, classpath, kafka, timeoutMs) {
  const zkDir = path.join(runDir, 'zookeeper');
  await fsp.mkdir(path.join(zkDir, 'data'), { recursive: true });
  const cfg = path.join(zkDir, 'zoo.cfg');
  await fsp.writeFile(cfg, [`dataDir=${path.join(zkDir, 'data')}`, `clientPort=${port}`, `clientPortAddress=${HOST}`,
    'tickTime=2000', 'maxClientCnxns=0', 'admin.enableServer=false', '4lw.commands.whitelist=ruok', ''].join('\n'));
  const logFile = path.join(zkDir, 'zookeeper.log');
  const fd = fs.openSync(logFile, 'a');
  const child = track(spawnJava(['-Xmx128m', ...commonJvmArgs(kafka), '-cp', classpath,
    'org.apache.zookeeper.server.ZooKeeperServerMain', cfg], { stdio: ['ignore', fd, fd] }));
  fs.closeSync(fd);
  let exited = false;
  child.on('error', () => {});
  child.once('exit', () => (exited = true));
  const stop = async () => {
    if (exited) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await gone;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  // "ruok" answers "imok" once the server serves clients.
  const ruok = () => new Promise((resolve) => {
    const socket = net.connect(port, HOST, () => socket.end('ruok'));
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('close', () => resolve(text === 'imok'));
    socket.on('error', () => resolve(false));
  });
  while (!(await ruok())) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`ZooKeeper ${exited ? 'exited' : `not ready after ${timeoutMs} ms`}; last lines of ${logFile}:\n${fileTail(logFile)}`);
    }
    await sleep(200);
  }
  return { connect: `${HOST}:${port}`, stop };
}

/**
 * Starts a Kafka cluster of `nodes` combined broker+controller nodes on 127.0.0.1, in a fresh
 * temp dir under `dir` (default: the OS temp dir), and waits until every node answers a Metadata
 * request listing all nodes. `version`: the Kafka version (default 3.9.1; or 4.1.1). Resolves to:
 *   { bootstrapServers, dir, clusterId, version,
 *     nodes: [{ id, port, controllerPort, pid, dir, logDir, logFile }],
 *     stop(), kill(id, signal = 'SIGKILL'), restart(id) }
 * (logDir = Kafka's log.dirs; logFile = the node's stdout+stderr; pid is null while it is down.)
 */
export async function startKafka(options = {}) {
  // Ports are picked free, then bound by the JVM a moment later; on a busy machine another
  // process can take one in between. Start again on fresh ports when that happens.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startKafkaOnce(options);
    } catch (error) {
      if (attempt === 3 || !String(error?.message ?? error).includes('Address already in use')) throw error;
    }
  }
}

async function startKafkaOnce({ nodes: count = 1, dir, timeoutMs = 60000, version, secured: wantSecured = false, zookeeper = false } = {}) {
  if (wantSecured && zookeeper) throw new Error('a secured node runs in KRaft mode, not with ZooKeeper');
  if (!Number.isInteger(count) || count < 1) throw new Error(`nodes must be a positive integer, got ${count}`);
  if (wantSecured && count !== 1) throw new Error('a secured cluster has one node');
  const kafka = kafkaVersion(version);
  if (zookeeper && !kafka.version.startsWith('3.')) throw new Error(`ZooKeeper mode needs Kafka 3.x (Kafka ${kafka.version} runs only in KRaft mode)`);
  const classpath = await kafkaClasspath(kafka.version);
  const runDir = await fsp.mkdtemp(path.join(dir ?? os.tmpdir(), 'rdkafka-napi-kafka-'));
  liveRunDirs.add(runDir);
  const clusterId = randomClusterId();
  const ports = await freePorts(2 * count + (wantSecured ? 4 : 0) + (zookeeper ? 1 : 0));
  let secured;
  if (wantSecured) {
    const certDir = path.join(runDir, 'certs');
    await makeCertificates(certDir);
    const [ssl, saslSsl, oauth, wrongHost] = ports.slice(2 * count);
    secured = { certDir, ports: { ssl, saslSsl, oauth, wrongHost } };
  }
  let zk; // the ZooKeeper process and its address, in ZooKeeper mode
  const nodes = Array.from({ length: count }, (_, i) => {
    const nodeDir = path.join(runDir, `node-${i + 1}`);
    return {
      id: i + 1, port: ports[2 * i], controllerPort: ports[2 * i + 1], pid: null,
      dir: nodeDir, logDir: path.join(nodeDir, 'data'), logFile: path.join(nodeDir, 'server.log'),
    };
  });
  const procs = new Map(); // id -> ChildProcess while it runs
  const propsFile = (node) => path.join(node.dir, 'server.properties');
  const byId = (id) => {
    const node = nodes.find((x) => x.id === id);
    if (!node) throw new Error(`no Kafka node with id ${id}`);
    return node;
  };

  function spawnNode(node) {
    // The JVM writes straight into the file, so its output never reaches our terminal or pipes.
    const fd = fs.openSync(node.logFile, 'a');
    const child = track(spawnJava([...BROKER_JVM_ARGS, ...commonJvmArgs(kafka), '-cp', classpath,
      'kafka.Kafka', propsFile(node)], { stdio: ['ignore', fd, fd] }));
    fs.closeSync(fd);
    procs.set(node.id, child);
    node.pid = child.pid;
    child.on('error', () => {}); // a failed spawn also emits 'exit', which is handled below
    child.once('exit', (code, signal) => {
      if (procs.get(node.id) === child) procs.delete(node.id);
      if (node.pid === child.pid) node.pid = null;
      node.lastExit = { code, signal };
    });
  }

  async function stopNode(node, graceMs = 20000) {
    const child = procs.get(node.id);
    if (!child) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  // Polls until each node answers Metadata listing (at least) the expected node ids.
  async function waitReady(waitFor, expectIds) {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(waitFor);
    while (pending.size) {
      for (const node of pending) {
        if (!procs.has(node.id)) {
          const why = node.lastExit ? `exited (code ${node.lastExit.code}, signal ${node.lastExit.signal})` : 'is not running';
          throw new Error(`Kafka node ${node.id} ${why} before it was ready; last lines of ${node.logFile}:\n${fileTail(node.logFile)}`);
        }
        const ids = await metadataBrokerIds(node.port).catch(() => []);
        if (expectIds.every((id) => ids.includes(id))) pending.delete(node);
      }
      if (!pending.size) break;
      if (Date.now() > deadline) {
        throw new Error(`Kafka node(s) ${[...pending].map((x) => x.id).join(', ')} not ready after ${timeoutMs} ms` +
          [...pending].map((x) => `\n--- last lines of ${x.logFile} ---\n${fileTail(x.logFile)}`).join(''));
      }
      await sleep(200);
    }
  }

  let stopping; // the one stop() promise, so concurrent or repeated calls all wait for it
  function stop() {
    stopping ??= (async () => {
      await Promise.all(nodes.map((node) => stopNode(node)));
      await zk?.stop();
      await fsp.rm(runDir, { recursive: true, force: true, maxRetries: 3 });
      liveRunDirs.delete(runDir);
    })();
    return stopping;
  }

  try {
    if (zookeeper) zk = await startZooKeeper(runDir, ports[2 * count], classpath, kafka, timeoutMs);
    await Promise.all(nodes.map(async (node) => {
      await fsp.mkdir(node.logDir, { recursive: true });
      await fsp.writeFile(propsFile(node), serverProperties(node, nodes, kafka.version, { secured, zookeeperConnect: zk?.connect }));
      if (zk) return; // a ZooKeeper-mode log dir needs no formatting
      const scram = !secured ? [] : Object.entries(SECURED_USERS).flatMap(([user, password]) =>
        ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${user},password=${password}]`]));
      const r = await run(JAVA, [...QUICK_JVM_ARGS, ...commonJvmArgs(kafka), '-cp', classpath,
        'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile(node), ...scram], { java: true });
      if (r.code !== 0) throw new Error(`formatting ${node.logDir} failed (exit ${r.code}):\n${tail(r.stdout + r.stderr)}`);
    }));
    // All at once: a controller quorum of 3 needs 2 voters up before any node can finish starting.
    nodes.forEach(spawnNode);
    await waitReady(nodes, nodes.map((x) => x.id));
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  return {
    bootstrapServers: nodes.map((x) => `${HOST}:${x.port}`).join(','),
    ...(secured && {
      secured: {
        certDir: secured.certDir,
        users: SECURED_USERS,
        ssl: `${HOST}:${secured.ports.ssl}`,
        saslSsl: `${HOST}:${secured.ports.saslSsl}`,
        oauth: `${HOST}:${secured.ports.oauth}`,
        wrongHost: `${HOST}:${secured.ports.wrongHost}`,
      },
    }),
    /** In ZooKeeper mode: ZooKeeper's host:port. */
    zookeeperConnect: zk?.connect,
    clusterId,
    version: kafka.version,
    dir: runDir,
    nodes,
    stop,
    /** Sends a signal to one node (default SIGKILL: a crash). Returns false if it was not running. */
    kill(id, signal = 'SIGKILL') {
      const child = procs.get(byId(id).id);
      return child ? child.kill(signal) : false;
    },
    /** Stops the node if it runs (SIGTERM, then SIGKILL after 20 s), starts it again on the same
     *  ports and data, and waits until it serves Metadata and lists itself as a live broker. */
    async restart(id) {
      if (stopping) throw new Error('this Kafka cluster was stopped');
      const node = byId(id);
      await stopNode(node);
      spawnNode(node);
      await waitReady([node], [node.id]);
      return node;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CLI

/** The value of `--name V` or `--name=V` in argv, else undefined. */
function flag(argv, name) {
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(name.length + 1) : argv[i + 1];
}

async function main(argv) {
  const [command, ...rest] = argv;
  const asked = flag(rest, '--version') ?? DEFAULT_KAFKA_VERSION;
  const version = asked === 'latest' ? LATEST_KAFKA_VERSION : asked;
  if (command === 'fetch') {
    const started = Date.now();
    await kafkaClasspath(version);
    console.error(`Kafka ${version} jars ready in ${kafkaVersion(version).cacheDir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } else if (command === 'start') {
    const nodes = Number(flag(rest, '--nodes') ?? 1);
    const secured = rest.includes('--secured');
    let kafka;
    let stopping = false;
    const shutdown = async () => {
      if (stopping) return;
      stopping = true;
      // Still starting: exiting runs the 'exit' handler, which kills the JVMs and removes the dir.
      if (kafka) await kafka.stop();
      process.exit(kafka ? 0 : 130);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    const started = Date.now();
    const zookeeper = rest.includes('--zookeeper');
    kafka = await startKafka({ nodes, version, secured, zookeeper });
    for (const n of kafka.nodes) {
      console.error(`node ${n.id}: port ${n.port}, controller port ${n.controllerPort}, pid ${n.pid}, log ${n.logFile}`);
    }
    console.error(`Kafka ${version} cluster of ${nodes} node(s) ready in ${((Date.now() - started) / 1000).toFixed(1)} s; Ctrl-C stops it`);
    console.log(`bootstrap.servers=${kafka.bootstrapServers}`);
    if (kafka.secured) console.log(JSON.stringify(kafka.secured, null, 2));
    if (kafka.zookeeperConnect) console.log(`zookeeper.connect=${kafka.zookeeperConnect}`);
  } else {
    console.error(`usage: node scripts/kafka/broker.mjs fetch [--version V] | start [--nodes N] [--version V] [--secured] [--zookeeper]  (V: ${Object.keys(VERSIONS).join(', ')} or latest)`);
    process.exitCode = 2;
  }
}

const invokedDirectly = process.argv[1] &&
  fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
