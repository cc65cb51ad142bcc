/**
 * Another process holding a store's commit gate: bundled by test/store/open-race.test.ts and run with node.
 * Usage: gate-holder STORE HOLD_MS MARKER. Takes the gate, writes MARKER, prints "holding", waits HOLD_MS, removes
 * MARKER and only then lets go: whoever finds MARKER gone after waiting for the gate waited for this process.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { CommitGate } from '../../src/main/store/commit-gate';

const [path, holdArg, marker] = process.argv.slice(2);
if (!path || !holdArg || !marker) {
  console.error('usage: gate-holder STORE HOLD_MS MARKER');
  process.exit(2);
}
const gate = CommitGate.open(path);
gate.hold(() => {
  writeFileSync(marker, 'held');
  process.stdout.write('holding\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(holdArg));
  rmSync(marker);
});
gate.close();
