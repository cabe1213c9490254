// kafka.credentials.passthrough: the proxy's users are Kafka principals. A request's HTTP Basic
// credentials (or Bearer token) become the SASL PLAIN/SCRAM login (or OAUTHBEARER token) of a
// producer, a cluster view and consumer instances made for that user, pooled per credentials and
// closed when idle. Kafka's ACLs then apply per user; a consumer instance belongs to its maker.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { KafkaError } from '../errors';
import { log, type Logger } from '../logger';
import { Producer } from '../producer';
import type { Record } from '../record';
import { AdminClusterView } from './cluster-view';
import type { ProxyConfig } from './config';
import { ConsumerInstances, type ConsumerInstance } from './consumer-instances';
import { RestError } from './rest-error';
import { isProbe } from './metrics';

/** What a request authenticated with. */
export type Credentials = { kind: 'basic'; user: string; password: string } | { kind: 'bearer'; user: string; token: string };

/** One user's clients, logged in to Kafka as that user. */
export interface UserClients {
  readonly key: string;
  readonly user: string;
  readonly producer: Producer;
  readonly cluster: AdminClusterView;
  readonly instances: ConsumerInstances;
  lastUsed: number;
}

const unauthorized = (message: string) => Object.assign(new RestError(401, 40101, message), { statusCode: 401 });

/** The credentials of an Authorization header, or a 401 naming what is wrong. */
export function credentialsOf(header: string | undefined): Credentials {
  const [scheme, value = ''] = (header ?? '').split(/\s+/, 2);
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    if (at <= 0) throw unauthorized('Basic credentials must be base64 of user:password');
    return { kind: 'basic', user: decoded.slice(0, at), password: decoded.slice(at + 1) };
  }
  if (/^bearer$/i.test(scheme) && value !== '') return { kind: 'bearer', user: jwtSubject(value) ?? 'bearer', token: value };
  throw unauthorized('Authentication required: HTTP Basic (a Kafka user and password) or a Bearer token (an OAUTHBEARER token for Kafka)');
}

