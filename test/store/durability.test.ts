import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import { bundleWorker, projectNodePath } from '../helpers/bundle';
import { tempDir } from '../helpers/store';

// Bundled once for the file, outside tempDir (whose directories go after each test).
let bundleDir: string;
let worker: string;
let writer: string;

beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'imgmeta-durability-'));
  [worker, writer] = await Promise.all([
    bundleWorker('ack-worker.ts', bundleDir),
    bundleWorker('promise-writer.ts', bundleDir),
  ]);
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

/** Runs test/helpers/promise-writer.ts on a new store: what it saw, or a timeout if the store hung it. */
function promiseWriter(mode: 'write' | 'derived'): Record<string, unknown> {
  const out = execFileSync(process.execPath, [writer, join(tempDir(), 'store'), mode], {
    env: { ...process.env, NODE_PATH: projectNodePath },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return JSON.parse(out) as Record<string, unknown>;
}

describe('an acknowledged write is on disk', () => {
  it('every write a process acknowledged survives its SIGKILL right after', async () => {
    const path = join(tempDir(), 'store');
    const acked = await new Promise<number[]>((resolve, reject) => {
      const child = spawn(process.execPath, [worker, path, '40'], {
        env: { ...process.env, NODE_PATH: projectNodePath },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (_code, signal) => {
        expect(signal).toBe('SIGKILL');
        resolve(out.trim().split('\n').filter(Boolean).map(Number));
      });
    });
    expect(acked).toHaveLength(40);

    const store = Store.open(path);
    try {
      const service = createService(store);
      const images = await service['images.list']({ namespace: 'acked', limit: 1000 });
      expect(images.items.map((i) => i.name).sort()).toEqual(
        acked.map((i) => `example.com/acked:${i}`).sort(),
      );
      const keys = await service['metadata.list']({ namespace: 'acked', limit: 1000 });
      expect(keys.total).toBe(40);
      expect((await service['store.check']({})).errors).toEqual([]);
    } finally {
      store.close();
    }
  });
});

describe('a store write is synchronous', () => {
  // lmdb-js keeps a transaction whose callback returned a promise open until the promise settles; every write made in
  // between would run inside it and return before anything is on disk. The store refuses such callbacks.
  it('a write whose callback returns a promise is refused and rolled back', () => {
    expect(promiseWriter('write')).toEqual({ refused: 'internal', seqUnchanged: true, value: null });
  });

  it('a derived write whose callback returns a promise is refused, and the next write is committed when it returns', () => {
    expect(promiseWriter('derived')).toEqual({
      refused: true,
      probe: false,
      seq: 1,
      seen: { seq: 1, value: 'kept' },
    });
  });
});
