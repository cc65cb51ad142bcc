import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker } from '../helpers/bundle';
import { root } from '../cli/run';

/**
 * A full disk, for real: a 3 MiB tmpfs in a private mount namespace (test/helpers/small-disk.ts), written to with the
 * built CLI until it is full. LMDB reports the write the filesystem cut short as "Input/output error"; imgmeta says the
 * disk is full, changes nothing, and works again once there is room. Creating a store on a full disk is refused
 * before LMDB maps its new lock file (which killed the process with SIGBUS).
 */

let work: string;
let helper: string;
/** How to enter a mount namespace here: as root directly, otherwise as root of a new user namespace; or why not. */
let unshare: string[] | string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'imgmeta-disk-full-'));
  helper = await bundleWorker('small-disk.ts', work);
  writeFileSync(join(work, 'value.bin'), Buffer.alloc(700_000, 'v'));
  writeFileSync(join(work, 'small.bin'), 'x');
  unshare = 'neither `unshare -m` nor `unshare -rm` could mount a tmpfs here';
  for (const flags of process.getuid?.() === 0 ? [['-m'], ['-rm']] : [['-rm']]) {
    const probe = join(work, 'probe');
    spawnSync('mkdir', ['-p', probe]);
    const r = spawnSync('unshare', [...flags, 'mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
    if (r.status === 0) {
      unshare = flags;
      break;
    }
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface StepResult {
  code?: number | null;
  signal?: string | null;
  out?: string;
  err?: string;
  exists?: boolean;
}

/** Runs the steps on a new 3 MiB tmpfs of their own; the values are 700 kB files and a 1-byte one. */
function onSmallDisk(steps: string[][]): StepResult[] {
  const dir = mkdtempSync(join(work, 'disk-'));
  const r = spawnSync(
    'unshare',
    [...(unshare as string[]), process.execPath, helper, dir, '3m', JSON.stringify(steps)],
    {
      env: { ...process.env, IMGMETA_BIN: join(root, 'bin', 'imgmeta.js') },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (r.status !== 0) throw new Error(`small-disk exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as StepResult[];
}

const value = () => join(work, 'value.bin');
const diskFull =
  /^imgmeta: failed_precondition: not enough space on the device holding the store at .+ \([\d,]+ bytes free\): nothing was written \(.+\)\n$/;

describe('a full disk', () => {
  it('a write that does not fit is refused as a full disk, changes nothing, and goes through once there is room', (ctx) => {
    if (typeof unshare === 'string') return ctx.skip(unshare);
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    const results = onSmallDisk([
      ...keys.map((k) => ['imgmeta', '--store', 'store', 'meta', 'set', 'ns', k, '--file', value()]),
      ['imgmeta', '--store', 'store', 'meta', 'ls', 'ns', '--json'],
      ['grow', '20m'],
      ...keys.map((k) => ['imgmeta', '--store', 'store', 'meta', 'set', 'ns', k, '--file', value()]),
      ['imgmeta', '--store', 'store', 'check', '--json'],
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
    if (typeof unshare === 'string') return ctx.skip(unshare);
    const small = join(work, 'small.bin');
    const fill = ['k1', 'k2', 'k3', 'k4', 'k5'].map((k) => [
      'imgmeta',
      '--store',
      'store',
      'meta',
      'set',
      'ns',
      k,
      '--file',
      value(),
    ]);
    const results = onSmallDisk([
      ...fill,
      ['imgmeta', '--store', 'new/store', 'meta', 'set', 'ns', 'a', '--file', small],
      ['exists', 'new'],
      ['imgmeta', '--store', 'store', 'meta', 'get', 'ns', 'k1'],
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
    if (typeof unshare === 'string') return ctx.skip(unshare);
    const layout = join(root, 'test', 'fixtures', 'oci-layout-umoci', 'layout');
    const fill = ['k1', 'k2', 'k3', 'k4', 'k5'].map((k) => [
      'imgmeta',
      '--store',
      'store',
      'meta',
      'set',
      'ns',
      k,
      '--file',
      value(),
    ]);
    const results = onSmallDisk([
      ['imgmeta', '--store', 'store', 'import', layout],
      ...fill,
      ['imgmeta', '--store', 'store', 'export', 'example.com/fixtures/app:1.0', '--to', 'out'],
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
    if (typeof unshare === 'string') return ctx.skip(unshare);
    const results = onSmallDisk([
      ['imgmeta', '--store', 'store', 'meta', 'set', 'ns', 'a', '--file', join(work, 'small.bin')],
      ['fill'],
      ['imgmeta', '--store', 'store', 'meta', 'set', 'ns', 'b', '--file', value()],
      ['imgmeta', '--store', 'store', 'meta', 'ls', 'ns', '--json'],
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
