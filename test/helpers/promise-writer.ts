/**
 * A process whose store writes return promises from their callbacks: bundled by test/store/durability.test.ts and run
 * with node, so that a store left inside an open transaction (what lmdb-js does with such a callback) hangs this
 * process, which the test times out, and not the test runner.
 * Usage: promise-writer STORE write|derived|read. Prints one JSON line of what it saw, after the store closed:
 * - write: a write that sets n/k and returns a promise; `refused` is the error code it threw (null if none).
 * - derived: a derived write whose expression-bodied arrow returns lmdb-js's promise from put, then a plain write of
 *   n/k = "kept"; `refused` is whether writeDerived answered false, `probe` whether its put is there, `seen` what
 *   another connection to the store (a read-only open in a new process: a fresh read of the committed state) read
 *   right after the plain write returned.
 * - read (what that other process runs): opens the store read-only and reports the change counter and n/k.
 */
import { execFileSync } from 'node:child_process';
import { getValue, setValue } from '../../src/main/store/metadata';
import { Store } from '../../src/main/store/store';
import { ImgmetaError } from '../../src/shared/errors';

const [path, mode] = process.argv.slice(2);
if (!path || (mode !== 'write' && mode !== 'derived' && mode !== 'read')) {
  console.error('usage: promise-writer STORE write|derived|read');
  process.exit(2);
}
const text = (s: string) => new TextEncoder().encode(s);

/** The metadata value n/k as text, or null. */
function valueOf(store: Store): string | null {
  try {
    return new TextDecoder().decode(getValue(store.env, 'n', 'k').value);
  } catch (err) {
    if (err instanceof ImgmetaError && err.code === 'not_found') return null;
    throw err;
  }
}

const store = Store.open(path, { readOnly: mode === 'read' });
let report: object;
if (mode === 'read') {
  report = { seq: store.env.changeSeq(), value: valueOf(store) };
} else if (mode === 'write') {
  const seq = store.env.changeSeq();
  let refused: string | null = null;
  try {
    store.write((ctx) => {
      setValue(store.env, ctx, { namespace: 'n', key: 'k', value: text('lost') });
      return Promise.resolve();
    });
  } catch (err) {
    refused = err instanceof ImgmetaError ? err.code : String(err);
  }
  report = { refused, seqUnchanged: store.env.changeSeq() === seq, value: valueOf(store) };
} else {
  const derived = store.env.dbs.derived!;
  const refused = !store.env.writeDerived(() => derived.put('probe', Buffer.from([1])));
  const probe = derived.get('probe') !== undefined;
  store.write((ctx) => setValue(store.env, ctx, { namespace: 'n', key: 'k', value: text('kept') }));
  const seen = JSON.parse(
    execFileSync(process.execPath, [process.argv[1]!, path, 'read'], { encoding: 'utf8', timeout: 10_000 }),
  ) as object;
  report = { refused, probe, seq: store.env.changeSeq(), seen };
}
store.close();
process.stdout.write(`${JSON.stringify(report)}\n`);
