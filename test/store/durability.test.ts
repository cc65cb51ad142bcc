import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import { bundleWorker, projectNodePath } from '../helpers/bundle';
import { tempDir } from '../helpers/store';

let worker: string;

beforeAll(async () => {
  worker = await bundleWorker('ack-worker.ts');
});

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
