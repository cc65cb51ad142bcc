/**
 * A small filesystem of its own: bundled by test/helpers/small-disks.ts (the disk-full and read-only store tests) and
 * run with node inside a private mount namespace (`unshare -m`), so that its tmpfs is gone with the process and no
 * test touches a real mount.
 * Usage: small-disk DIR SIZE STEPS_JSON. Mounts a tmpfs of SIZE (mount's `size=`, e.g. 3m) on DIR, runs the steps in
 * order and prints one JSON line, a result per step:
 * - ["imgmeta", ...args]: the built CLI as a user runs it, with DIR as the working directory: {code, out, err}
 * - ["grow", size]: remounts the tmpfs with a new size, as a user freeing space would: {code}
 * - ["exists", relativePath]: {exists}
 * - ["fill"]: writes DIR/filler until the device is full, as another program would: {full}
 * - ["readonly"]: remounts the tmpfs read-only, as a backup or a snapshot is mounted: {code}
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const [dir, size, stepsJson] = process.argv.slice(2);
const bin = process.env.IMGMETA_BIN;
if (!dir || !size || !stepsJson || !bin) {
  console.error('usage: IMGMETA_BIN=bin/imgmeta.js small-disk DIR SIZE STEPS_JSON');
  process.exit(2);
}

const mount = (options: string) =>
  spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
const mounted = mount(`size=${size}`);
if (mounted.status !== 0) {
  console.error(`small-disk: cannot mount a tmpfs on ${dir}: ${mounted.stderr}`);
  process.exit(3);
}

const results = (JSON.parse(stepsJson) as string[][]).map(([kind, ...args]) => {
  if (kind === 'imgmeta') {
    const r = spawnSync(process.execPath, [bin, ...args], {
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
      timeout: 30_000,
    });
    return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
  }
  if (kind === 'grow') return { code: spawnSync('mount', ['-o', `remount,size=${args[0]}`, dir]).status };
  if (kind === 'readonly') return { code: spawnSync('mount', ['-o', 'remount,ro', dir]).status };
  if (kind === 'exists') return { exists: existsSync(join(dir, args[0]!)) };
  if (kind === 'fill') return { full: fill(join(dir, 'filler')) };
  throw new Error(`small-disk: unknown step ${kind}`);
});
process.stdout.write(`${JSON.stringify(results)}\n`);

/** Appends 4 KiB blocks, then single bytes, until the filesystem says ENOSPC; whether it did. */
function fill(file: string): boolean {
  const fd = openSync(file, 'a');
  try {
    for (const block of [Buffer.alloc(4096), Buffer.alloc(1)]) {
      try {
        for (;;) writeSync(fd, block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
    return true;
  } finally {
    closeSync(fd);
  }
}