function jwtSubject(token: string): string | undefined {
  try {
    const sub: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

export interface UserPoolOptions {
  config: ProxyConfig;
  bootstrapServers: string;
  logger?: Logger;
  /** Consumer instances may take the schema formats (a registry is configured or embedded). */
  schemaFormats?: boolean;
  /** The id of an instance the client does not name (see ConsumerInstances). */
  generateName?: () => string;
  /** Called with the records each request returns (see ConsumerInstances). */
  onReturned?: (records: Record[]) => void;
}

/** The users' clients, by credentials; at most kafka.credentials.max.users at once. */
export class UserPool {
  readonly #users = new Map<string, Promise<UserClients>>();
  /** The users logged in, by key (those of #users whose login finished). */
  readonly #ready = new Map<string, UserClients>();
  /** `group\0name` of every consumer instance → its owner's key. */
  readonly #owners = new Map<string, string>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #store = new AsyncLocalStorage<UserClients>();

  constructor(readonly options: UserPoolOptions) {
    const idle = options.config.credentialsIdleTimeoutMs;
    this.#sweeper = setInterval(() => void this.expire(), Math.max(50, Math.min(5000, idle / 4)));
    this.#sweeper.unref();
  }

  /** The clients of the user whose request is being served. */
  current(): UserClients {
    const clients = this.#store.getStore();
    if (clients === undefined) throw new RestError(500, 500, 'No user for this request (kafka.credentials.passthrough)');
    clients.lastUsed = Date.now();
    return clients;
  }

  /** Logs a new user in (a metadata request with their credentials: a refusal is a 401) or finds their clients. */
  acquire(credentials: Credentials): Promise<UserClients> {
    const secret = credentials.kind === 'basic' ? credentials.password : credentials.token;
    const key = createHash('sha256').update(`${credentials.kind}\0${credentials.user}\0${secret}`).digest('hex');
    let clients = this.#users.get(key);
    if (clients === undefined) {
      if (this.#users.size >= this.options.config.credentialsMaxUsers) {
        throw Object.assign(new RestError(429, 42901, `Too many users with clients open (at most ${this.options.config.credentialsMaxUsers}, kafka.credentials.max.users)`), { statusCode: 429 });
      }
      clients = this.#login(key, credentials);
      this.#users.set(key, clients);
      clients.then(
        (c) => this.#ready.set(key, c),
        () => this.#users.delete(key),
      );
    }
    return clients;
  }

  async #login(key: string, credentials: Credentials): Promise<UserClients> {
    const { config, bootstrapServers, logger } = this.options;
    const client: { [key: string]: string | boolean } = { 'bootstrap.servers': bootstrapServers, 'socket.nagle.disable': true, ...config.client };
    let options = {};
    if (credentials.kind === 'basic') {
      Object.assign(client, { 'sasl.username': credentials.user, 'sasl.password': credentials.password });
    } else {
      // The token is the user's own: librdkafka asks for it, the proxy hands over what the request carried.
      Object.assign(client, { 'sasl.mechanism': 'OAUTHBEARER' }, config.credentialsBearerBootstrapServers ? { 'bootstrap.servers': config.credentialsBearerBootstrapServers } : {});
      options = { oauthBearerProvider: () => ({ value: credentials.token, lifetime: Date.now() + config.credentialsIdleTimeoutMs, principal: credentials.user }) };
    }
    const cluster = new AdminClusterView(client['bootstrap.servers'] as string, stringValues(client), undefined, logger, options);
    try {
      await cluster.clusterId();
    } catch (error) {
      await cluster.close();
      if (error instanceof KafkaError && (error.code === -169 || error.code === 58)) throw unauthorized(`Kafka refused the credentials of '${credentials.user}': ${error.message}`);
      throw error;
    }
    const producer = new Producer({ partitioner: 'murmur2_random', 'sticky.partitioning.linger.ms': 0, 'linger.ms': 2, ...client, ...config.producer }, { logger, ...options });
    const instances = new ConsumerInstances({
      schemaFormats: this.options.schemaFormats,
      generateName: this.options.generateName,
      onReturned: this.options.onReturned,
      logger,
      consumerConfig: { ...client, ...config.consumer },
      clientOptions: options,
      instanceTimeoutMs: config.consumerInstanceTimeoutMs,
      requestTimeoutMs: config.consumerRequestTimeoutMs,
      maxInstances: config.consumerMaxInstances,
      maxInstancesPerOwner: config.consumerMaxInstancesPerUser,
    });
    if (logger !== undefined) log(logger, 'info', { user: credentials.user }, `Kafka clients opened for '${credentials.user}'`);
    return { key, user: credentials.user, producer, cluster, instances, lastUsed: Date.now() };
  }

  /** Serves each request of `app` as its user (call before the routes are registered). */
  install(app: FastifyInstance): void {
    const userOf = new WeakMap<object, UserClients>();
    const challenge = (reply: { header(name: string, value: string): unknown }, error: unknown) => {
      if (error instanceof RestError && error.status === 401) reply.header('www-authenticate', 'Basic realm="rdkafka-napi", Bearer');
    };
    // Logged in before the body is read: a request without valid credentials is refused at once.
    app.addHook('onRequest', async (req, reply) => {
      if (isProbe(req)) return;
      try {
        userOf.set(req, await this.acquire(credentialsOf(req.headers.authorization)));
      } catch (error) {
        challenge(reply, error);
        throw error;
      }
    });
    // The handler runs inside the user's context (entered after the body was parsed, whose
    // stream events would leave it): the stand-ins below find the user there.
    app.addHook('preHandler', (req, _reply, done) => {
      const clients = userOf.get(req);
      if (clients === undefined) return done();
      clients.lastUsed = Date.now();
      this.#store.run(clients, () => done());
    });
  }

  /** Stand-ins for the shared producer, cluster view and instances, acting for the request's user. */
  producer(): Producer {
    return delegate(() => this.current().producer);
  }

  cluster(): AdminClusterView {
    return delegate(() => this.current().cluster);
  }

  instances(): ConsumerInstances {
    const owned = (group: string, name: string | undefined): ConsumerInstances => {
      const clients = this.current();
      const owner = name === undefined ? undefined : this.#owners.get(`${group}\0${name}`);
      if (owner !== undefined && owner !== clients.key && this.#alive(owner, group, name!)) {
        throw new RestError(403, 40301, `Consumer instance ${name} in group ${group} belongs to another user`);
      }
      return clients.instances;
    };
    const pool = this;
    return {
      get: (group: string, name: string): ConsumerInstance => owned(group, name).get(group, name),
      create(group: string, body: unknown, owner?: string): ConsumerInstance {
        const request = (body ?? {}) as { name?: unknown; id?: unknown };
        const asked = typeof request === 'object' ? (request.name ?? request.id) : undefined;
        const instance = owned(group, typeof asked === 'string' ? asked : undefined).create(group, body, owner);
        pool.#owners.set(`${group}\0${instance.name}`, pool.current().key);
        return instance;
      },
      async delete(group: string, name: string): Promise<void> {
        await owned(group, name).delete(group, name);
        pool.#owners.delete(`${group}\0${name}`);
      },
      closeAll: () => pool.closeAll(),
    } as unknown as ConsumerInstances;
  }

  /** Whether some user of this proxy has the consumer instance (for the peers behind a load balancer). */
  hasInstance(group: string, name: string): boolean {
    const owner = this.#owners.get(`${group}\0${name}`);
    return owner !== undefined && this.#alive(owner, group, name);
  }

  /** Consumer instances open, all users together. */
  instanceCount(): number {
    let count = 0;
    for (const clients of this.#ready.values()) count += clients.instances.size;
    return count;
  }

  /** Whether the owner still has that instance (an expired one is anybody's name again). */
  #alive(ownerKey: string, group: string, name: string): boolean {
    const clients = this.#ready.get(ownerKey);
    if (clients === undefined || !clients.instances.has(group, name)) {
      this.#owners.delete(`${group}\0${name}`);
      return false;
    }
    return true;
  }

  /** Closes the clients of users idle past kafka.credentials.idle.timeout.ms with no consumer instance left. */
  async expire(now = Date.now()): Promise<void> {
    const idle = [...this.#ready.values()].filter((c) => now - c.lastUsed > this.options.config.credentialsIdleTimeoutMs && c.instances.size === 0);
    for (const c of idle) {
      this.#users.delete(c.key);
      this.#ready.delete(c.key);
    }
    await Promise.all(idle.map((c) => closeClients(c)));
  }

  /** Closes every user's clients. */
  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#users.values()];
    this.#users.clear();
    this.#ready.clear();
    await Promise.all(all.map((p) => p.then(closeClients, () => undefined)));
  }

  /** How many users have clients open. */
  get size(): number {
    return this.#users.size;
  }
}

async function closeClients(c: UserClients): Promise<void> {
  await Promise.all([c.instances.closeAll(), c.producer.close().catch(() => undefined), c.cluster.close().catch(() => undefined)]);
}

function stringValues(config: { [key: string]: string | boolean }): { [key: string]: string } {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
}

/** An object whose every property is read from `target()` at the time of use (methods bound to it). */
function delegate<T extends object>(target: () => T): T {
  return new Proxy({} as T, {
    get(_, property) {
      const t = target();
      const value: unknown = Reflect.get(t, property, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}
