/**
 * A second (third, ...) process writing the same store: bundled by test/store/processes.test.ts with esbuild and
 * run with node. Usage: writer-worker STORE ID COUNT INCREMENTS
 * Writes COUNT images and COUNT metadata keys (one transaction each, interleaved) under names unique to ID, and
 * bumps a shared counter INCREMENTS times with optimistic concurrency (expectedVersion, retried on conflict).
 * Prints one JSON line when done.
 */
import { createService } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import { ImgmetaError } from '../../src/shared/errors';

const [path, id, countArg, incrementsArg] = process.argv.slice(2);
if (!path || !id || !countArg || !incrementsArg) {
  console.error('usage: writer-worker STORE ID COUNT INCREMENTS');
  process.exit(2);
}
const count = Number(countArg);
const increments = Number(incrementsArg);

async function bump(service: ReturnType<typeof createService>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    let current = 0;
    let version = 0;
    try {
      const got = await service['metadata.get']({ namespace: 'shared', key: 'counter' });
      current = Number(new TextDecoder().decode(got.value));
      version = got.version;
    } catch (err) {
      if (!(err instanceof ImgmetaError && err.code === 'not_found')) throw err;
    }
    try {
      await service['metadata.set']({
        namespace: 'shared',
        key: 'counter',
        value: new TextEncoder().encode(String(current + 1)),
        expectedVersion: version,
      });
      return attempt - 1;
    } catch (err) {
      if (!(err instanceof ImgmetaError && err.code === 'conflict')) throw err;
      await new Promise((resolve) => setImmediate(resolve)); // let lmdb-js renew its read snapshot
    }
  }
}

async function main(): Promise<void> {
  const store = Store.open(path!);
  const service = createService(store);
  let conflicts = 0;
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  for (let i = 0; i < count; i++) {
    await service['images.create']({
      namespace: 'shared',
      name: `worker-${id}/app:${i}`,
      target: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${hex(Number(id))}${hex(i)}${'0'.repeat(48)}`,
        size: i,
      },
      labels: { worker: id! },
    });
    await service['metadata.set']({
      namespace: 'shared',
      key: `${id}/${String(i).padStart(4, '0')}`,
      value: new TextEncoder().encode(`${id}:${i}`),
    });
    if (i < increments) conflicts += await bump(service);
    // yield to the event loop so lmdb-js renews read snapshots, as a long-running app would between requests
    if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  store.close();
  console.log(JSON.stringify({ done: id, images: count, keys: count, conflicts }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
