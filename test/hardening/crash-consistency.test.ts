import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/bundle.mjs';
import { createService } from '../../src/main/service';
import { missingMetadataBlobs } from '../../src/main/store/check';
import { Store } from '../../src/main/store/store';
import { bundleWorker, projectNodePath } from '../helpers/bundle';
import {
  apply,
  differences,
  importSpecs,
  random,
  readState,
  type CrashOp,
  type ImportEffect,
  type State,
} from '../helpers/crash-model';
import { openStore, tempDir } from '../helpers/store';

/**
 * Crash consistency: a worker runs a random mix of real imports and store operations and says each one is done only
 * after it returned; we SIGKILL it at random moments, reopen the store, run the store check, and compare what we
 * find with what the acknowledged operations imply, allowing only the one operation in flight to have happened or
 * not, whole. `npm run test:crash` runs 1,000 kills (IMGMETA_CRASH_KILLS); `npm test` runs 50.
 */
const kills = Number(process.env.IMGMETA_CRASH_KILLS ?? 50);
const seed = Number(process.env.IMGMETA_CRASH_SEED ?? Date.now() % 1_000_000);

let worker: string;
let imports: ImportEffect[];
/** Targets whose manifests and configs an import stores: they must stay stored while any image or trash entry names them. */
const completeTargets = new Set<string>();

beforeAll(async () => {
  worker = await bundleWorker('crash-worker.ts');
  imports = [];
  for (const spec of importSpecs) {
    const scratch = openStore();
    try {
      await scratch.service['sources.import']({
        path: join(projectRoot, spec.path),
        ...(spec.namespace ? { namespace: spec.namespace } : {}),
      });
      const state = await readState(scratch.service);
      imports.push({
        images: state.images,
        metadata: new Map([...state.metadata].map(([k, v]) => [k, v.hex])),
      });
      const check = await scratch.service['store.check']({});
      const incomplete = new Set(check.incomplete.map((i) => `${i.namespace}/${i.name}`));
      for (const [r, digest] of state.images) if (!incomplete.has(r)) completeTargets.add(digest);
    } finally {
      scratch.dispose();
    }
  }
}, 120_000);

interface Run {
  lines: string[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/** Starts the worker and SIGKILLs it: early (while it opens the store) or at a random moment once it runs. */
function runAndKill(path: string, runSeed: number, rng: ReturnType<typeof random>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, path, String(runSeed), projectRoot], {
      env: { ...process.env, NODE_PATH: projectNodePath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const kill = () => child.kill('SIGKILL');
    const early = rng.next() < 0.1;
    if (early) timer = setTimeout(kill, rng.int(250));
    child.stdout.on('data', (d: Buffer) => {
      const ready = !out.startsWith('R\n');
      out += d.toString();
      if (!early && ready && out.startsWith('R\n')) timer = setTimeout(kill, rng.int(400));
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ lines: out.split('\n').filter(Boolean), signal, code, stderr });
    });
  });
}

function parse(lines: string[]): { done: CrashOp[]; pending?: CrashOp; errors: string[] } {
  const done: CrashOp[] = [];
  const errors: string[] = [];
  let pending: CrashOp | undefined;
  for (const l of lines) {
    if (l.startsWith('B ')) pending = JSON.parse(l.slice(2)) as CrashOp;
    else if (l.startsWith('D ')) {
      done.push(JSON.parse(l.slice(2)) as CrashOp);
      pending = undefined;
    } else if (l.startsWith('E ')) errors.push(l.slice(2));
  }
  return { done, pending, errors };
}

describe('a process killed at any moment leaves a consistent store', () => {
  it(
    `after ${kills} SIGKILLs: every acknowledged operation is there, nothing half-done, check is clean`,
    { timeout: 120_000 + kills * 3_000 },
    async () => {
      const path = join(tempDir('imgmeta-crash-'), 'store');
      const rng = random(seed);
      let model: State = { images: new Map(), trash: [], metadata: new Map() };
      const failures: string[] = [];
      const started = Date.now();
      let acknowledged = 0;
      let inFlightCommitted = 0;
      let inFlightLost = 0;
      const opsSeen = new Map<string, number>();

      for (let k = 0; k < kills && failures.length < 5; k++) {
        const run = await runAndKill(path, seed * 10_000 + k, rng);
        const { done, pending, errors } = parse(run.lines);
        const where = `kill ${k} (seed ${seed})`;
        if (run.signal !== 'SIGKILL')
          failures.push(`${where}: the worker ended by itself (${run.code}): ${run.stderr}`);
        for (const e of errors) failures.push(`${where}: the worker failed: ${e}`);
        for (const op of done) {
          model = apply(model, op, imports);
          opsSeen.set(op.op, (opsSeen.get(op.op) ?? 0) + 1);
        }
        acknowledged += done.length;

        const store = Store.open(path);
        try {
          const service = createService(store);
          const actual = await readState(service);
          const without = differences(model, actual);
          const withPending = pending ? differences(apply(model, pending, imports), actual) : without;
          if (without.length > 0 && withPending.length > 0)
            failures.push(
              `${where}: the store is neither before nor after the operation in flight ${JSON.stringify(pending)}: ` +
                without.slice(0, 5).join('; '),
            );
          else if (pending && without.length > 0) inFlightCommitted++;
          else if (pending) inFlightLost++;

          const check = await service['store.check']({ deep: true });
          if (!check.ok) failures.push(`${where}: check: ${JSON.stringify(check.errors.slice(0, 5))}`);
          // no image and no trash entry without its content (what the import stored stays while anything names it)
          for (const entry of (await service['trash.list']({ limit: 1000 })).items) {
            if (!completeTargets.has(entry.image.target.digest)) continue;
            const missing = missingMetadataBlobs(store.env, entry.image.target);
            if (missing.length > 0)
              failures.push(`${where}: trash entry ${entry.id} lost ${missing.join(', ')}`);
          }
          for (const image of check.incomplete) {
            if (completeTargets.has(actual.images.get(`${image.namespace}/${image.name}`)!))
              failures.push(
                `${where}: image ${image.namespace}/${image.name} lost ${image.missing.join(', ')}`,
              );
          }
          model = actual;
        } finally {
          store.close();
        }
      }

      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const mix = [...opsSeen].map(([op, n]) => `${op} ${n}`).join(', ');
      console.log(
        `crash consistency: ${kills} kills, ${failures.length} failures, ${acknowledged} acknowledged operations ` +
          `(${mix}); in flight at the kill: ${inFlightCommitted} committed, ${inFlightLost} not; ${seconds} s; seed ${seed}`,
      );
      expect(failures).toEqual([]);
      // the mix really ran: every kind of operation was acknowledged at least once
      if (kills >= 50)
        expect([...opsSeen.keys()].sort()).toEqual([
          'create',
          'delete',
          'gc',
          'import',
          'purge',
          'restore',
          'set',
          'tag',
          'unset',
        ]);
    },
  );
});
