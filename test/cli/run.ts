import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Runs the built CLI the way a user does: `node bin/imgmeta.js ARGS`, a separate process with its own store handle. */
export const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'imgmeta.js');

export interface Result {
  code: number | null;
  stdout: Buffer;
  /** stdout as UTF-8. */
  out: string;
  err: string;
}

export interface RunOptions {
  /** Bytes for stdin; stdin is closed (empty) when absent. */
  input?: Uint8Array | string;
  env?: NodeJS.ProcessEnv;
}

export function run(args: string[], options: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: options.env ?? cliEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out);
      resolve({ code, stdout, out: stdout.toString('utf8'), err: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The environment without IMGMETA_STORE, so that no test ever reaches a real user's store by accident. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('IMGMETA_STORE' in extra)) delete env.IMGMETA_STORE;
  delete env.IMGMETA_DEBUG;
  return env;
}

/** A CLI bound to one store directory. */
export function cli(store: string) {
  const call = (args: string[], options?: RunOptions) => run(['--store', store, ...args], options);
  return Object.assign(call, {
    /** Runs a command that must succeed with --json output and returns the parsed document. */
    async json<T = unknown>(args: string[]): Promise<T> {
      const result = await call([...args, '--json']);
      if (result.code !== 0)
        throw new Error(`imgmeta ${args.join(' ')} --json exited ${result.code}: ${result.err}`);
      return JSON.parse(result.out) as T;
    },
    /** Runs a command that must succeed; returns its result. */
    async ok(args: string[], options?: RunOptions): Promise<Result> {
      const result = await call(args, options);
      if (result.code !== 0)
        throw new Error(`imgmeta ${args.join(' ')} exited ${result.code}: ${result.err}`);
      return result;
    },
  });
}

export type Cli = ReturnType<typeof cli>;

/** Temp directories for tests that run concurrently (the shared helper's afterEach cleanup is per test, not per file). */
export function tempDirs() {
  const dirs: string[] = [];
  return {
    make(prefix = 'imgmeta-cli-'): string {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    removeAll(): void {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function buildCli(): Promise<void> {
  await promisify(execFile)(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { cwd: root });
}
