import { readFile, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { contentSecurityPolicy } from './csp';
import { locateRendererFile } from './renderer-files';

/**
 * The renderer is served from `app://imgmeta/` instead of `file://`: a standard, secure scheme gives the page a real
 * origin (so the IPC wiring can tell our frames from anything else, and `'self'` in the CSP means only our files)
 * and no access to the rest of the disk. Nothing here imports electron: the handler is a plain
 * `Request -> Response` function that `protocol.handle` calls.
 */
export const appScheme = 'app';
export const appHost = 'imgmeta';
export const appEntryUrl = `${appScheme}://${appHost}/index.html`;

/** Registered before `ready` (protocol.registerSchemesAsPrivileged). No corsEnabled: other origins cannot read us. */
export const appSchemePrivileges = {
  scheme: appScheme,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

/** Whether a URL is one of the app's own pages: `app://imgmeta/...`, nothing else. */
export function isAppUrl(url: string | undefined | null): boolean {
  const parsed = parseUrl(url);
  return (
    parsed !== undefined &&
    parsed.protocol === `${appScheme}:` &&
    parsed.hostname === appHost &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

export function parseUrl(url: string | undefined | null): URL | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

const securityHeaders = {
  'Content-Security-Policy': contentSecurityPolicy,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
};

const plain = (status: number, text: string) =>
  new Response(text, {
    status,
    headers: { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8' },
  });

/**
 * Serves the files under `root` (out/renderer) for `app://imgmeta/<path>`; which file a path names, and what it may
 * never reach, is renderer-files.ts's (shared with `imgmeta serve`).
 */
export function createAppHandler(rootDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'method not allowed');
    const url = parseUrl(request.url);
    if (!url || !isAppUrl(request.url)) return plain(404, 'not found');
    let base: string;
    try {
      base = await realpath(resolve(rootDir));
    } catch {
      return plain(404, 'not found');
    }
    const found = await locateRendererFile(base, url.pathname);
    if (found.kind === 'bad-path') return plain(400, 'bad path');
    if (found.kind === 'not-found') return plain(404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(found.path);
    } catch {
      return plain(404, 'not found');
    }
    const headers = { ...securityHeaders, 'Content-Type': found.mimeType, 'Cache-Control': 'no-cache' };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}
