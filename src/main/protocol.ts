import { readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { contentSecurityPolicy } from './csp';

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

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export const mimeType = (file: string): string =>
  mimeTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';

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
 * Serves the files under `root` (out/renderer) for `app://imgmeta/<path>`. The decoded path must stay inside
 * `root`: `..`, encoded slashes and absolute paths are refused, whatever the URL parser normalised before us.
 * An extension-less path that is not a file gets index.html, so the renderer may use history routes.
 */
export function createAppHandler(rootDir: string): (request: Request) => Promise<Response> {
  const root = resolve(rootDir);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'method not allowed');
    const url = parseUrl(request.url);
    if (!url || !isAppUrl(request.url)) return plain(404, 'not found');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return plain(400, 'bad path');
    }
    if (path.includes('\0')) return plain(400, 'bad path');
    if (path === '/' || path === '') path = '/index.html';
    const file = resolve(root, `.${path}`);
    const inside = relative(root, file);
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside))
      return plain(404, 'not found');
    let served = file;
    if (!(await isFile(file))) {
      if (extname(file) !== '') return plain(404, 'not found');
      served = join(root, 'index.html');
    }
    let body: Buffer;
    try {
      body = await readFile(served);
    } catch {
      return plain(404, 'not found');
    }
    const headers = { ...securityHeaders, 'Content-Type': mimeType(served), 'Cache-Control': 'no-cache' };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
