import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { umociLayout } from '../sources/oci-helpers';
import { bundleWorker, projectNodePath } from './bundle';
import { openStore } from './store';

export interface ImportOutcome {
  ok: boolean;
  code?: string;
  message?: string;
  created?: number;
  /** Entries of a live store the import skipped, with why. */
  damaged?: string[];
  ms: number;
  /** Resident set size after the import, and the process's peak so far (bytes). */
  rss: number;
  maxRss: number;
}

export interface ImportRequest {
  path: string;
  namespace?: string;
  keepLayers?: boolean;
}

/**
 * test/helpers/import-worker.ts as a child process on `store`: one import at a time, each bounded by `timeoutMs`
 * (past it the worker is SIGKILLed and the import reported as a hang; the next request starts a fresh worker).
 */
export async function importWorker(store: string, options: { maxOldSpaceMb?: number } = {}) {
  // restarted across tests, so not in a per-test temp dir: removed by dispose()
  const bundleDir = mkdtempSync(join(tmpdir(), 'imgmeta-worker-'));
  const bundle = await bundleWorker('import-worker.ts', bundleDir);
  let child: ChildProcess | undefined;
  let pending: ((line: string) => void) | undefined;
  let stderr = '';

  const start = () => {
    const flags = options.maxOldSpaceMb ? [`--max-old-space-size=${options.maxOldSpaceMb}`] : [];
    const c = spawn(process.execPath, [...flags, bundle, store], {
      env: { ...process.env, NODE_PATH: projectNodePath },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buffered = '';
    c.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        pending?.(line);
      }
    });
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code, signal) => {
      if (child === c) child = undefined;
      pending?.(JSON.stringify({ exited: { code, signal } }));
    });
    return c;
  };

  const close = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.stdin!.end();
    await exited;
  };

  return {
    run(request: ImportRequest, timeoutMs: number): Promise<ImportOutcome> {
      child ??= start();
      const c = child;
      stderr = '';
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending = undefined;
          c.kill('SIGKILL');
          reject(new Error(`import of ${request.path} still running after ${timeoutMs} ms: a hang`));
        }, timeoutMs);
        pending = (line) => {
          clearTimeout(timer);
          pending = undefined;
          const parsed = JSON.parse(line) as ImportOutcome & { exited?: unknown };
          if (parsed.exited)
            reject(
              new Error(`the import process died: ${JSON.stringify(parsed.exited)} ${stderr.slice(-2000)}`),
            );
          else resolve(parsed);
        };
        c.stdin!.write(`${JSON.stringify(request)}\n`);
      });
    },
    /** Ends the worker process; the next run starts a fresh one. */
    close,
    async dispose(): Promise<void> {
      await close();
      rmSync(bundleDir, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file: a store that already holds the umoci layout (something a refused import must not lose) and an
 * import worker on it, set up before the file's tests and removed after them (then `report` runs).
 */
export function storeWithImportWorker(report: () => void = () => {}) {
  const bench = {} as {
    local: ReturnType<typeof openStore>;
    worker: Awaited<ReturnType<typeof importWorker>>;
  };
  beforeAll(async () => {
    bench.local = openStore();
    await bench.local.service['sources.import']({ path: umociLayout, namespace: 'before' });
    bench.worker = await importWorker(bench.local.dir);
  }, 60_000);
  afterAll(async () => {
    await bench.worker.dispose();
    bench.local.dispose();
    report();
  });
  return bench;
}
