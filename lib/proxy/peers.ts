// Many proxies behind one load balancer: a request for a consumer instance that another proxy
// owns is forwarded to that proxy, streamed both ways. The owner is found from the instance id
// (a generated id carries its owner's URL) or by asking the other proxies, and only proxies of
// the configured allowlist (`peers`) are ever contacted: a forged id cannot make this an open relay.
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { log, type Logger } from '../logger';
import { notFoundInstance, RestError } from './rest-error';

/** Set on a forwarded request: the proxy that gets it answers it itself, never forwards it again. */
export const FORWARDED_HEADER = 'x-rdkafka-proxy-forwarded-by';

/** Headers of one connection, not of the request (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'proxy-authorization']);

/** How long a lookup waits for a peer's answer: a peer that takes longer does not own it. */
const LOOKUP_TIMEOUT_MS = 5000;

export interface PeerOptions {
  /** This proxy's own URL, as it appears in `peers`. */
  self: string;
  /** The proxies a consumer instance may live on (self included): the only hosts ever contacted. */
  peers: string[];
  /** How long a forwarded request waits on the owner without a byte from it (peer.request.timeout.ms). */
  requestTimeoutMs: number;
  /** Whether this proxy has the instance. */
  owns(group: string, name: string): boolean;
  logger: Logger;
  /** Counts each forwarded request (for /metrics). */
  onForward?: () => void;
}

/** A URL in the one spelling peers are compared by: scheme, host and port, no trailing slash. */
export function peerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new Error(`peers: ${JSON.stringify(value)} is not a URL (http://host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`peers: ${JSON.stringify(value)} must be an http:// or https:// URL`);
  return url.origin;
}

const tagOf = (url: string) => Buffer.from(url, 'utf8').toString('base64url');

export class PeerRouter {
  readonly #self: string;
  readonly #others: string[];
  readonly #allowed: Set<string>;
  readonly #agents = new Map<string, HttpAgent>();

