/**
 * Writes through the store and acknowledges each write on stdout as soon as `store.write` has returned (awaiting it
 * only if it returned a promise, so a write that claims to be done synchronously gets no event-loop turn to finish
 * in), then kills itself with SIGKILL right after the last acknowledgement.
 * Usage: ack-worker STORE COUNT
 */
import { writeSync } from 'node:fs';
import { createImage } from '../../src/main/store/images';
import { setValue } from '../../src/main/store/metadata';
import { Store } from '../../src/main/store/store';

const [path, countArg] = process.argv.slice(2);
const store = Store.open(path!);

async function main(): Promise<void> {
  for (let i = 0; i < Number(countArg); i++) {
    const written: unknown = store.write((ctx) => {
      createImage(store.env, ctx, {
        namespace: 'acked',
        name: `example.com/acked:${i}`,
        target: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${i.toString(16).padStart(64, '0')}`,
          size: i,
        },
        labels: {},
      });
      setValue(store.env, ctx, { namespace: 'acked', key: `k${i}`, value: new Uint8Array([i & 0xff]) });
    });
    if (written instanceof Promise) await written;
    writeSync(1, `${i}\n`);
  }
  process.kill(process.pid, 'SIGKILL');
}

void main();
