import { createHash } from 'node:crypto';
import { cancelled, invalidArgument } from '../../shared/errors';
import { isDigest, type Digest } from '../../shared/digest';

/**
 * Every manifest, index, config and layer an importer reads is checked against the descriptor that names it: the
 * digest is valid, the bytes hash to it, and the length is the descriptor's size. `where` names the blob for the
 * error ("blobs/sha256/ab.. in ./layout").
 */
export function verifyBytes(
  bytes: Uint8Array,
  expected: { digest: Digest; size?: number },
  where: string,
): void {
  if (!isDigest(expected.digest))
    throw invalidArgument(`${where}: invalid digest ${JSON.stringify(expected.digest)}`);
  if (expected.size !== undefined && bytes.byteLength !== expected.size)
    throw invalidArgument(
      `${where}: size mismatch: ${bytes.byteLength} bytes, the descriptor says ${expected.size}`,
    );
  const actual = hashBytes(bytes, algorithmOf(expected.digest));
  if (actual !== expected.digest)
    throw invalidArgument(`${where}: digest mismatch: the bytes hash to ${actual}`);
}

/**
 * A stored blob's length against its descriptor, checked before any of it is read (a layer claiming the wrong size
 * is refused without hashing it).
 */
export function checkStoredSize(size: number, expected: { size: number }, where: string): void {
  if (size !== expected.size)
    throw invalidArgument(`${where}: size mismatch: ${size} bytes, the descriptor says ${expected.size}`);
}

export const algorithmOf = (digest: Digest): 'sha256' | 'sha512' =>
  digest.startsWith('sha512:') ? 'sha512' : 'sha256';

export function hashBytes(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** A streaming check for large blobs (layers): feed chunks, then `finish` throws on a mismatch. */
export class BlobVerifier {
  private readonly hash;
  private length = 0;

  constructor(
    private readonly expected: { digest: Digest; size?: number },
    private readonly where: string,
  ) {
    if (!isDigest(expected.digest))
      throw invalidArgument(`${where}: invalid digest ${JSON.stringify(expected.digest)}`);
    this.hash = createHash(algorithmOf(expected.digest));
  }

  update(chunk: Uint8Array): void {
    this.length += chunk.byteLength;
    if (this.expected.size !== undefined && this.length > this.expected.size)
      throw invalidArgument(
        `${this.where}: size mismatch: more than the ${this.expected.size} bytes the descriptor says`,
      );
    this.hash.update(chunk);
  }

  finish(): void {
    if (this.expected.size !== undefined && this.length !== this.expected.size)
      throw invalidArgument(
        `${this.where}: size mismatch: ${this.length} bytes, the descriptor says ${this.expected.size}`,
      );
    const actual = `${algorithmOf(this.expected.digest)}:${this.hash.digest('hex')}`;
    if (actual !== this.expected.digest)
      throw invalidArgument(`${this.where}: digest mismatch: the bytes hash to ${actual}`);
  }
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw cancelled('the import was cancelled; nothing was written');
}