  constructor(readonly options: PeerOptions) {
    this.#self = peerUrl(options.self);
    this.#allowed = new Set(options.peers.map(peerUrl));
    if (!this.#allowed.has(this.#self)) throw new Error(`peers: this proxy's own URL ${this.#self} (peer.url, else its listener) is not in peers (${[...this.#allowed].join(', ')})`);
    this.#others = [...this.#allowed].filter((p) => p !== this.#self);
    for (const peer of this.#others) {
      // Keep-alive to each peer, bounded: a client cannot make us hold more sockets than this.
      const agentOptions = { keepAlive: true, maxSockets: 256, maxFreeSockets: 32 };
      this.#agents.set(peer, peer.startsWith('https:') ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions));
    }
  }

  /** A new instance id that names this proxy, so any peer finds its owner without asking. */
  generatedName(): string {
    return `rest-consumer-${randomUUID()}.${tagOf(this.#self)}`;
  }

  /** The allowlisted peer a generated id names, or undefined (a client's own name, or a forged one). */
  ownerNamed(name: string): string | undefined {
    const at = name.lastIndexOf('.');
    if (at < 0) return undefined;
    const url = Buffer.from(name.slice(at + 1), 'base64url').toString('utf8');
    return this.#allowed.has(url) ? url : undefined;
  }

  /** The peer that has the instance: named by its id, else the one of the others that answers it has it. */
  async ownerOf(group: string, name: string, authorization: string | undefined): Promise<string | undefined> {
    const named = this.ownerNamed(name);
    if (named !== undefined) return named === this.#self ? undefined : named;
    if (this.#others.length === 0) return undefined;
    const path = `/_peers/instances/${encodeURIComponent(group)}/${encodeURIComponent(name)}`;
    const asks = this.#others.map((peer) => this.#has(peer, path, authorization).then((has) => (has ? peer : Promise.reject(new Error('not there')))));
    return Promise.any(asks).catch(() => undefined);
  }

  #has(peer: string, path: string, authorization: string | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      const headers: { [name: string]: string } = { [FORWARDED_HEADER]: this.#self };
      if (authorization !== undefined) headers.authorization = authorization;
      const send = peer.startsWith('https:') ? httpsRequest : httpRequest;
      const req = send(`${peer}${path}`, { method: 'GET', headers, agent: this.#agents.get(peer), timeout: LOOKUP_TIMEOUT_MS }, (res) => {
        res.resume();
        resolve(res.statusCode === 204);
      });
      // A peer that is down or slow does not have it.
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /**
   * Adds the peers' lookup route and the hooks that forward a request for an instance owned
   * elsewhere (call before the routes' own hooks, so that nothing reads the body first).
   */
  install(app: FastifyInstance): void {
    app.get('/_peers/instances/:group/:name', async (req, reply) => {
      const { group, name } = req.params as { group: string; name: string };
      if (!this.options.owns(group, name)) throw notFoundInstance(group, name);
      return reply.code(204).send();
    });

    // Callback hooks, not async ones: no promise for the requests they let through.
    app.addHook('onRequest', (req, reply, done) => {
      if (!req.routeOptions.url?.startsWith('/consumers/:group/instances/:name') || req.headers[FORWARDED_HEADER] !== undefined) return done();
      const { group, name } = req.params as { group: string; name: string };
      if (this.options.owns(group, name)) return done();
      this.ownerOf(group, name, req.headers.authorization).then((owner) => {
        if (owner === undefined) return done(); // the route answers 40403
        this.options.onForward?.();
        this.#forward(req, reply, owner, group, name);
      }, done);
    });

    // A name taken on another proxy is taken here too (40902), as on one proxy.
    app.addHook('preHandler', (req, _reply, done) => {
      if (req.method !== 'POST' || req.routeOptions.url !== '/consumers/:group') return done();
      const body = req.body as { name?: unknown; id?: unknown } | undefined;
      const name = typeof body === 'object' && body !== null ? (body.name ?? body.id) : undefined;
      if (typeof name !== 'string') return done();
      const { group } = req.params as { group: string };
      this.ownerOf(group, name, req.headers.authorization).then((owner) => {
        done(owner === undefined ? undefined : new RestError(409, 40902, `Consumer instance with the specified name ${name} already exists`));
      }, done);
    });
  }

  /** Streams the request to the owner and its answer back, status and headers as they are. */
  #forward(req: FastifyRequest, reply: FastifyReply, owner: string, group: string, name: string): void {
    reply.hijack();
    const headers: IncomingHttpHeaders = {};
    for (const [key, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(key)) headers[key] = value;
    headers[FORWARDED_HEADER] = this.#self;
    headers['x-forwarded-for'] = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
    const send = owner.startsWith('https:') ? httpsRequest : httpRequest;
    const upstream = send(`${owner}${req.raw.url ?? '/'}`, { method: req.method, headers, agent: this.#agents.get(owner) }, (res: IncomingMessage) => {
      const back: { [name: string]: string | string[] } = {};
      for (const [key, value] of Object.entries(res.headers)) if (value !== undefined && !HOP_BY_HOP.has(key)) back[key] = value;
      back.via = `1.1 ${this.#self}`;
      reply.raw.writeHead(res.statusCode ?? 502, back);
      res.pipe(reply.raw);
      res.on('error', () => reply.raw.destroy());
    });
    // An owner that accepted the request but went silent (frozen, overloaded) does not hold the client forever.
    upstream.setTimeout(this.options.requestTimeoutMs, () => {
      upstream.destroy(Object.assign(new Error(`no answer within peer.request.timeout.ms (${this.options.requestTimeoutMs} ms)`), { code: 'ETIMEDOUT' }));
    });
    // The client gone: the owner stops working for it too.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) upstream.destroy();
    });
    upstream.on('error', (error: Error & { code?: string }) => {
      if (reply.raw.headersSent) return void reply.raw.destroy();
      // The owner's process is gone (its consumer leaves the group when its session expires).
      log(this.options.logger, 'warn', { owner, group, name, socketError: error.code }, `Forwarding to ${owner} failed: ${error.message}`);
      const why = error.code === 'ETIMEDOUT' ? error.message : (error.code ?? error.message);
      const body = JSON.stringify({ error_code: 40403, message: `${notFoundInstance(group, name).message}: the proxy that had it (${owner}) does not answer (${why})` });
      reply.raw.writeHead(404, { 'content-type': 'application/vnd.kafka.v2+json', 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).end(body);
    });
    req.raw.pipe(upstream);
  }

  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
  }
}
