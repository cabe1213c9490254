// An in-memory Schema Registry speaking the subset of Confluent's Schema Registry API that clients
// use: subjects, versions, register and lookup, schemas by id, config, compatibility. It is what
// `npm start` serves without schema.registry.url (as the embedded broker stands in for Kafka).
// Nothing is kept across restarts. Compatibility (BACKWARD by default, as Confluent's) is checked
// for Avro with avsc's schema resolution; JSON Schema and Protobuf versions are only checked to
// parse, never refused as incompatible.
import type { Type as AvroType } from 'avsc';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { avsc, fastify, protobufjs } from './libraries';

interface Reference {
  name: string;
  subject: string;
  version: number;
}

interface StoredSchema {
  id: number;
  schemaType: string;
  schema: string;
  references: Reference[];
}

interface Version {
  version: number;
  id: number;
  deleted: boolean;
}

type Compatibility = 'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';
const LEVELS = new Set<string>(['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);

class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

const subjectNotFound = (subject: string) => new RegistryError(404, 40401, `Subject '${subject}' not found.`);
const versionNotFound = (version: string) => new RegistryError(404, 40402, `Version ${version} not found.`);
const schemaNotFound = (what = 'Schema not found') => new RegistryError(404, 40403, what);
const invalidSchema = (message: string) => new RegistryError(422, 42201, `Invalid schema: ${message}`);

export interface EmbeddedRegistryOptions {
  /** Most schemas (distinct ids) held; a register past it is refused with 422 (42205). Default 10000. */
  maxSchemas?: number;
  /** Most bytes of schema text held, all schemas together; past it likewise. Default 64 MiB. */
  maxSchemaBytes?: number;
  /** Largest request body; default 1 MiB. */
  maxRequestBytes?: number;
}

/** The registry's state: schemas by id, subjects' versions, compatibility settings. */
export class SchemaStore {
  readonly #schemas: StoredSchema[] = [];
  readonly #byContent = new Map<string, StoredSchema>();
  readonly #subjects = new Map<string, Version[]>();
  readonly #config = new Map<string, Compatibility>();
  #global: Compatibility = 'BACKWARD';

  #bytes = 0;

  constructor(
    readonly maxSchemas = 10_000,
    readonly maxSchemaBytes = 64 * 1024 * 1024,
  ) {}

  subjects(deleted = false): string[] {
    return [...this.#subjects].filter(([, versions]) => versions.some((v) => deleted || !v.deleted)).map(([s]) => s);
  }

  versions(subject: string, deleted = false): Version[] {
    const versions = (this.#subjects.get(subject) ?? []).filter((v) => deleted || !v.deleted);
    if (versions.length === 0) throw subjectNotFound(subject);
    return versions;
  }

  version(subject: string, which: string, deleted = false): Version {
    const versions = this.versions(subject, deleted);
    if (which === 'latest' || which === '-1') return versions[versions.length - 1];
    const n = Number(which);
    if (!Number.isInteger(n) || n < 1) throw new RegistryError(422, 42202, `The specified version '${which}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
    const found = versions.find((v) => v.version === n);
    if (found === undefined) throw versionNotFound(which);
    return found;
  }

  byId(id: number): StoredSchema {
    const schema = this.#schemas[id - 1];
    if (schema === undefined) throw schemaNotFound(`Schema ${id} not found`);
    return schema;
  }

  compatibility(subject?: string): Compatibility | undefined {
    return subject === undefined ? this.#global : this.#config.get(subject);
  }

  setCompatibility(level: unknown, subject?: string): Compatibility {
    if (typeof level !== 'string' || !LEVELS.has(level.toUpperCase())) throw new RegistryError(422, 42203, `Invalid compatibility level ${JSON.stringify(level)}: one of ${[...LEVELS].join(', ')}`);
    const value = level.toUpperCase() as Compatibility;
    if (subject === undefined) this.#global = value;
    else this.#config.set(subject, value);
    return value;
  }

  /** The schema as given, checked to parse; its references must be registered. */
  parse(body: unknown): Omit<StoredSchema, 'id'> {
    if (typeof body !== 'object' || body === null) throw new RegistryError(422, 42201, 'The request must be a JSON object with a "schema" string');
    const { schema, schemaType = 'AVRO', references = [] } = body as { schema?: unknown; schemaType?: unknown; references?: unknown };
    if (typeof schema !== 'string' || schema === '') throw invalidSchema('"schema" must be a non-empty string');
    if (typeof schemaType !== 'string' || !['AVRO', 'JSON', 'PROTOBUF'].includes(schemaType.toUpperCase())) throw new RegistryError(422, 42201, `Unknown schemaType ${JSON.stringify(schemaType)}`);
    if (!Array.isArray(references)) throw invalidSchema('"references" must be an array');
    const refs = references.map((r: unknown, i) => {
      const { name, subject, version } = (r ?? {}) as { [key: string]: unknown };
      if (typeof name !== 'string' || typeof subject !== 'string' || !Number.isInteger(version)) throw invalidSchema(`references[${i}] must be {name, subject, version}`);
      return { name, subject, version: version as number };
    });
    const type = schemaType.toUpperCase();
    const text = type === 'PROTOBUF' ? schema : normalizeJson(schema);
    this.#typeOf({ schemaType: type, schema: text, references: refs }); // throws when it does not parse
    return { schemaType: type, schema: text, references: refs };
  }

  /** Registers under a subject: the existing version's id, or a new version (checked for compatibility). */
  register(subject: string, body: unknown): number {
    const candidate = this.parse(body);
    const versions = this.#subjects.get(subject) ?? [];
    const existing = this.#byContent.get(contentKey(candidate));
    const live = versions.filter((v) => !v.deleted);
    if (existing !== undefined && live.some((v) => v.id === existing.id)) return existing.id;
    const problem = this.#incompatibility(subject, candidate, live);
    if (problem !== undefined) throw new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}": ${problem}`);
    let stored = existing;
    if (stored === undefined) {
      if (this.#schemas.length >= this.maxSchemas) throw new RegistryError(422, 42205, `The embedded registry holds at most ${this.maxSchemas} schemas`);
      const size = Buffer.byteLength(candidate.schema);
      if (this.#bytes + size > this.maxSchemaBytes) throw new RegistryError(422, 42205, `The embedded registry holds at most ${this.maxSchemaBytes} bytes of schemas; ${this.#bytes} are taken`);
      this.#bytes += size;
      stored = { id: this.#schemas.length + 1, ...candidate };
      this.#schemas.push(stored);
      this.#byContent.set(contentKey(candidate), stored);
    }
    versions.push({ version: (versions[versions.length - 1]?.version ?? 0) + 1, id: stored.id, deleted: false });
    this.#subjects.set(subject, versions);
    return stored.id;
  }

  /** The version of a subject holding this schema. */
  lookup(subject: string, body: unknown, deleted = false): Version {
    const versions = this.versions(subject, deleted);
    const candidate = this.parse(body);
    const existing = this.#byContent.get(contentKey(candidate));
    const found = existing === undefined ? undefined : versions.find((v) => v.id === existing.id);
    if (found === undefined) throw schemaNotFound();
    return found;
  }

  /** Whether `body` could be registered after the versions of `which` (latest or a number). */
  compatibleWith(subject: string, which: string, body: unknown): string | undefined {
    const candidate = this.parse(body);
    const versions = this.#subjects.get(subject)?.filter((v) => !v.deleted) ?? [];
    if (versions.length === 0) return undefined;
    return this.#incompatibility(subject, candidate, which === 'latest' ? versions : [this.version(subject, which)]);
  }

  deleteSubject(subject: string, permanent: boolean): number[] {
    const versions = this.#subjects.get(subject);
    if (versions === undefined || versions.length === 0) throw subjectNotFound(subject);
    if (permanent) {
      if (versions.some((v) => !v.deleted)) throw new RegistryError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
      this.#subjects.delete(subject);
      return versions.map((v) => v.version);
    }
    const live = versions.filter((v) => !v.deleted);
    if (live.length === 0) throw new RegistryError(404, 40404, `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`);
    for (const v of live) v.deleted = true;
    return live.map((v) => v.version);
  }

  deleteVersion(subject: string, which: string, permanent: boolean): number {
    const version = this.version(subject, which, permanent);
    const versions = this.#subjects.get(subject)!;
    if (permanent) {
      if (!version.deleted) throw new RegistryError(404, 40407, `Subject '${subject}' Version ${version.version} was not deleted first before being permanently deleted`);
      versions.splice(versions.indexOf(version), 1);
    } else version.deleted = true;
    return version.version;
  }

  /** Why `candidate` may not follow `earlier` under the subject's compatibility; undefined when it may. */
  #incompatibility(subject: string, candidate: Omit<StoredSchema, 'id'>, earlier: Version[]): string | undefined {
    const level = this.#config.get(subject) ?? this.#global;
    if (level === 'NONE' || earlier.length === 0 || candidate.schemaType !== 'AVRO') return undefined;
    const against = level.endsWith('_TRANSITIVE') ? earlier : earlier.slice(-1);
    const reader = this.#typeOf(candidate);
    for (const v of against) {
      const old = this.byId(v.id);
      if (old.schemaType !== 'AVRO') return `version ${v.version} is ${old.schemaType}, not AVRO`;
      const writer = this.#typeOf(old);
      try {
        if (level.startsWith('BACKWARD') || level.startsWith('FULL')) reader.createResolver(writer); // new readers read old data
        if (level.startsWith('FORWARD') || level.startsWith('FULL')) writer.createResolver(reader); // old readers read new data
      } catch (error) {
        return `${level} against version ${v.version}: ${(error as Error).message}`;
      }
    }
    return undefined;
  }

  /** Parses a schema (with its references) or throws 42201 naming why. */
  #typeOf(schema: Omit<StoredSchema, 'id'>): AvroType {
    const avro = avsc();
    const protobuf = protobufjs();
    const referenced = schema.references.map((r) => {
      const version = this.version(r.subject, String(r.version));
      return this.byId(version.id);
    });
    try {
      if (schema.schemaType === 'AVRO') {
        const registry = {};
        for (const ref of referenced) avro.Type.forSchema(JSON.parse(ref.schema), { registry });
        return avro.Type.forSchema(JSON.parse(schema.schema), { registry });
      }
      if (schema.schemaType === 'JSON') {
        const parsed: unknown = JSON.parse(schema.schema);
        if (typeof parsed !== 'object' && typeof parsed !== 'boolean') throw new Error('a JSON Schema is an object or a boolean');
      } else {
        const root = new protobuf.Root();
        for (const ref of referenced) protobuf.parse(ref.schema, root);
        protobuf.parse(schema.schema, root);
      }
    } catch (error) {
      throw invalidSchema((error as Error).message);
    }
    return avro.Type.forSchema('null'); // only Avro types are compared
  }
}

function normalizeJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw invalidSchema(`not JSON: ${(error as Error).message}`);
  }
}

function contentKey(schema: Omit<StoredSchema, 'id'>): string {
  return JSON.stringify([schema.schemaType, schema.schema, schema.references]);
}

function schemaBody(subject: string, version: Version, schema: StoredSchema) {
  return {
    subject,
    version: version.version,
    id: schema.id,
    ...(schema.schemaType === 'AVRO' ? {} : { schemaType: schema.schemaType }),
    ...(schema.references.length > 0 ? { references: schema.references } : {}),
    schema: schema.schema,
  };
}

type Params = { [key: string]: string };
type Query = { [key: string]: string | undefined };

/** The Fastify app serving a store on Confluent's Schema Registry API. */
export function registryApp(store: SchemaStore, options: EmbeddedRegistryOptions = {}): FastifyInstance {
  const app = fastify().default({ bodyLimit: options.maxRequestBytes ?? 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, (body as string).trim() === '' ? undefined : JSON.parse(body as string));
    } catch (error) {
      done(new RegistryError(400, 400, `Malformed JSON: ${(error as Error).message}`), undefined);
    }
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, _req, reply) => {
    const status = error instanceof RegistryError ? error.status : (error.statusCode ?? 500);
    const code = error instanceof RegistryError ? error.errorCode : status;
    void reply.code(status).type('application/vnd.schemaregistry.v1+json').send({ error_code: code, message: error.message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).type('application/vnd.schemaregistry.v1+json').send({ error_code: 404, message: `HTTP 404 Not Found: ${req.method} ${req.url}` });
  });
  const send = (reply: FastifyReply, body: unknown) => reply.type('application/vnd.schemaregistry.v1+json').send(body);
  const flag = (value: string | undefined) => value === 'true';

  app.get('/', async (_req, reply) => send(reply, {}));
  app.get('/schemas/types', async (_req, reply) => send(reply, ['JSON', 'PROTOBUF', 'AVRO']));
  app.get('/mode', async (_req, reply) => send(reply, { mode: 'READWRITE' }));
  app.get('/subjects', async (req, reply) => send(reply, store.subjects(flag((req.query as Query).deleted))));
  app.get('/subjects/:subject/versions', async (req, reply) => {
    const { subject } = req.params as Params;
    return send(reply, store.versions(subject, flag((req.query as Query).deleted)).map((v) => v.version));
  });
  app.get('/subjects/:subject/versions/:version', async (req, reply) => {
    const { subject, version } = req.params as Params;
    const v = store.version(subject, version, flag((req.query as Query).deleted));
    return send(reply, schemaBody(subject, v, store.byId(v.id)));
  });
  app.get('/subjects/:subject/versions/:version/schema', async (req, reply) => {
    const { subject, version } = req.params as Params;
    return send(reply, store.byId(store.version(subject, version).id).schema);
  });
  app.post('/subjects/:subject/versions', async (req, reply) => send(reply, { id: store.register((req.params as Params).subject, req.body) }));
  app.post('/subjects/:subject', async (req, reply) => {
    const { subject } = req.params as Params;
    const v = store.lookup(subject, req.body, flag((req.query as Query).deleted));
    return send(reply, schemaBody(subject, v, store.byId(v.id)));
  });
  app.delete('/subjects/:subject', async (req, reply) => send(reply, store.deleteSubject((req.params as Params).subject, flag((req.query as Query).permanent))));
  app.delete('/subjects/:subject/versions/:version', async (req, reply) => {
    const { subject, version } = req.params as Params;
    return send(reply, store.deleteVersion(subject, version, flag((req.query as Query).permanent)));
  });
  const idOf = (value: string) => {
    const id = Number(value);
    if (!Number.isInteger(id) || id < 1) throw schemaNotFound(`Schema ${value} not found`);
    return id;
  };
  app.get('/schemas/ids/:id', async (req, reply) => {
    const schema = store.byId(idOf((req.params as Params).id));
    return send(reply, { ...(schema.schemaType === 'AVRO' ? {} : { schemaType: schema.schemaType }), ...(schema.references.length > 0 ? { references: schema.references } : {}), schema: schema.schema });
  });
  app.get('/schemas/ids/:id/schema', async (req, reply) => send(reply, store.byId(idOf((req.params as Params).id)).schema));
  app.get('/config', async (_req, reply) => send(reply, { compatibilityLevel: store.compatibility() }));
  app.put('/config', async (req, reply) => send(reply, { compatibility: store.setCompatibility((req.body as { compatibility?: unknown } | undefined)?.compatibility) }));
  app.get('/config/:subject', async (req, reply) => {
    const { subject } = req.params as Params;
    const level = store.compatibility(subject) ?? (flag((req.query as Query).defaultToGlobal) ? store.compatibility() : undefined);
    if (level === undefined) throw new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
    return send(reply, { compatibilityLevel: level });
  });
  app.put('/config/:subject', async (req, reply) =>
    send(reply, { compatibility: store.setCompatibility((req.body as { compatibility?: unknown } | undefined)?.compatibility, (req.params as Params).subject) }),
  );
  app.post('/compatibility/subjects/:subject/versions/:version', async (req, reply) => {
    const { subject, version } = req.params as Params;
    const problem = store.compatibleWith(subject, version, req.body);
    return send(reply, problem === undefined ? { is_compatible: true } : { is_compatible: false, messages: [problem] });
  });
  return app;
}

export interface RunningRegistry {
  url: string;
  store: SchemaStore;
  close(): Promise<void>;
}

/** Serves a fresh in-memory registry on `listener` (e.g. http://127.0.0.1:8081; port 0 picks one). */
export async function startEmbeddedRegistry(listener: string, options: EmbeddedRegistryOptions = {}): Promise<RunningRegistry> {
  const address = new URL(listener);
  if (address.protocol !== 'http:') throw new TypeError(`The embedded Schema Registry listens on http:// only, not ${JSON.stringify(listener)}`);
  const store = new SchemaStore(options.maxSchemas, options.maxSchemaBytes);
  const app = registryApp(store, options);
  const host = address.hostname.replace(/^\[|\]$/g, '');
  await app.listen({ host, port: Number(address.port || 80) });
  const port = (app.server.address() as { port: number }).port;
  return { url: `http://${address.hostname}:${port}`, store, close: () => app.close() };
}
