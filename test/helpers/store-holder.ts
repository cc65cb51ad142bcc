/**
 * Another process holding a store open: bundled by test/store/lock-race.test.ts and run with node.
 * Usage: store-holder STORE HOLD_MS. Opens the store, prints "held", and closes it HOLD_MS later (or holds it until
 * killed when HOLD_MS is 0).
 */
import { Store } from '../../src/main/store/store';

const [path, holdArg] = process.argv.slice(2);
if (!path || holdArg === undefined) {
  console.error('usage: store-holder STORE HOLD_MS');
  process.exit(2);
}
const store = Store.open(path);
store.info();
process.stdout.write('held\n');
const hold = Number(holdArg);
setTimeout(() => store.close(), hold > 0 ? hold : 2 ** 31 - 1);
