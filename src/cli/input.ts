import { readFile } from 'node:fs/promises';
import { ImgmetaError } from '../shared/errors';

/** The bytes of a file as they are; `-` reads stdin. A file that cannot be read fails like an operation (exit 1). */
export async function readInput(path: string): Promise<Uint8Array> {
  if (path === '-') return readStdin();
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not_found' : 'invalid_argument';
    throw new ImgmetaError(code, `cannot read ${path}: ${(err as Error).message}`);
  }
}

/** All of stdin as bytes (binary-safe: no decoding). */
export async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
