import fc from 'fast-check';
import type { ZodType } from 'zod';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgmetaError } from '../../src/shared/errors';
import { operationNames, operations, type OperationName } from '../../src/shared/operations';
import { check } from '../../src/shared/validate';
import { decodeWire, encodeWire, maxWireDepth } from '../../src/shared/wire';
import type { RunningServer } from '../../src/main/server/server';
import { post, startServe } from '../server/harness';
import {
  fakeDigest,
  imageInput,
  json,
  makeImage,
  nextTurn,
  oci,
  openStore,
  putImageContent,
  snapshot,
  tempDir,
} from '../helpers/store';
import type { Service } from '../../src/main/service';

/**
 * Property-based fuzzing of every declared operation's input (the list comes from src/shared/operations.ts, so a new
 * operation is fuzzed without a change here), in process and over HTTP: never a crash and never `internal` (500);
 * input its schema refuses answers `invalid_argument` (400) and leaves the store exactly as it was.
 */
const runs = Number(process.env.IMGMETA_FUZZ_RUNS ?? 30);
// One seed per run of the suite, printed when a property fails (fast-check reports it); IMGMETA_FUZZ_SEED replays
// a run. Fixed by default so that CI is repeatable; set it to a new number to fuzz further.
fc.configureGlobal({ seed: Number(process.env.IMGMETA_FUZZ_SEED ?? 20261205) });
const image = makeImage('fuzz');

/** The top-level keys an operation's input schema knows (objects, and unions of objects). */
function inputKeys(schema: unknown): string[] {
  const s = schema as { shape?: Record<string, unknown>; options?: unknown[] };
  if (s.shape) return Object.keys(s.shape);
  if (s.options) return [...new Set(s.options.flatMap(inputKeys))];
  return [];
}

/** Paths only ever point into a sandbox (or nowhere), so that a valid import or export cannot touch the machine. */
let sandbox: string;
const pathValue = () =>
  fc.oneof(
    fc.constantFrom(
      join(sandbox, 'empty-dir'),
      join(sandbox, 'a-file'),
      join(sandbox, 'missing', 'x'),
      join(sandbox, 'out-'),
      '',
      '\0',
      `${sandbox}/a\0b`,
      'x'.repeat(5000),
    ),
    fc.string({ maxLength: 20 }).map((s) => join(sandbox, 'out-' + s.replace(/[/\0]/g, '_'))),
  );

const interesting = fc.constantFrom(
  '',
  ' ',
  'default',
  'shared',
  'app:1',
  'example.com/app:1',
  'pinned:1',
  'k',
  'a=b',
  'imgmeta.pinned',
  '../../etc/passwd',
  '/etc/passwd',
  '\u0000',
  '\n',
  '\u202e',
  '$bytes',
  '__proto__',
  'constructor',
  'x'.repeat(300),
  'y'.repeat(70_000),
  image.target.digest,
  image.target.digest.toUpperCase(),
  fakeDigest(1),
  'sha256:',
  'sha512:' + 'a'.repeat(128),
  oci.manifest,
  'application/vnd.oci.image.manifest.v1+json; charset=utf-8',
  '1:default:app:1',
);

const scalar = fc.oneof(
  interesting,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1.5, 1e308, -0),
  fc.boolean(),
  fc.constant(null),
);

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.uint8Array({ maxLength: 64 }),
    // Objects that cannot become a primitive (valid JSON, and what fast-check's dictionaries make): zod 4 read their
    // `length` in a string check and threw out of safeParse, once found here by a random seed.
    fc.constantFrom(
      { length: { toString: 1, valueOf: 1 } },
      { length: Object.create(null) as object },
      Object.create(null) as object,
    ),
    fc.array(tie('any'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(interesting, fc.string({ maxLength: 8 })), tie('any'), { maxKeys: 4 }),
  ),
})).any;

function inputFor(name: OperationName): fc.Arbitrary<unknown> {
  const keys = inputKeys(operations[name].input);
  const field = (key: string) =>
    key === 'path' || key === 'to'
      ? pathValue()
      : key === 'namespace'
        ? fc.oneof(fc.constantFrom('default', 'shared', 'meta'), value)
        : value;
  const shaped = fc.record(Object.fromEntries(keys.map((k) => [k, field(k)])), { requiredKeys: [] });
  return fc.oneof(
    value,
    shaped,
    fc
      .tuple(shaped, fc.string({ minLength: 1, maxLength: 10 }), value)
      .map(([input, key, extra]) => ({ ...(input as object), [key]: extra })),
  );
}

const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

const refuses = (name: OperationName, input: unknown) =>
  !check(operations[name].input as ZodType, input ?? {}).ok;

async function seed(service: Service): Promise<void> {
  await putImageContent(service, image);
  await service['images.create']({ namespace: 'default', name: 'app:1', target: image.target });
  await service['images.create'](
    imageInput('default', 'pinned:1', 2, { labels: { 'imgmeta.pinned': 'true' } }),
  );
  await service['images.create'](imageInput('shared', 'example.com/app:1', 3, { labels: { a: 'b' } }));
  await service['images.create'](imageInput('default', 'gone:1', 4));
  await service['images.delete']({ images: [{ namespace: 'default', name: 'gone:1' }] });
  await service['metadata.set']({ namespace: 'meta', key: 'k', value: json({ v: 1 }) });
}

