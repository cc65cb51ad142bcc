import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, root, tempDirs } from '../cli/run';

/**
 * A store whose data file is damaged or cut short is refused with an error before LMDB maps it. LMDB trusts its two
 * meta pages: a page past the file's end killed the process with SIGBUS, and a data file shorter than its meta pages,
 * of random bytes, or with one byte changed in a meta page's flags, format version, page size or last page killed it
 * with SIGSEGV (src/main/store/data-file.ts). Each case runs the built CLI on a damaged copy of one real store.
 */
const dirs = tempDirs();
let pristine: string;
/** Where the meta pages' fields lie in this lmdb-js's data file: the magic's offset and the page size. */
let magicAt: number;
let pageSize: number;

beforeAll(async () => {
  pristine = join(dirs.make(), 'store');
  const imgmeta = cli(pristine);
  await imgmeta.ok(['import', join(root, 'test', 'fixtures', 'oci-layout-umoci', 'layout')]);
  const value = join(dirs.make(), 'value.bin');
  writeFileSync(value, Buffer.alloc(20_000, 'v'));
  for (let i = 0; i < 20; i++) await imgmeta.ok(['meta', 'set', 'ns', `k${i}`, '--file', value]);
  const head = readFileSync(join(pristine, 'data.mdb')).subarray(0, 256);
  magicAt = head.indexOf(Buffer.from([0xde, 0xc0, 0xef, 0xbe]));
  pageSize = head.readUInt32LE(magicAt + 24);
}, 120_000);

/** A copy of the store whose data file `damage` changed, and what `meta ls` and `images ls` said on it. */
async function onDamagedCopy(damage: (file: string) => void) {
  const copy = join(dirs.make(), 'store');
  mkdirSync(copy);
  copyFileSync(join(pristine, 'data.mdb'), join(copy, 'data.mdb'));
  damage(join(copy, 'data.mdb'));
  const imgmeta = cli(copy);
  return Promise.all([imgmeta(['meta', 'ls', 'ns']), imgmeta(['images', 'ls'])]);
}

/** Sets one byte of the file. */
const poke = (file: string, offset: number, byte: number) => {
  const bytes = readFileSync(file);
  bytes[offset] = byte;
  writeFileSync(file, bytes);
};

function expectRefused(results: Awaited<ReturnType<typeof onDamagedCopy>>, message: RegExp) {
  for (const r of results) {
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(new RegExp(`^imgmeta: failed_precondition: ${message.source}`));
  }
}

describe('a damaged data file', { timeout: 60_000 }, () => {
  it('cut to half its length is refused, not read past its end', async () => {
    const results = await onDamagedCopy((file) =>
      truncateSync(file, Math.floor(readFileSync(file).length / 2)),
    );
    expectRefused(
      results,
      /the store's data file .+ is damaged: it holds [\d,]+ bytes and its header says [\d,]+ are in use/,
    );
  });

  it('cut shorter than its two header pages is refused', async () => {
    for (const length of [100, 4096, pageSize, 2 * pageSize - 1]) {
      const results = await onDamagedCopy((file) => truncateSync(file, length));
      expectRefused(
        results,
        /the store's data file .+ is damaged: it holds [\d,]+ bytes, less than its two header pages/,
      );
    }
  });

  it('of random bytes is not a store', async () => {
    const results = await onDamagedCopy((file) =>
      writeFileSync(file, Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919 + 13) % 251))),
    );
    expectRefused(results, /.+ is not a store: its data.mdb is not an LMDB data file/);
  });

  it('with one byte changed in a header page field that crashed lmdb-js is refused', async () => {
    // The page flags (6 before the magic), the format version (4 after), the page size's high bytes (26 after), and
    // the second meta page's last page (a high byte, 124 after).
    for (const offset of [magicAt - 6, magicAt + 4, magicAt + 26, pageSize + magicAt + 124]) {
      const results = await onDamagedCopy((file) => poke(file, offset, 0x5a));
      expectRefused(results, /the store's data file .+ is damaged: /);
    }
  });

  it('the undamaged copy opens and lists', async () => {
    const [keys, images] = await onDamagedCopy(() => {});
    expect(keys.code, keys.err).toBe(0);
    expect(keys.out.split('\n').filter(Boolean)).toHaveLength(21);
    expect(images.code, images.err).toBe(0);
  });
});
