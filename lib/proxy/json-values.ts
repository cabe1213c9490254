// A bound on what JSON.parse may build from a request body. Its memory follows the number of
// values, not the bytes: 16 MiB of `[{},{},…]` is 5.6 M objects, 550 MB and 1.8 s of parsing
// (measured). The body's values are counted as its chunks arrive, and a body past the limit is
// refused without being parsed or kept.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RestError } from './rest-error';

// JSON's structural bytes, for the scanners that read a body before it is parsed (here and v3-records.ts).
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const OPEN_BRACKET = 0x5b;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACKET = 0x5d;
export const CLOSE_BRACE = 0x7d;

/**
 * Counts the values in JSON text fed in pieces: every object, array, string (member names
 * included), number and literal, that is every place where a value starts. It does not check the
 * syntax (JSON.parse does that afterwards); for any text it counts at most one per byte.
 */
export class JsonValueCounter {
  count = 0;
  #inString = false;
  #escaped = false;
  /** At the start, and after , : [ { (whitespace aside): the next other byte starts a value. */
  #valueNext = true;

  add(chunk: Uint8Array): number {
    let count = this.count;
    let inString = this.#inString;
    let escaped = this.#escaped;
    let valueNext = this.#valueNext;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      if (valueNext && c !== CLOSE_BRACKET && c !== CLOSE_BRACE && c !== COMMA && c !== COLON) count++;
      valueNext = c === COMMA || c === COLON || c === OPEN_BRACKET || c === OPEN_BRACE;
      if (c === QUOTE) inString = true;
    }
    this.#inString = inString;
    this.#escaped = escaped;
    this.#valueNext = valueNext;
    this.count = count;
    return count;
  }
}

export const tooManyValues = (limit: number) =>
  Object.assign(new RestError(413, 413, `The request body holds more than ${limit} JSON values (max.request.json.values)`), { statusCode: 413 });

/**
 * The body passed through unchanged, failing with a 413 once it holds more than `limit` values.
 * The rest of a refused body is read and dropped (up to `maxBytes`) before the 413: a connection
 * closed while the client still sends is reset, and the client loses the answer (17 of 40 times).
 */
function counted(payload: Readable, limit: number, maxBytes: number): Readable {
  const counter = new JsonValueCounter();
  // Pulled only once Fastify reads the body, so the error reaches its listeners; the request is
  // not destroyed when the loop ends, so that the 413 can still be sent.
  return Readable.from(
    (async function* () {
      let refused = false;
      let bytes = 0;
      for await (const chunk of payload.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        refused ||= counter.add(chunk) > limit;
        if (!refused) yield chunk;
        else if (bytes > maxBytes) break;
      }
      if (refused) throw tooManyValues(limit);
    })(),
    { objectMode: false },
  );
}

/**
 * Refuses request bodies of more than `limit` JSON values (413) on the routes `applies` selects.
 * A body that declares a length of at most twice the limit is not counted: a value takes at
 * least two bytes with its separator (`1,`), so it cannot hold more.
 */
export function limitJsonValues(app: FastifyInstance, limit: number, applies: (req: FastifyRequest) => boolean = () => true): void {
  app.addHook('preParsing', (req, _reply, payload, done) => {
    // GET and HEAD bodies are not parsed by Fastify: a route that reads one reads req.raw itself.
    const length = Number(req.headers['content-length']);
    const small = Number.isInteger(length) && length <= 2 * limit;
    done(null, small || req.method === 'GET' || req.method === 'HEAD' || !applies(req) ? payload : counted(payload, limit, app.initialConfig.bodyLimit ?? Infinity));
  });
}
