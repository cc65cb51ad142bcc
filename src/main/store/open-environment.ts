import { openAsClass, type RootDatabase, type RootDatabaseOptionsWithPath } from 'lmdb';
import { failedPrecondition } from '../../shared/errors';
import { noteNativeFailure } from './native-stderr';

/**
 * How long an open waits, in all, for the other processes caught by the lock race (below) to let go of the store:
 * they close within milliseconds of failing, since every imgmeta process retries the same way.
 */
const lockRaceBudgetMs = 1_500;

/**
 * Opens the LMDB environment and its root database, surviving a race in LMDB's lock file.
 *
 * The last process to close a store destroys the shared mutexes in `lock.mdb` (LMDB does so when it can take the
 * file's exclusive lock on close), and the next process to open it alone initializes them again. A process that
 * opens while the last one closes can lose that race: its bid for the exclusive lock fails while the closer still
 * holds a shared one, the closer then takes the exclusive lock, destroys the mutexes and leaves, and the opener's
 * shared lock is granted over destroyed mutexes. Its first transaction then fails with EINVAL (lmdb-js reports
 * "Invalid argument: No transaction to renew"), and so does every later one in that process, because lmdb-js keeps
 * one environment per file per process. Rare: a CI run of the CLI tests (which start up to four processes on one
 * store at once) hit it; ~800 such opens here did not.
 *
 * The way out is to close the environment and open it again once no other process holds it: the first to open alone
 * initializes the mutexes. So the environment is opened as a class (lmdb-js's `openAsClass`), which keeps a handle on
 * it when the root database cannot be made, and a failed root closes it before the next attempt.
 */
export function openEnvironment(
  options: RootDatabaseOptionsWithPath,
  /** Runs LMDB's own open of the environment (each attempt), before the root database is made: see commit-gate.ts. */
  whileOpening: <T>(open: () => T) => T = (open) => open(),
): RootDatabase {
  const deadline = Date.now() + lockRaceBudgetMs;
  for (let attempt = 0; ; attempt++) {
    // lmdb-js's open() builds the root from its own copy of the options; isRoot is the only one its root reads that
    // the caller's copy lacks (it marks the database whose close() closes the environment).
    const rootOptions = { ...options, isRoot: true };
    let Root: RootClass | undefined;
    try {
      Root = whileOpening(() => openAsClass(rootOptions) as unknown as RootClass);
      return new Root(null, rootOptions);
    } catch (err) {
      // An environment that failed to open is closed by lmdb-js; one whose root failed is closed here.
      if (Root) closeUnopenedRoot(Root);
      noteNativeFailure(err);
      const message = err instanceof Error ? err.message : String(err);
      if (!isLockRace(err)) throw failedPrecondition(`cannot open the store at ${options.path}: ${message}`);
      if (Date.now() >= deadline)
        throw failedPrecondition(
          `cannot open the store at ${options.path}: its lock file's mutexes were destroyed by a process that closed ` +
            `it while this one opened it, and another process still holds it open (${message}); close the other ` +
            `programs using the store and try again`,
        );
      // Back off with jitter so that processes caught together do not reopen in lockstep.
      sleep(Math.min(10 * 2 ** attempt, 200) * (0.5 + Math.random()));
    }
  }
}

type RootClass = (new (name: null, options: object) => RootDatabase) & { prototype: RootDatabase };

/** EINVAL from the first transaction: what a destroyed mutex gives (glibc's lock of a destroyed mutex). */
function isLockRace(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 22 || /No transaction to renew/.test(String(err));
}

/**
 * Closes the environment of a root database whose construction failed. lmdb-js's close() of a root aborts its read
 * transaction, waits for pending writes (none: nothing was written) and closes the environment it was opened with.
 */
function closeUnopenedRoot(Root: RootClass): void {
  const root = Object.create(Root.prototype as object, { isRoot: { value: true } }) as RootDatabase;
  try {
    void root.close().catch(() => {});
  } catch {
    // The error that made the root fail is the one worth reporting.
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Opening is synchronous (the store's callers open it before anything else); a short blocking wait keeps it so. */
export function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
