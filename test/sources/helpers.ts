import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImportBatch, ImportProgress, ReadOptions } from '../../src/main/sources/types';

/** What every importer suite shares: read options that record progress, and the checks they all make. */

/** Read options with a live signal, recording every progress update in `updates`. */
export function options(extra: Partial<ReadOptions> = {}): ReadOptions & { updates: ImportProgress[] } {
  const updates: ImportProgress[] = [];
  return { signal: new AbortController().signal, progress: (u) => updates.push(u), updates, ...extra };
}

export const sha256 = (bytes: Uint8Array | string) =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export const byName = (batch: ImportBatch) => new Map(batch.images.map((image) => [image.name, image]));

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

/** Every file of a tree with its size, mtime and hash: what "never writes to the source" compares. */
export function treeSnapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out[p] = `${s.size} ${s.mtimeMs} ${sha256(readFileSync(p))}`;
      }
    }
  };
  walk(dir);
  return out;
}
