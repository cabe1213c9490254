// One HTTP request over real sockets, as curl or any HTTP client sends it: a GET may carry a
// body, the body can go chunked, the target can be a Unix socket, and https:// URLs go over TLS.
import { connect } from 'node:net';
import { request, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpReply {
  status: number;
  /** The response headers (always set by httpRequest). */
  headers?: { [name: string]: string | string[] | undefined };
  text: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the wire
}

export interface HttpOptions {
  method?: string;
  headers?: { [name: string]: string };
  body?: string | Buffer;
  /** Send the body in two pieces without a Content-Length (chunked transfer encoding). */
  chunked?: boolean;
  /** Reach the server through this Unix socket (`url` then gives only the path). */
  socketPath?: string;
  /** For an https:// URL: the CA to trust, and a client certificate with its key (PEM). */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

export function httpRequest(url: string, options: HttpOptions = {}): Promise<HttpReply> {
  const { method = 'GET', body, chunked = false, socketPath } = options;
  const headers: { [name: string]: string } = { ...options.headers };
  if (body !== undefined && !chunked) headers['content-length'] = String(Buffer.byteLength(body));
  const target: RequestOptions = { method, headers, ...(socketPath === undefined ? {} : { socketPath }), ...options.tls };
  const send = url.startsWith('https:') ? httpsRequest : request;
  return new Promise((resolve, reject) => {
    const req = send(socketPath === undefined ? url : `http://localhost${url}`, target, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
    });
    req.on('error', reject);
    if (body !== undefined && chunked) {
      // Two writes: Node sends a body it is given in pieces as chunked transfer encoding.
      req.write(body.slice(0, 10));
      req.end(body.slice(10));
    } else req.end(body);
  });
}

/** Sends `bytes` on a fresh connection and reads `answers` HTTP answers (or until it closes). */
export function exchange(url: string, bytes: string | Buffer, answers: number): Promise<{ answers: string[]; closed: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = Buffer.alloc(0);
    const out: string[] = [];
    const finish = (closed: boolean) => {
      socket.destroy();
      resolve({ answers: out, closed });
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      for (;;) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = data.subarray(0, end).toString('latin1');
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (data.length < end + 4 + length) return;
        out.push(data.subarray(0, end + 4 + length).toString('utf8'));
        data = data.subarray(end + 4 + length);
        if (out.length === answers) return finish(false);
      }
    });
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? finish(true) : reject(error)));
    socket.write(bytes);
  });
}

/**
 * Sends `request` on a fresh connection, waits `pauseMs` (the server is then serving it), and
 * closes the connection as a client that goes away does. What the client received by then.
 */
export async function leaveWhileWaiting(url: string, request: string, pauseMs: number): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  socket.write(request);
  await new Promise((r) => setTimeout(r, pauseMs));
  await new Promise<void>((resolve) => {
    socket.on('close', () => resolve());
    socket.destroy();
  });
  return received;
}

/** Sends the first `bytes` of `request` on a fresh connection, ends it there, and reads all the server writes until it closes. */
export function sendCut(url: string, request: string, bytes: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
    socket.end(request.slice(0, bytes));
  });
}
