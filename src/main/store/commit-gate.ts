import type { RootDatabase } from 'lmdb';
import { accessSync, constants, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openEnvironment } from './open-environment';

/** The gate's files, beside the store's own: an LMDB environment that never holds data (noSubdir: FILE, FILE-lock). */
export const gateFiles = ['gate.mdb', 'gate.mdb-lock'] as const;

/**
 * A lock, shared by every process using one store, that each open of the store and each commit to it hold, so that no
 * process opens the store while another commits.
 *
 * Why: the LMDB that lmdb-js 3.5 builds (its own fork) ends every open by writing the transaction id it read from the
 * data file's header into the lock file's "latest transaction" (mti_txnid), without the writer's lock. Upstream LMDB
 * writes it only when opening a previous snapshot, under the exclusive lock of a process alone. When another process
 * commits between that read and that write, the latest transaction goes back by one: readers get the snapshot before
 * the commit, and the next writer builds on that snapshot and writes its meta page over the commit's. A transaction
 * acknowledged as durable is gone, and the pages it used are handed out again (the next commits fail with MDB_BAD_TXN,
 * "mdb_page_touch no parent"). A CI run lost a key that way (three `imgmeta meta set` on a new store at once, then a
 * get), and here a writer with two processes opening the store beside it lost a commit or corrupted the store within
 * 1-15 s (raw lmdb-js; test/store/open-race.test.ts in 2 of 3 runs of 4 s). With the gate: no loss in 186,771
 * commits across 2,159 opens (raw lmdb-js, 20 s).
 *
 * The lock is the writer lock of a second LMDB environment, one that holds no data: holding the gate is a write
 * transaction on it that is aborted, never committed (~0.4 us). Its mutex is LMDB's robust one: a process that dies
 * holding it frees it. Opening the gate itself goes through the same recovery as the store (open-environment.ts), and
 * nothing is ever committed to it, so the same bug has nothing there to lose.
 *
 * Held as briefly as the race allows: an open holds it only across LMDB's own open of the environment (where the
 * header is read and the id written), and a write only across LMDB's commit, entered at the end of its transaction.
 * So a read-only open waits for a commit in progress, never for a long transaction before it (an import builds for
 * minutes); a read-write open waits for that transaction anyway (lmdb-js opens each database in a write transaction),
 * as it did before the gate; readers already open never wait. Lock order: a writer holds the store's writer lock and
 * then the gate; an open holds the gate and takes no writer lock inside it.
 */
export class CommitGate {
  /** Nested enters take the lock once. */
  private depth = 0;

  private constructor(
    private readonly root: RootDatabase | undefined,
    /** Whether this open created the gate's files. */
    readonly created: boolean,
    private readonly dir: string,
  ) {}

  /**
   * The gate of the store in `dir`, made with the store's first open. Where it cannot be written (a read-only medium,
   * another user's store opened to read), a gate that holds nothing: nothing there commits, and LMDB opens such a
   * store to read without its lock file when it cannot write that either.
   */
  static open(dir: string): CommitGate {
    const path = join(dir, gateFiles[0]);
    const existed = existsSync(path);
    if (!writable(existed ? path : dir)) return CommitGate.none();
    const root = openEnvironment({ path, noSubdir: true, overlappingSync: false, maxDbs: 1 });
    return new CommitGate(root, !existed, dir);
  }

  /** A gate that holds nothing: for an open that fails before it could race (no store there to read). */
  static none(): CommitGate {
    return new CommitGate(undefined, false, '');
  }

  /** Runs `fn` holding the gate: no other process opens the store or commits to it meanwhile. */
  hold<T>(fn: () => T): T {
    this.enter();
    try {
      return fn();
    } finally {
      this.leave();
    }
  }

  /**
   * Takes the gate until leave(): for a commit, which lmdb-js runs after the transaction's callback returns, so the
   * gate is taken at the end of the callback and let go once the transaction returned. Nested enters take it once.
   */
  enter(): void {
    if (this.depth++ > 0 || !this.root) return;
    // lmdb-js's transactionSync is lexical; its environment's own begin and abort are what it calls inside. Nothing
    // else ever writes to this environment.
    (this.root as unknown as { env: GateEnv }).env.beginTxn(0);
  }

  leave(): void {
    if (--this.depth > 0 || !this.root) return;
    (this.root as unknown as { env: GateEnv }).env.abortTxn();
  }

  close(): void {
    this.root?.close();
  }

  /** Closes the gate and removes its files: for a directory just found not to be a store, which should stay as it was. */
  discard(): void {
    this.close();
    if (this.created) for (const file of gateFiles) rmSync(join(this.dir, file), { force: true });
  }
}

/** What lmdb-js's native environment offers for a write transaction: begin (blocking on the writer lock) and abort. */
interface GateEnv {
  beginTxn(flags: number): void;
  abortTxn(): void;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
