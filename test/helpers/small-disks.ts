import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { root } from '../cli/run';
import { bundleWorker } from './bundle';

/** What one step of test/helpers/small-disk.ts reported. */
export interface StepResult {
  code?: number | null;
  signal?: string | null;
  out?: string;
  err?: string;
  exists?: boolean;
  full?: boolean;
}

/**
 * Small filesystems for a test file: each `run` mounts a tmpfs of its own in a private mount namespace and runs the
 * steps there with test/helpers/small-disk.ts (see its steps). `unavailable()` says why none can be mounted here (no
 * `unshare`, no mount namespaces), for the tests to skip with; `files` are a 700 kB value and a 1-byte one.
 */
export function useSmallDisks() {
  let work = '';
  let helper = '';
  /** How to enter a mount namespace: as root directly, otherwise as root of a new user namespace; or why not. */
  let unshare: string[] | string = 'not probed';

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'imgmeta-small-disk-'));
    helper = await bundleWorker('small-disk.ts', work);
    writeFileSync(join(work, 'value.bin'), Buffer.alloc(700_000, 'v'));
    writeFileSync(join(work, 'small.bin'), 'x');
    unshare = 'neither `unshare -m` nor `unshare -rm` could mount a tmpfs here';
    const probe = join(work, 'probe');
    mkdirSync(probe);
    for (const flags of process.getuid?.() === 0 ? [['-m'], ['-rm']] : [['-rm']]) {
      if (
        spawnSync('unshare', [...flags, 'mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).status === 0
      ) {
        unshare = flags;
        break;
      }
    }
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  return {
    unavailable: (): string | undefined => (typeof unshare === 'string' ? unshare : undefined),
    files: {
      value: () => join(work, 'value.bin'),
      small: () => join(work, 'small.bin'),
    },
    /** Runs the steps on a new tmpfs of `size` (mount's `size=`). */
    run(steps: string[][], size = '3m'): StepResult[] {
      const dir = mkdtempSync(join(work, 'disk-'));
      const r = spawnSync(
        'unshare',
        [...(unshare as string[]), process.execPath, helper, dir, size, JSON.stringify(steps)],
        {
          env: { ...process.env, IMGMETA_BIN: join(root, 'bin', 'imgmeta.js') },
          encoding: 'utf8',
          maxBuffer: 64 * 2 ** 20,
          timeout: 170_000,
        },
      );
      if (r.status !== 0) throw new Error(`small-disk exited ${r.status}: ${r.stderr}`);
      return JSON.parse(r.stdout) as StepResult[];
    },
  };
}
