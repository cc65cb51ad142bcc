import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { locateRendererFile } from '../renderer-files';
import { noStore, securityHeaders, sendText } from './responses';

export const notBuiltHint = 'imgmeta: the app is not built: run `npm run build`, then reload';

/**
 * The built renderer (out/renderer) as static files, for GET and HEAD outside /api (which file a path names, and
 * what it may never reach: renderer-files.ts). The directory is looked at on every request, so a server started
 * before `npm run build` serves the app once it exists. Hashed assets may be cached for good; `index.html` never is.
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

  const found = await locateRendererFile(base, rawPath);
  if (found.kind === 'bad-path') return sendText(res, 400, `imgmeta: bad request: ${found.reason}`);
  if (found.kind === 'not-found') return sendText(res, 404, 'imgmeta: not found');
  sendFile(req, res, found);
}

function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: { path: string; size: number; mimeType: string; hashed: boolean },
): void {
  res.writeHead(200, {
    ...securityHeaders,
    ...(file.hashed ? { 'cache-control': 'private, max-age=31536000, immutable' } : noStore),
    'content-type': file.mimeType,
    'content-length': file.size,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file.path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
