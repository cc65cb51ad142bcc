import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { noStore, securityHeaders, sendText } from './responses';

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
};

export const mimeType = (path: string): string =>
  mimeTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';

export const notBuiltHint = 'imgmeta: the app is not built: run `npm run build`, then reload';

/**
 * The built renderer (out/renderer) as static files, for GET and HEAD outside /api. The directory is looked at on
 * every request, so a server started before `npm run build` serves the app once it exists.
 *
 * - Paths are decoded, resolved and then required to stay inside the directory, after symlinks too: `..`, `%2e%2e`,
 *   `%2f` and absolute paths never reach another file.
 * - The app routes in the browser, so a path that names no file is the app (`index.html`), image names with dots
 *   included (`/images/default/example.com/app:1.0`); only a missing asset (under `assets/`, or a script, style,
 *   image or font by its extension) is a 404, never HTML under a script's name.
 * - Vite puts a content hash in every name under `assets/`, so those may be cached for good; `index.html` never is.
 */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  root: string | undefined,
): Promise<void> {
  let base: string;
  try {
    if (root === undefined) throw new Error('no renderer directory');
    base = await realpath(root);
    if (!(await stat(join(base, 'index.html'))).isFile()) throw new Error('index.html is not a file');
  } catch {
    return sendText(res, 503, notBuiltHint);
  }

  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return sendText(res, 400, 'imgmeta: bad request: the path is not valid percent-encoding');
  }
  if (decoded.includes('\0')) return sendText(res, 400, 'imgmeta: bad request: the path holds a NUL byte');

  const file = await inside(base, resolve(base, `./${decoded}`));
  if (file === 'outside') return sendText(res, 404, 'imgmeta: not found');
  if (file !== undefined) return sendFile(req, res, file.path, file.size, base);
  if (isAsset(decoded)) return sendText(res, 404, 'imgmeta: not found');
  const index = join(base, 'index.html');
  return sendFile(req, res, index, (await stat(index)).size, base);
}

const isAsset = (path: string): boolean => {
  const ext = extname(path).toLowerCase();
  return path.startsWith('/assets/') || (ext !== '.html' && Object.hasOwn(mimeTypes, ext));
};

/** The regular file at `path` if it is one and really lies under `base`; 'outside' if it escapes. */
async function inside(
  base: string,
  path: string,
): Promise<{ path: string; size: number } | 'outside' | undefined> {
  const within = (p: string) => p === base || p.startsWith(base + sep);
  if (!within(path)) return 'outside';
  try {
    const real = await realpath(path);
    if (!within(real)) return 'outside';
    const info = await stat(real);
    return info.isFile() ? { path: real, size: info.size } : undefined;
  } catch {
    return undefined;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string, size: number, base: string): void {
  const immutable = path.startsWith(join(base, 'assets') + sep);
  res.writeHead(200, {
    ...securityHeaders,
    ...(immutable ? { 'cache-control': 'private, max-age=31536000, immutable' } : noStore),
    'content-type': mimeType(path),
    'content-length': size,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
