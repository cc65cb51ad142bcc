import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, root } from '../cli/run';

/**
 * The bounded version of `npm run test:load` (bench/load.mjs): 50 concurrent readers and a writer against
 * `imgmeta serve` on loopback for 5 seconds. Behaviour only: every request answered ok, the writer's writes all in
 * the store. The latencies it prints are for people; the 20-second run's figures are in the README.
 */
beforeAll(() => buildCli(), 60_000);

interface LoadResult {
  errors: number;
  firstErrors: string[];
  clients: number;
  reads: { count: number };
  writes: { count: number };
  perOperation: Record<string, { count: number }>;
  store: { images: number };
  expectedImages: number;
}

function runLoad(args: string[]): Promise<{ code: number | null; result: LoadResult; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bench', 'load.mjs'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        resolve({ code, result: JSON.parse(out) as LoadResult, stderr: err });
      } catch {
        reject(new Error(`load.mjs exited ${code} without a result: ${err}`));
      }
    });
  });
}

describe('under load (50 readers and a writer, 5 s)', () => {
  it('answers every request ok, and keeps every write', async () => {
    const { code, result, stderr } = await runLoad([
      '--seconds',
      '5',
      '--clients',
      '50',
      '--images',
      '200',
      '--keys',
      '100',
      '--baseline-seconds',
      '1',
      '--no-results',
      '--json',
    ]);
    expect(result.firstErrors).toEqual([]);
    expect(result.errors).toBe(0);
    expect(code).toBe(0);
    expect(result.clients).toBe(50);
    expect(result.reads.count).toBeGreaterThan(0);
    expect(result.writes.count).toBeGreaterThan(0);
    for (const operation of [
      'images.list',
      'images.get',
      'metadata.get',
      'metadata.list',
      'images.create (write)',
    ])
      expect(result.perOperation[operation]?.count, operation).toBeGreaterThan(0);
    expect(result.store.images).toBe(result.expectedImages);
    expect(stderr).toMatch(/load: 50 readers and 1 writer for 5 s against http:\/\/127\.0\.0\.1:\d+/);
  }, 120_000);
});
