import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { watchChanges } from '../../src/main/change-feed';
import { EventHub } from '../../src/main/event-hub';
import { startServer, type RunningServer, type ServerOptions } from '../../src/main/server/server';
import { createService, type Service } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import { createHttpClient } from '../../src/shared/http-client';
import { cliEnv, root } from '../cli/run';
import type { Client } from '../../src/shared/transport';

/**
 * `imgmeta serve` in this process, wired the way the command wires it (service, EventHub, change feed), over a real
 * store in a temp directory; stopped and removed after each test, server first, then feed, then store.
 */
export interface Served {
  server: RunningServer;
  /** The HTTP client with the server's token. */
  client: Client;
  /** The same store through the service in this process, to check what the HTTP side did. */
  local: Service;
  store: Store;
  storeDir: string;
  base: string;
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Runs `fn` after the test, before the temp directories go (a child process to stop, say). */
export const afterTest = (fn: () => void | Promise<void>): void => void cleanups.push(fn);

export function tempBase(prefix = 'imgmeta-server-'): string {
  const base = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(base, { recursive: true, force: true }));
  return base;
}

export async function serve(
  options: Partial<ServerOptions> & { hub?: EventHub; feedMs?: number } = {},
): Promise<Served> {
  const base = tempBase();
  const storeDir = join(base, 'store');
  const store = Store.open(storeDir);
  cleanups.push(() => store.close());
  const readOnly = options.readOnly ?? false;
  const hub = options.hub ?? new EventHub();
  const stopFeed = watchChanges(store, (event) => hub.emit('store.changed', event), options.feedMs ?? 20);
  cleanups.push(stopFeed);
  const server = await startServer({
    api: createService(store, { readOnly }),
    events: hub,
    ...options,
  });
  cleanups.push(() => server.close());
  const client = createHttpClient({ baseUrl: server.origin, token: server.token, reconnectMs: 50 });
  return { server, client, local: createService(store), store, storeDir, base };
}

export const indexHtml =
  '<!doctype html><html><head><script type="module" src="/assets/index-3f2a9c.js"></script></head><body><div id="root"></div></body></html>\n';

/** A renderer directory like `electron-vite build` leaves: index.html and a hashed script under assets/. */
export function fakeRenderer(base: string): string {
  const dir = join(base, 'renderer');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), indexHtml);
  writeFileSync(join(dir, 'assets', 'index-3f2a9c.js'), 'console.log("imgmeta");\n');
  writeFileSync(join(dir, 'assets', 'index-77b1e0.css'), 'body { margin: 0; }\n');
  return dir;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method?: string;
  /** Sent as is, without normalization (`/../x` stays `/../x`). */
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Leave out Content-Length and send the body chunked. */
  chunked?: boolean;
}

/** One request with exactly these headers; Host is the server's own unless given. */
export function raw(server: Pick<RunningServer, 'port'>, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { host: `127.0.0.1:${server.port}`, ...req.headers };
    if (req.body !== undefined && !req.chunked) headers['content-length'] = Buffer.byteLength(req.body);
    const r = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        method: req.method ?? 'GET',
        path: req.path,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

export const bearer = (server: RunningServer) => ({ authorization: `Bearer ${server.token}` });

/** A JSON POST to an operation with the token. */
export const post = (server: RunningServer, name: string, body: string, headers: OutgoingHttpHeaders = {}) =>
  raw(server, {
    method: 'POST',
    path: `/api/${name}`,
    headers: { 'content-type': 'application/json', ...bearer(server), ...headers },
    body,
  });

/** Waits until `check` holds, for things that happen on their own schedule (events, a closed stream). */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A raw `GET /api/events` reader: what arrived so far, and a way to wait for more. */
export interface EventReader {
  /** Resolves once the first bytes arrived: the server has subscribed the stream by then. */
  ready: Promise<void>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  headers: Promise<IncomingHttpHeaders>;
  text(): string;
  close(): void;
}

export function readEvents(port: number, token: string): EventReader {
  let text = '';
  let markReady: () => void = () => {};
  let markEnded: () => void = () => {};
  let markHeaders: (headers: IncomingHttpHeaders) => void = () => {};
  const headers = new Promise<IncomingHttpHeaders>((resolve) => (markHeaders = resolve));
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  const req = httpRequest(
    {
      host: '127.0.0.1',
      port,
      path: '/api/events',
      headers: { authorization: `Bearer ${token}` },
      agent: false,
    },
    (res) => {
      markHeaders(res.headers);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        markReady();
      });
      res.on('end', markEnded);
      res.on('close', markEnded);
    },
  );
  req.on('error', markEnded);
  req.end();
  cleanups.push(() => {
    req.destroy();
  });
  return { ready, ended, headers, text: () => text, close: () => req.destroy() };
}

export interface Serving {
  url: string;
  /** Everything printed on stdout so far, line by line. */
  lines: () => string[];
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the command and resolves with its first stdout line, the URL; fails if it exits before printing one. */
export function startServe(
  args: string[],
  /** When to stop it if the test did not: after this test by default; a suite-wide server passes afterAll. */
  cleanup: (fn: () => void) => void = afterTest,
): Promise<Serving> {
  const child = spawn(process.execPath, [join(root, 'bin', 'imgmeta.js'), ...args], {
    cwd: root,
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  // A test that failed half-way leaves no server behind.
  cleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const newline = out.indexOf('\n');
      if (newline >= 0)
        resolve({
          url: out.slice(0, newline),
          lines: () => out.split('\n').filter((line) => line !== ''),
          stderr: () => err,
          kill: (signal) => child.kill(signal),
          exited,
        });
    });
    void exited.then(({ code }) =>
      reject(new Error(`imgmeta serve exited ${code} before printing a URL: ${err}`)),
    );
  });
}
