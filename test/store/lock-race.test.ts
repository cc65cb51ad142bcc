import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/main/store/store';
import { ImgmetaError } from '../../src/shared/errors';
import { bundleWorker, projectNodePath } from '../helpers/bundle';
import { fakeDigest, imageInput, listAll, openStore, tempDir } from '../helpers/store';

// LMDB's last process to close a store destroys the mutexes in lock.mdb; a process that opened in the same instant
// can be granted the file over destroyed mutexes (see open-environment.ts). That instant cannot be hit on purpose, so
// these tests make its outcome directly: another process holds the store open, and the three mutexes get what
// glibc's pthread_mutex_destroy writes (the mutex kind set to -1).

/** Offsets of the kind field of lock.mdb's reader, writer and sync mutexes: glibc's robust mutexes, 64-bit Linux. */
const mutexKinds = [40, 80, 120];
/** PTHREAD_MUTEX_ROBUST_NORMAL_NP | PTHREAD_MUTEX_PSHARED_BIT: what LMDB initializes them to. */
const liveKind = 0x90;

let holder: string;
let bundleDir: string;
beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'imgmeta-holder-'));
  holder = await bundleWorker('store-holder.ts', bundleDir);
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

function hold(store: string, ms: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [holder, store, String(ms)], {
      env: { ...process.env, NODE_PATH: projectNodePath },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the holder exited (${code}) before it held the store`)));
    child.stdout!.once('data', () => resolve(child));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));

/** Destroys the lock file's mutexes the way a closing process does; false where their layout is not glibc's. */
function destroyMutexes(store: string): boolean {
  const fd = openSync(join(store, 'lock.mdb'), 'r+');
  try {
    const kind = Buffer.alloc(4);
    for (const offset of mutexKinds) {
      readSync(fd, kind, 0, 4, offset);
      if (kind.readInt32LE() !== liveKind) return false;
    }
    kind.writeInt32LE(-1);
    for (const offset of mutexKinds) writeSync(fd, kind, 0, 4, offset);
    return true;
  } finally {
    closeSync(fd);
  }
}

async function storeWithAnImage(): Promise<string> {
  const path = join(tempDir(), 'store');
  const { service, dispose } = openStore(path);
  await service['images.create'](imageInput('default', 'app:1', 1));
  dispose();
  return path;
}

describe('opening a store whose lock file a closing process reset (an LMDB race)', () => {
  it('waits for the processes holding it to let go, then opens it with its data and writes', async (ctx) => {
    if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch))
      ctx.skip('the mutex layout written here is glibc on 64-bit Linux');
    const path = await storeWithAnImage();
    const other = await hold(path, 200);
    if (!destroyMutexes(path)) ctx.skip('lock.mdb does not hold glibc robust mutexes where expected');
    const { service, dispose } = openStore(path);
    try {
      expect((await listAll(service, { namespace: 'default' })).items.map((i) => i.name)).toEqual(['app:1']);
      await service['images.create'](imageInput('default', 'app:2', 2));
      expect((await service['images.get']({ namespace: 'default', name: 'app:2' })).target.digest).toBe(
        fakeDigest(2),
      );
    } finally {
      dispose();
      await exited(other);
    }
  });

  it('while another process keeps holding it, fails with failed_precondition saying why, and changes nothing', async (ctx) => {
    if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch))
      ctx.skip('the mutex layout written here is glibc on 64-bit Linux');
    const path = await storeWithAnImage();
    const other = await hold(path, 0);
    try {
      if (!destroyMutexes(path)) ctx.skip('lock.mdb does not hold glibc robust mutexes where expected');
      let error: unknown;
      try {
        Store.open(path).close();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ImgmetaError);
      expect(error).toMatchObject({ code: 'failed_precondition' });
      expect((error as Error).message).toMatch(
        /mutexes were destroyed .* another process still holds it open/,
      );
    } finally {
      other.kill('SIGKILL');
      await exited(other);
    }
    const { service, dispose } = openStore(path);
    try {
      expect((await listAll(service, { namespace: 'default' })).items.map((i) => i.name)).toEqual(['app:1']);
    } finally {
      dispose();
    }
  });
});
