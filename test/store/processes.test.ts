import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, projectNodePath } from '../helpers/bundle';
import { listAll, nextTurn, openStore } from '../helpers/store';

let worker: string;

beforeAll(async () => {
  worker = await bundleWorker('writer-worker.ts');
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runWorker(store: string, id: string, count: number, increments: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    // The bundle lives in a temp dir: its run-time dependencies (lmdb, ...) resolve from this project's node_modules.
    const child = spawn(process.execPath, [worker, store, id, String(count), String(increments)], {
      env: { ...process.env, NODE_PATH: projectNodePath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('two processes writing the same store at once', () => {
  it(
    'every write of both lands, counts agree, the shared counter loses no increment, check is ok',
    { timeout: 60_000 },
    async () => {
      const count = 300;
      const increments = 100;
      const reader = openStore();
      try {
        const { service, store, dir } = reader;
        await service['images.create']({
          namespace: 'shared',
          name: 'reader/app:0',
          target: {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: `sha256:${'f'.repeat(64)}`,
            size: 1,
          },
        });
        const seqBefore = store.changeSeq();

        let running = true;
        const both = Promise.all([
          runWorker(dir, '1', count, increments),
          runWorker(dir, '2', count, increments),
        ]).finally(() => {
          running = false;
        });

        // Read while they write: every read is a consistent snapshot, and nothing ever goes backwards.
        let reads = 0;
        let lastImages = 0;
        let lastSeq = seqBefore;
        while (running) {
          const info = await service['store.info']({});
          const indexed = await service['images.list']({ namespace: 'shared', limit: 1 });
          const filtered = await service['images.list']({ filter: { name: 'worker-' }, limit: 1 });
          expect(indexed.total).toBe(info.images);
          expect(filtered.total).toBe(info.images - 1);
          expect(info.images).toBeGreaterThanOrEqual(lastImages);
          expect(info.changeSeq).toBeGreaterThanOrEqual(lastSeq);
          lastImages = info.images;
          lastSeq = info.changeSeq;
          reads++;
          await new Promise((resolve) => setTimeout(resolve, 15));
        }
        const runs = await both;
        for (const run of runs) {
          expect(run.stderr).toBe('');
          expect(run.code).toBe(0);
        }
        const done = runs.map(
          (r) =>
            JSON.parse(r.stdout.trim()) as { done: string; images: number; keys: number; conflicts: number },
        );
        expect(done.map((d) => d.done).sort()).toEqual(['1', '2']);
        expect(reads).toBeGreaterThan(1);
        await nextTurn();

        const info = await service['store.info']({});
        expect(info).toMatchObject({
          images: 2 * count + 1,
          namespaces: 1,
          metadataNamespaces: 1,
          metadataKeys: 2 * count + 1,
        });
        // one transaction per image, per key and per successful increment; failed (conflicting) writes change nothing
        expect(info.changeSeq).toBe(seqBefore + 2 * count * 2 + 2 * increments);

        const names = (await listAll(service, { filter: { name: 'worker-' } }, 1000)).items.map(
          (i) => i.name,
        );
        const want = ['1', '2']
          .flatMap((id) => Array.from({ length: count }, (_, i) => `worker-${id}/app:${i}`))
          .sort();
        expect(names).toEqual(want);
        for (const id of ['1', '2']) {
          const page = await service['images.list']({ filter: { labels: [`worker=${id}`] }, limit: 1 });
          expect(page.total).toBe(count);
          const keys = await service['metadata.list']({ namespace: 'shared', prefix: `${id}/`, limit: 1000 });
          expect(keys.total).toBe(count);
          expect(keys.items.map((k) => k.key)).toEqual(
            Array.from({ length: count }, (_, i) => `${id}/${String(i).padStart(4, '0')}`),
          );
          const value = await service['metadata.get']({ namespace: 'shared', key: `${id}/0299` });
          expect(new TextDecoder().decode(value.value)).toBe(`${id}:299`);
        }
        const counter = await service['metadata.get']({ namespace: 'shared', key: 'counter' });
        expect(new TextDecoder().decode(counter.value)).toBe(String(2 * increments));

        const check = await service['store.check']({ deep: true });
        expect(check.errors).toEqual([]);
        expect(check.ok).toBe(true);
      } finally {
        reader.dispose();
      }
    },
  );
});
