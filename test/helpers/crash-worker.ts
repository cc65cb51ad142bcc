/**
 * The process the crash test kills: runs a seeded random mix of imports (real fixtures through the real importer and
 * commit), image creates, tags, deletes, restores, trash purges, metadata sets and deletes, and GC, one at a time,
 * through the service. Before each operation it writes `B <op>` and, only once the operation has returned (its
 * transaction committed and synced), `D <op>` on stdout, with a synchronous write so nothing sits in a buffer.
 * Usage: crash-worker STORE SEED PROJECT_ROOT
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { createService } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import { importSpecs, random, readState, type CrashOp, type State } from './crash-model';

const [path, seedArg, root] = process.argv.slice(2);
const rng = random(Number(seedArg));
const line = (text: string) => writeSync(1, `${text}\n`);

function choose(state: State): CrashOp {
  const images = [...state.images.keys()];
  const split = (r: string) => {
    const at = r.indexOf('/');
    return { namespace: r.slice(0, at), name: r.slice(at + 1) };
  };
  for (;;) {
    const roll = rng.next();
    if (roll < 0.12) return { op: 'import', spec: rng.int(importSpecs.length) };
    if (roll < 0.3) {
      const name = `example.com/crash/app:${rng.int(40)}`;
      if (state.images.has(`crash/${name}`)) continue;
      const digest = `sha256:${rng
        .int(2 ** 31)
        .toString(16)
        .padStart(64, '0')}`;
      return { op: 'create', namespace: 'crash', name, digest };
    }
    if (roll < 0.35 && images.length > 0) {
      const source = split(rng.pick(images));
      const name = `example.com/crash/tagged:${rng.int(20)}`;
      if (state.images.has(`${source.namespace}/${name}`)) continue;
      return { op: 'tag', namespace: source.namespace, source: source.name, name };
    }
    if (roll < 0.52 && images.length > 0)
      return { op: 'delete', ...split(rng.pick(images)), purge: rng.next() < 0.25 };
    if (roll < 0.62) {
      const restorable = state.trash.filter((t) => !state.images.has(t.ref));
      if (restorable.length === 0) continue;
      return { op: 'restore', ...split(rng.pick(restorable).ref) };
    }
    if (roll < 0.66 && state.trash.length > 0) {
      const entry = rng.pick(state.trash);
      return { op: 'purge', id: entry.id!, ref: entry.ref, digest: entry.digest };
    }
    if (roll < 0.88) {
      const key = `k${rng.int(20)}`;
      const value = Buffer.from(Array.from({ length: 1 + rng.int(64) }, () => rng.int(256))).toString('hex');
      const current = state.metadata.get(`crash-meta/${key}`);
      return { op: 'set', namespace: 'crash-meta', key, value, expectedVersion: current?.version ?? 0 };
    }
    if (roll < 0.93) {
      const keys = [...state.metadata.keys()].filter((k) => k.startsWith('crash-meta/'));
      if (keys.length === 0) continue;
      return { op: 'unset', namespace: 'crash-meta', key: rng.pick(keys).slice('crash-meta/'.length) };
    }
    return { op: 'gc' };
  }
}

async function run(service: ReturnType<typeof createService>, op: CrashOp): Promise<void> {
  switch (op.op) {
    case 'import': {
      const spec = importSpecs[op.spec]!;
      await service['sources.import']({
        path: join(root!, spec.path),
        ...(spec.namespace ? { namespace: spec.namespace } : {}),
      });
      return;
    }
    case 'create':
      await service['images.create']({
        namespace: op.namespace,
        name: op.name,
        target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: op.digest, size: 1234 },
      });
      return;
    case 'tag':
      await service['images.tag']({ namespace: op.namespace, source: op.source, name: op.name });
      return;
    case 'delete':
      await service['images.delete']({
        images: [{ namespace: op.namespace, name: op.name }],
        purge: op.purge,
        force: true,
      });
      return;
    case 'restore':
      await service['images.restore']({ images: [{ namespace: op.namespace, name: op.name }] });
      return;
    case 'purge':
      await service['trash.purge']({ ids: [op.id] });
      return;
    case 'set':
      await service['metadata.set']({
        namespace: op.namespace,
        key: op.key,
        value: Buffer.from(op.value, 'hex'),
        expectedVersion: op.expectedVersion,
      });
      return;
    case 'unset':
      await service['metadata.delete']({ namespace: op.namespace, key: op.key });
      return;
    case 'gc':
      await service['gc.run']({});
      return;
  }
}

async function main(): Promise<void> {
  const store = Store.open(path!);
  const service = createService(store);
  line('R');
  for (;;) {
    // a fresh read snapshot for the choice: lmdb-js renews it between event-loop turns
    await new Promise((resolve) => setImmediate(resolve));
    const op = choose(await readState(service));
    line(`B ${JSON.stringify(op)}`);
    await run(service, op);
    line(`D ${JSON.stringify(op)}`);
  }
}

main().catch((err: unknown) => {
  line(`E ${String((err as Error).stack ?? err)}`.replace(/\n/g, ' | '));
  process.exit(1);
});
