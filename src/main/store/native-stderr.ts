/**
 * lmdb-js's native code prints some failures on stderr itself, with `fprintf` and no end of line: LMDB's
 * `Write error: <cause> position <p>, size <n>` when a write fails outright (a disk already full), and lmdb-js's
 * `No current read transaction available` when a read finds no transaction (the lock race open-environment.ts
 * retries). Whatever the process prints next on stderr would be glued to that text. The store notes each such failure
 * it sees (their errors carry the detail lmdb-js keeps exactly when it printed); the CLI ends the line before its
 * own error line, which so stays a line of its own.
 */
const printedWith = /No transaction to renew|Attempting to write page/;

let lineOpen = false;

/** Notes a failure from lmdb-js that came with an unterminated line on stderr. */
export function noteNativeFailure(err: unknown): void {
  if (err instanceof Error && printedWith.test(err.message)) lineOpen = true;
}

/** Whether a native line is open on stderr; it counts as ended once asked (the caller ends it). */
export function takeOpenNativeLine(): boolean {
  const open = lineOpen;
  lineOpen = false;
  return open;
}
