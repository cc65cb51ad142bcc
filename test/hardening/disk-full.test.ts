import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../cli/run';
import { useSmallDisks } from '../helpers/small-disks';

/**
 * A full disk, for real: a 3 MiB tmpfs in a private mount namespace (test/helpers/small-disks.ts), written to with the
 * built CLI until it is full. LMDB reports the write the filesystem cut short as "Input/output error"; imgmeta says the
 * disk is full, changes nothing, and works again once there is room. Creating a store on a full disk is refused
 * before LMDB maps its new lock file (which killed the process with SIGBUS).
 */

const disks = useSmallDisks();
const onSmallDisk = (steps: string[][]) => disks.run(steps);

const value = disks.files.value;
/** `imgmeta --store store ARGS`, a step on the small disk. */
const onStore = (...args: string[]) => ['imgmeta', '--store', 'store', ...args];
/** A 700 kB `meta set` of each key, in order: enough to fill the 3 MiB disk. */
const setEach = (keys: string[]) => keys.map((k) => onStore('meta', 'set', 'ns', k, '--file', value()));
const diskFull =
  /^imgmeta: failed_precondition: not enough space on the device holding the store at .+ \([\d,]+ bytes free\): nothing was written \(.+\)\n$/;

// Each test runs a dozen CLI processes in turn; on a loaded CI that took 45 s.
describe('a full disk', { timeout: 180_000 }, () => {
  it('a write that does not fit is refused as a full disk, changes nothing, and goes through once there is room', (ctx) => {
    if (disks.unavailable()) return ctx.skip(disks.unavailable());
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    const results = onSmallDisk([
      ...setEach(keys),
      onStore('meta', 'ls', 'ns', '--json'),
      ['grow', '20m'],
      ...setEach(keys),
      onStore('check', '--json'),
    ]);
    const filling = results.slice(0, keys.length);
    const stored = keys.filter((_, i) => filling[i]!.code === 0);
    // Some fit, then none: each refusal says the disk is full, with exit 1.
    expect(stored.length).toBeGreaterThan(0);
    expect(stored).toEqual(keys.slice(0, stored.length));
    expect(stored.length).toBeLessThan(keys.length);
    for (const refused of filling.slice(stored.length)) {
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(diskFull);
    }
    const listed = JSON.parse(results[keys.length]!.out!) as { key: string }[];
    expect(listed.map((i) => i.key)).toEqual(stored);
    expect(results[keys.length + 1]!.code).toBe(0);
    for (const after of results.slice(keys.length + 2, 2 * keys.length + 2))
      expect(after).toMatchObject({ code: 0 });
    expect(JSON.parse(results.at(-1)!.out!)).toMatchObject({ ok: true, errors: [] });
  });

  it('a new store on a full disk is refused before any of its files is made; an existing one still reads', (ctx) => {
    if (disks.unavailable()) return ctx.skip(disks.unavailable());
    const small = disks.files.small();
    const fill = setEach(['k1', 'k2', 'k3', 'k4', 'k5']);
    const results = onSmallDisk([
      ...fill,
      ['imgmeta', '--store', 'new/store', 'meta', 'set', 'ns', 'a', '--file', small],
      ['exists', 'new'],
      onStore('meta', 'get', 'ns', 'k1'),
    ]);
    expect(results.slice(0, fill.length).some((r) => r.code === 1)).toBe(true);
    const create = results[fill.length]!;
    expect(create.signal).toBeNull();
    expect(create.code).toBe(1);
    expect(create.err).toMatch(
      /^imgmeta: failed_precondition: not enough space on the device holding .+new\/store to create a store there \([\d,]+ bytes free; it needs [\d,]+\)\n$/,
    );
    expect(results[fill.length + 1]).toEqual({ exists: false });
    expect(results[fill.length + 2]).toMatchObject({ code: 0, out: 'v'.repeat(700_000) });
  });

  it('an export to a full disk is refused as such and leaves no partial layout', (ctx) => {
    if (disks.unavailable()) return ctx.skip(disks.unavailable());
    const layout = join(root, 'test', 'fixtures', 'oci-layout-umoci', 'layout');
    const fill = setEach(['k1', 'k2', 'k3', 'k4', 'k5']);
    const results = onSmallDisk([
      onStore('import', layout),
      ...fill,
      onStore('export', 'example.com/fixtures/app:1.0', '--to', 'out'),
      ['exists', 'out'],
    ]);
    expect(results[0]!.code).toBe(0);
    expect(results.slice(1, 1 + fill.length).some((r) => r.code === 1)).toBe(true);
    expect(results[1 + fill.length]).toMatchObject({ code: 1 });
    expect(results[1 + fill.length]!.err).toMatch(
      /^imgmeta: failed_precondition: .+out: export failed: ENOSPC/,
    );
    expect(results.at(-1)).toEqual({ exists: false });
  });

  it('on a disk another program filled, LMDB prints its own line and the error still has a line of its own', (ctx) => {
    if (disks.unavailable()) return ctx.skip(disks.unavailable());
    const results = onSmallDisk([
      onStore('meta', 'set', 'ns', 'a', '--file', disks.files.small()),
      ['fill'],
      onStore('meta', 'set', 'ns', 'b', '--file', value()),
      onStore('meta', 'ls', 'ns', '--json'),
    ]);
    expect(results[1]).toEqual({ full: true });
    const refused = results[2]!;
    expect(refused.code).toBe(1);
    // LMDB's fprintf ("Write error: No space left on device position ..., size ...") has no end of line.
    expect(refused.err).toMatch(
      /^Write error: [^\n]+\nimgmeta: failed_precondition: not enough space on the device holding the store at .+ \(0 bytes free\): nothing was written \(No space left on device\)\n$/,
    );
    expect((JSON.parse(results[3]!.out!) as { key: string }[]).map((k) => k.key)).toEqual(['a']);
  });
});
