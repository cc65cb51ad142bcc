import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { failedPrecondition, invalidArgument } from '../../shared/errors';
import type { Api } from '../../shared/operations';
import { eventsPath } from '../../shared/transport';
import { handleOperation } from './api';
import {
  allowedHosts,
  authorized,
  hostAllowed,
  isWildcard,
  newToken,
  originAllowed,
  sameToken,
  tokenCookie,
  validToken,
} from './auth';
import { EventStreams, type EventSource } from './events';
import { noStore, send, sendApiError, sendText } from './responses';
import { serveStatic } from './static-files';

export interface ServerOptions {
  /** The service; build it with `createService(store, { readOnly })` so that it refuses writes on its own too. */
  api: Api;
  /** Forwarded to every `GET /api/events` stream (the EventHub the change feed emits into). */
  events?: EventSource;
  /** Where to listen; loopback unless told otherwise. */
  host?: string;
  /** 0 or absent: a free port, reported in `port` and `url`. */
  port?: number;
  /** The access token; 32 random bytes when absent. */
  token?: string;
  /** Refuse every operation declared as writing. */
  readOnly?: boolean;
  /** The built renderer (out/renderer); without it the app answers 503 while the API keeps working. */
  rendererDir?: string;
  maxBodyBytes?: number;
  /** How often an idle event stream gets a `: ping` comment. */
  pingMs?: number;
  /** How long a client may take to send its headers, and its whole request; see `defaultTimeouts`. */
  timeouts?: Partial<RequestTimeouts>;
}

export interface RequestTimeouts {
  /** From the first byte of a request to the end of its headers. */
  headersMs: number;
  /** From the first byte of a request to the end of its body (not the answer: event streams last). */
  requestMs: number;
}

export interface RunningServer {
  /** Open this: `http://host:port/?token=...`; the visit trades the token for a cookie. */
  url: string;
  /** `http://host:port`, for clients that send the token as a header. */
  origin: string;
  token: string;
  host: string;
  port: number;
  readOnly: boolean;
  /** Ends event streams and open connections, then stops listening. */
  close(): Promise<void>;
}

export const defaultMaxBodyBytes = 64 * 1024 * 1024;

/**
 * A client that dribbles its headers or its body (slowloris) is answered 408 and cut off, rather than holding a
 * connection, and memory, for as long as it likes. A body is read whole before the store is touched (api.ts), so a
 * slow one never holds the store's write lock; these bound how long it may hold a connection. 120 s for 64 MiB is
 * about 0.5 MiB/s, slower than any link worth serving over.
 */
export const defaultTimeouts: RequestTimeouts = { headersMs: 15_000, requestMs: 120_000 };
const defaultPingMs = 15_000;

const noEvents: EventSource = { onAny: () => () => {} };

/**
 * `imgmeta serve`: the API (`POST /api/<operation>`), its events (`GET /api/events`) and the app, over Node's http
 * module. Every request is checked in this order: the Host header names this server (403), an Origin header is this
 * server (403), the token (401); then it is routed. Under /api every answer is an envelope; elsewhere plain text.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  if (!validToken(token))
    throw invalidArgument('the token must be 1 to 512 characters among A-Z a-z 0-9 . _ ~ -');
  const readOnly = options.readOnly ?? false;
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const streams = new EventStreams(options.events ?? noEvents, options.pingMs ?? defaultPingMs);
  const operationRoute = { api: options.api, readOnly, maxBodyBytes };
  // Known once listening: the port may be one the system picked.
  let port = 0;
  let hosts = new Set<string>();

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
  ): Promise<void> {
    const isApi = path === '/api' || path.startsWith('/api/');
    const refuse = (status: number, message: string, headers = {}) =>
      isApi
        ? sendApiError(res, status, 'failed_precondition', message, headers)
        : sendText(res, status, `imgmeta: ${message}`, headers);

    if (!hostAllowed(req, hosts))
      return refuse(
        403,
        `the Host header ${JSON.stringify(req.headers.host ?? '')} does not name this server`,
      );
    if (!originAllowed(req, hosts))
      return refuse(403, `requests from ${JSON.stringify(req.headers.origin)} are not allowed`);

    const reading = req.method === 'GET' || req.method === 'HEAD';
    if (!isApi && reading) {
      const visit = new URLSearchParams(query);
      const presented = visit.get('token');
      if (presented !== null) {
        if (!sameToken(presented, token)) return refuse(401, 'wrong access token', challenge);
        // The token leaves the address bar (and the history) at once; the cookie carries it from now on.
        visit.delete('token');
        const rest = visit.size > 0 ? `?${visit.toString()}` : '';
        // `//host` or `/\host` would send the browser to another host: keep the redirect on this one.
        const location = `/${path.replace(/^[/\\]+/, '')}${rest}`;
        return send(res, 303, { ...noStore, location, 'set-cookie': tokenCookie(port, token) });
      }
    }
    if (!authorized(req, port, token))
      return refuse(
        401,
        'this server needs its access token: open the URL `imgmeta serve` printed',
        challenge,
      );

    if (path === eventsPath) {
      if (req.method !== 'GET')
        return sendApiError(res, 405, 'invalid_argument', 'events: use GET', { allow: 'GET' });
      return streams.serve(req, res);
    }
    if (isApi) return handleOperation(req, res, path.slice('/api/'.length), operationRoute);
    if (reading) return serveStatic(req, res, path, options.rendererDir);
    return refuse(405, `${req.method} is not allowed here`, { allow: 'GET, HEAD' });
  }

  const timeouts = { ...defaultTimeouts, ...options.timeouts };
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: Math.max(timeouts.requestMs, timeouts.headersMs),
      // Node looks for requests past their time this often (30 s by default, which would stretch the limits above).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, timeouts.headersMs / 4)),
    },
    (req, res) => {
      const target = req.url ?? '';
      // Only origin-form targets (`/path?query`): an absolute URL or `*` is a proxy's business, not ours.
      if (!target.startsWith('/'))
        return sendText(res, 400, 'imgmeta: bad request: the target must be a path');
      const q = target.indexOf('?');
      const path = q < 0 ? target : target.slice(0, q);
      route(req, res, path, q < 0 ? '' : target.slice(q + 1)).catch((err: unknown) => {
        console.error(`imgmeta: serve: ${req.method} ${path} failed:`, err);
        if (res.headersSent) res.destroy();
        else if (path.startsWith('/api/')) sendApiError(res, 500, 'internal', String(err));
        else sendText(res, 500, 'imgmeta: internal error');
      });
    },
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(failedPrecondition(`cannot listen on ${host}:${options.port ?? 0}: ${err.code ?? err.message}`)),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  hosts = allowedHosts(host, address.address, port);
  const origin = `http://${urlHost(host)}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    host,
    port,
    readOnly,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        streams.closeAll();
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open for seconds.
        server.closeAllConnections();
      })),
  };
}

const challenge = { 'www-authenticate': 'Bearer realm="imgmeta"' };

/**
 * Whether an address to listen on keeps the server on this machine: the loopback names and addresses. Anything else
 * (a wildcard, an interface address, a name) exposes it to whoever can reach it, and `imgmeta serve` warns.
 */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  // IPv4-mapped IPv6 (::ffff:127.0.0.1)
  return /^::ffff:127\./.test(bare);
}

/** The host part of the printed URL: a wildcard is reached through loopback; IPv6 goes in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (isWildcard(host)) return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
