/**
 * One side of the open-while-commit race: bundled by test/store/open-race.test.ts and run with node.
 * Usage: open-race-worker STORE writer|opener MS
 * - writer: for MS ms, reads a counter and sets it one higher, one durable transaction each, and notices whenever the
 *   counter it reads is not the one it last wrote (a transaction it committed was lost).
 * - opener: for MS ms, opens the store (read-write and read-only in turn), reads the counter and closes it again.
 * Prints "ready" once it has the store (the writer) or is about to start (the opener), then one JSON line when done.
 */
import { createService } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import { ImgmetaError } from '../../src/shared/errors';

const [path, role, msArg] = process.argv.slice(2);
if (!path || (role !== 'writer' && role !== 'opener') || !msArg) {
  console.error('usage: open-race-worker STORE writer|opener MS');
  process.exit(2);
}
const ms = Number(msArg);
const key = { namespace: 'race', key: 'counter' };

async function readCounter(service: ReturnType<typeof createService>): Promise<number> {
  try {
    return Number(new TextDecoder().decode((await service['metadata.get'](key)).value));
  } catch (err) {
    if (err instanceof ImgmetaError && err.code === 'not_found') return 0;
    throw err;
  }
}

async function writer(): Promise<object> {
  const store = Store.open(path!);
  const service = createService(store);
  let expected = await readCounter(service);
  const lost: string[] = [];
  let commits = 0;
  process.stdout.write('ready\n');
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const seen = await readCounter(service);
    if (seen !== expected) lost.push(`after commit ${commits}: read ${seen}, wrote ${expected}`);
    await service['metadata.set']({ ...key, value: new TextEncoder().encode(String(seen + 1)) });
    expected = seen + 1;
    commits++;
  }
  const final = await readCounter(service);
  store.close();
  return { commits, lost, final, expected };
}

async function opener(): Promise<object> {
  process.stdout.write('ready\n');
  let opens = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const store = Store.open(path!, { readOnly: opens % 2 === 1 });
    await readCounter(createService(store));
    store.close();
    opens++;
  }
  return { opens };
}

(role === 'writer' ? writer() : opener()).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
