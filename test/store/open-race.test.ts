import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/main/store/store';
import { bundleWorker, projectNodePath } from '../helpers/bundle';
import { openStore, tempDir } from '../helpers/store';

// lmdb-js's LMDB ends every open by setting the lock file's latest transaction id to what it read from the data file,
// unlocked: a commit by another process in between is overwritten by the next writer (see commit-gate.ts). The first
// test runs the race for real (without the gate it lost a commit or corrupted the store in 2 of 3 runs of 4 s); the
// second checks the gate's promises in order, which fails every time without it: an open and a commit each wait for
// a process holding the gate.

let bundleDir: string;
let raceWorker: string;
let gateHolder: string;
beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'imgmeta-open-race-'));
  [raceWorker, gateHolder] = await Promise.all([
    bundleWorker('open-race-worker.ts', bundleDir),
    bundleWorker('gate-holder.ts', bundleDir),
  ]);
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

/** A new, empty store's directory. */
function newStore(): string {
  const path = join(tempDir(), 'store');
  Store.open(path).close();
  return path;
}

/** Starts a bundled worker; resolves once it prints `ready`, with a promise of its stdout's lines when it exits. */
function start(
  script: string,
  args: string[],
  ready: string,
): Promise<{ exited: Promise<string[]>; kill: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, NODE_PATH: projectNodePath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const exited = new Promise<string[]>((done, fail) =>
      child.on('exit', (code, signal) =>
        code === 0 || signal === 'SIGKILL'
          ? done(out.split('\n').filter(Boolean))
          : fail(new Error(`${script} exited ${code}: ${err}`)),
      ),
    );
    exited.catch(reject);
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(ready)) resolve({ exited, kill: () => child.kill('SIGKILL') });
    });
  });
}

describe('opening a store while another process commits (an LMDB race)', () => {
  it('loses no commit: a writer and two processes opening the store over and over, and check is clean after', async () => {
    const path = newStore();
    const ms = 4_000;
    const writer = await start(raceWorker, [path, 'writer', String(ms)], 'ready');
    const openers = await Promise.all(
      [1, 2].map(() => start(raceWorker, [path, 'opener', String(ms - 500)], 'ready')),
    );
    const [writerLines, ...openerLines] = await Promise.all([writer.exited, ...openers.map((o) => o.exited)]);
    const result = JSON.parse(writerLines.at(-1)!) as {
      commits: number;
      lost: string[];
      final: number;
      expected: number;
    };
    const opens = openerLines.map((lines) => (JSON.parse(lines.at(-1)!) as { opens: number }).opens);
    expect(result.lost).toEqual([]);
    expect(result.final).toBe(result.expected);
    // The race was run: opens while commits went on (thousands of each here; a loaded CI machine does fewer).
    expect(result.commits).toBeGreaterThan(20);
    for (const n of opens) expect(n).toBeGreaterThan(10);

    const { service, dispose } = openStore(path);
    try {
      expect((await service['store.check']({})).ok).toBe(true);
    } finally {
      dispose();
    }
  }, 30_000);

  it('an open waits for a process holding the gate, and so does a commit', async () => {
    const path = newStore();
    const marker = join(tempDir(), 'held');
    const holding = () => start(gateHolder, [path, 'gate', '300', marker], 'holding');

    const first = await holding();
    const { service, dispose } = openStore(path); // blocks until the holder lets go
    expect(existsSync(marker)).toBe(false);
    await first.exited;
    try {
      const second = await holding();
      await service['metadata.set']({ namespace: 'n', key: 'k', value: new Uint8Array([1]) });
      expect(existsSync(marker)).toBe(false);
      await second.exited;
    } finally {
      dispose();
    }
  }, 30_000);

  it('a process killed while holding the gate leaves it free: the next open and commit go through', async () => {
    const path = newStore();
    const holder = await start(gateHolder, [path, 'gate', '600000', join(tempDir(), 'held')], 'holding');
    holder.kill();
    await holder.exited;
    // LMDB's robust mutex: the next holder finds its owner dead and takes it over.
    const { service, dispose } = openStore(path);
    try {
      await service['metadata.set']({ namespace: 'n', key: 'k', value: new Uint8Array([2]) });
      expect((await service['metadata.get']({ namespace: 'n', key: 'k' })).value).toEqual(
        new Uint8Array([2]),
      );
    } finally {
      dispose();
    }
  }, 30_000);

  it("a read-only open does not wait for another process's long write transaction", async () => {
    // (A read-write open waits for it anyway: lmdb-js opens each database in a write transaction of its own.)
    const path = newStore();
    const marker = join(tempDir(), 'held');
    const writer = await start(gateHolder, [path, 'transaction', '2000', marker], 'holding');
    const store = Store.open(path, { readOnly: true });
    try {
      // Opened while the writer was still inside its transaction, it reads the snapshot before it.
      expect(existsSync(marker)).toBe(true);
      expect(store.env.dbs.meta.get('held-by-a-test')).toBeUndefined();
      await writer.exited;
    } finally {
      store.close();
    }
  }, 30_000);
});