beforeAll(() => {
  sandbox = tempDir('imgmeta-fuzz-');
  mkdirSync(join(sandbox, 'empty-dir'));
  writeFileSync(join(sandbox, 'a-file'), 'not a source');
});

describe('fuzzed input to every operation, in process', () => {
  let ctx: ReturnType<typeof openStore>;
  beforeAll(async () => {
    ctx = openStore();
    await seed(ctx.service);
  });
  afterAll(() => ctx.dispose());

  for (const name of operationNames) {
    it(`${name}: never internal; refused input is invalid_argument and changes nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(inputFor(name), async (input) => {
          const invalid = refuses(name, input);
          const before = invalid ? await snapshot(ctx.service, ctx.store) : undefined;
          const call = ctx.service[name] as (input: unknown) => Promise<unknown>;
          const error = await call(input).then(
            () => undefined,
            (e: unknown) => e,
          );
          if (error !== undefined) {
            expect(error, String(error)).toBeInstanceOf(ImgmetaError);
            expect((error as ImgmetaError).code, (error as Error).message).not.toBe('internal');
          }
          if (invalid) {
            expect((error as ImgmetaError | undefined)?.code).toBe('invalid_argument');
            expect(await snapshot(ctx.service, ctx.store)).toEqual(before);
          }
        }),
        { numRuns: runs },
      );
    });
  }

  it('the store still checks clean', async () => {
    expect((await ctx.service['store.check']({ deep: true })).errors).toEqual([]);
  });
});

describe('fuzzed input to every operation, over HTTP (imgmeta serve as a subprocess)', () => {
  let local: ReturnType<typeof openStore>;
  let server: { port: number; token: string };
  const fingerprint = async () => {
    await nextTurn(); // a fresh read snapshot: the server process wrote, not this one
    return snapshot(local.service, local.store);
  };
  // stopped by this file's afterAll (a hook registered from inside beforeAll would never run)
  let stopServe = () => {};
  beforeAll(async () => {
    local = openStore();
    await seed(local.service);
    const serving = await startServe(
      ['--store', local.dir, 'serve', '--port', '0', '--token', 'T'],
      (stop) => (stopServe = stop),
    );
    server = { port: Number(new URL(serving.url).port), token: 'T' };
  });
  afterAll(() => {
    stopServe();
    local.dispose();
  });

  for (const name of operationNames) {
    it(`POST /api/${name}: never 500; refused input is 400 invalid_argument and changes nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(inputFor(name), async (input) => {
          const invalid = refuses(name, input);
          const before = invalid ? await fingerprint() : undefined;
          const res = await post(server as RunningServer, name, encodeWire(input));
          expect(res.status, res.body).not.toBe(500);
          const envelope = JSON.parse(res.body) as { ok: boolean; error?: { code: string } };
          if (!envelope.ok) expect(envelope.error!.code).not.toBe('internal');
          if (invalid) {
            expect(res.status, res.body).toBe(400);
            expect(envelope.error?.code).toBe('invalid_argument');
            expect(await fingerprint()).toEqual(before);
          }
        }),
        { numRuns: Math.ceil(runs / 2) },
      );
    });
  }

  it('bodies that are not wire JSON: 400 invalid_argument for every operation, nothing changes', async () => {
    const bodies = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom(
        '{',
        '[]]',
        'null',
        '{"$bytes": 5}',
        '{"$bytes": "***"}',
        '{"$x": 1}',
        '{"__proto__": {"polluted": true}}',
        '{"constructor": {"prototype": {"polluted": true}}}',
        '\uFEFF{}',
        '1e999999',
      ),
      fc.integer({ min: 1, max: 200_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
      fc.integer({ min: 1, max: 100_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...operationNames), bodies, async (name, body) => {
        const before = await fingerprint();
        const res = await post(server as RunningServer, name, body);
        expect(res.status, `${name} ${body.slice(0, 80)}: ${res.body.slice(0, 300)}`).not.toBe(500);
        const envelope = JSON.parse(res.body) as { ok: boolean; error?: { code: string } };
        if (!envelope.ok) expect(envelope.error!.code).not.toBe('internal');
        if (!envelope.ok && envelope.error!.code === 'invalid_argument') expect(res.status).toBe(400);
        if (!operations[name].writes || !envelope.ok) expect(await fingerprint()).toEqual(before);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: runs * 3 },
    );
  });

  it('a body nested 100,000 levels deep is 400 invalid_argument, not a stack overflow (500)', async () => {
    for (const body of [
      '['.repeat(100_000) + ']'.repeat(100_000),
      '{"images":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}',
      '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000),
    ]) {
      const res = await post(server as RunningServer, 'images.delete', body);
      expect(res.status, res.body.slice(0, 200)).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    }
    // what a real client sends is far from the bound: a content tree answer is at most 16 levels of nodes
    expect(decodeWire(encodeWire(nested(maxWireDepth + 1)))).toEqual(nested(maxWireDepth + 1));
    expect(() => decodeWire(encodeWire(nested(maxWireDepth + 2)))).toThrow(/deeper than/);
  });

  it('the store still checks clean', async () => {
    expect((await local.service['store.check']({ deep: true })).errors).toEqual([]);
  });
});
