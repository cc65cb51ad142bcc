import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

/**
 * The built renderer's files (out/renderer), found for a URL path the same way by both transports that serve them:
 * the desktop app's `app://` protocol and `imgmeta serve`. No electron import.
 *
 * - The path is decoded, resolved and required to stay inside the directory, after symlinks too: `..`, `%2e%2e`,
 *   encoded slashes and absolute paths never reach another file.
 * - The app routes in the page, so a path that names no file is the app (`index.html`), image names with dots
 *   included (`/images/default/example.com/app:1.0`); only a missing asset (under `assets/`, or a script, style,
 *   image or font by its extension) is "not found", never HTML under a script's name.
 */
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

export type RendererFile =
  | { kind: 'file'; path: string; size: number; mimeType: string; hashed: boolean }
  | { kind: 'not-found' }
  | { kind: 'bad-path'; reason: string };

/** `base` must already be a real path (realpath'd once by the caller). */
export async function locateRendererFile(base: string, rawPath: string): Promise<RendererFile> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { kind: 'bad-path', reason: 'the path is not valid percent-encoding' };
  }
  if (decoded.includes('\0')) return { kind: 'bad-path', reason: 'the path holds a NUL byte' };
  const found = await fileInside(base, resolve(base, `./${decoded === '/' ? 'index.html' : decoded}`));
  if (found === 'outside') return { kind: 'not-found' };
  if (found !== undefined) return found;
  if (isAsset(decoded)) return { kind: 'not-found' };
  const index = await fileInside(base, join(base, 'index.html'));
  return index === undefined || index === 'outside' ? { kind: 'not-found' } : index;
}

const isAsset = (path: string): boolean => {
  const ext = extname(path).toLowerCase();
  return path.startsWith('/assets/') || (ext !== '.html' && Object.hasOwn(mimeTypes, ext));
};

/** The regular file at `path` if it is one and really lies under `base`; 'outside' if it escapes. */
async function fileInside(base: string, path: string): Promise<RendererFile | 'outside' | undefined> {
  const within = (p: string) => p === base || p.startsWith(base + sep);
  if (!within(path)) return 'outside';
  try {
    const real = await realpath(path);
    if (!within(real)) return 'outside';
    const info = await stat(real);
    if (!info.isFile()) return undefined;
    // Vite puts a content hash in every name under assets/, so those may be cached for good.
    const hashed = real.startsWith(join(base, 'assets') + sep);
    return { kind: 'file', path: real, size: info.size, mimeType: mimeType(real), hashed };
  } catch {
    return undefined;
  }
}
