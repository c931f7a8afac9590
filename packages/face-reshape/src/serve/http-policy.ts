import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { serverErrorEnvelope, type ServerCode } from 'webgpu-face-reshape/compat';

/**
 * The server's HTTP policy, apart from its routes: which Host headers it answers, how much one
 * client may hold open, and the envelope for requests Node refuses before they reach a route.
 */

/** Longest URL answered (path and query); longer ones get 414 without the URL echoed. */
export const MAX_URL_LENGTH = 4096;

/**
 * Host names this server answers for: a defence against DNS rebinding, where a web page's own
 * domain is made to resolve to this machine and its scripts then post jobs here. IP literals are
 * always accepted (a page cannot be served from one and reach another), as are localhost, the
 * bound host, --public-url's host, names given with `allowHosts`, and this machine's hostname when
 * bound to every interface. Requests without a Host (HTTP/1.0) are accepted: browsers always send one.
 */
export function hostAllowList(options: { host: string; publicUrl?: string; allowHosts?: string[] }): (header: string | undefined) => boolean {
  const names = new Set<string>(['localhost']);
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  if (!wildcard) names.add(options.host.toLowerCase());
  if (options.publicUrl) names.add(new URL(options.publicUrl).hostname.toLowerCase());
  for (const h of options.allowHosts ?? []) names.add(h.toLowerCase());
  if (wildcard) names.add(hostname().toLowerCase());
  return (header) => {
    if (header === undefined) return true;
    const name = hostOf(header);
    if (name === null) return false;
    return isIP(name) !== 0 || names.has(name);
  };
}

/** The host name of a Host header without its port (and without brackets for IPv6), lower-cased; null when malformed. */
function hostOf(header: string): string | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.\-_]+))(?::\d{1,5})?$/.exec(header.trim());
  if (!m) return null;
  return (m[1] ?? m[2]).toLowerCase().replace(/\.$/, '');
}

/** Counts what each client (by remote address) holds, against a per-client limit. */
export class PerClient {
  private readonly held = new Map<string, number>();
  constructor(readonly limit: number) {}

  tryAcquire(client: string): boolean {
    const n = this.held.get(client) ?? 0;
    if (n >= this.limit) return false;
    this.held.set(client, n + 1);
    return true;
  }

  release(client: string): void {
    const n = (this.held.get(client) ?? 1) - 1;
    if (n <= 0) this.held.delete(client);
    else this.held.set(client, n);
  }
}

/** Caps the sockets one client address may hold open (past it, new ones are closed at once). */
export function limitConnectionsPerClient(server: { on(event: 'connection', l: (s: Socket) => void): unknown }, limit: number): void {
  const open = new PerClient(limit);
  server.on('connection', (socket) => {
    const client = socket.remoteAddress ?? '';
    if (!open.tryAcquire(client)) {
      socket.destroy();
      return;
    }
    socket.once('close', () => open.release(client));
  });
}

/**
 * An envelope for a request Node's parser refused (no route ever saw it): headers too large, a
 * method it does not know, a malformed request line or header. Written raw on the socket, which
 * is then closed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [code, message]: [ServerCode, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? ['HEADERS_TOO_LARGE', 'The request line and headers must stay under 16 KB.']
      : err.code === 'HPE_INVALID_METHOD'
        ? ['METHOD_NOT_ALLOWED', 'Unknown HTTP method: use POST for the API and GET for results.']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? ['REQUEST_TIMEOUT', 'The request did not arrive in time.']
          : ['BAD_REQUEST', 'The HTTP request is malformed.'];
  const envelope = serverErrorEnvelope(code, message);
  const body = JSON.stringify(envelope);
  const status = envelope.error_code;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\n${code === 'METHOD_NOT_ALLOWED' ? 'Allow: POST, GET, HEAD\r\n' : ''}Connection: close\r\n\r\n${body}`,
  );
}
