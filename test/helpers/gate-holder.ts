/**
 * Another process inside a store's commit gate or inside a long write transaction: bundled by
 * test/store/open-race.test.ts and run with node.
 * Usage: gate-holder STORE gate|transaction HOLD_MS MARKER. Writes MARKER, prints "holding", waits HOLD_MS and removes
 * MARKER, all inside the gate (gate) or inside one write transaction, before its commit (transaction). Whoever finds
 * MARKER gone after waiting waited for this process to get out; whoever finds it still there did not.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { CommitGate } from '../../src/main/store/commit-gate';
import { Store } from '../../src/main/store/store';

const [path, mode, holdArg, marker] = process.argv.slice(2);
if (!path || (mode !== 'gate' && mode !== 'transaction') || !holdArg || !marker) {
  console.error('usage: gate-holder STORE gate|transaction HOLD_MS MARKER');
  process.exit(2);
}

function inside(): void {
  writeFileSync(marker!, 'held');
  process.stdout.write('holding\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(holdArg));
  rmSync(marker!);
}

if (mode === 'gate') {
  const gate = CommitGate.open(path);
  gate.hold(inside);
  gate.close();
} else {
  const store = Store.open(path);
  store.env.write((ctx) => {
    store.env.dbs.meta.put('held-by-a-test', ctx.seq);
    inside();
  });
  store.close();
}
