import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { containerdImporter } from '../../src/main/sources/containerd';
import type { ImportBatch } from '../../src/main/sources/types';
import { ImgmetaError } from '../../src/shared/errors';
import { parseInput } from '../../src/shared/validate';
import { buildBolt, goTime, varint, type BoltTree } from './bolt-writer';
import { options } from './helpers';

const fixture = join(__dirname, '..', 'fixtures', 'containerd-metadata');
const root = join(fixture, 'root');
const metaDir = 'io.containerd.metadata.v1.bolt';
const blobDir = join('io.containerd.content.v1.content', 'blobs', 'sha256');

interface ExpectedImage {
  name: string;
  target: { mediaType: string; digest: string; size: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}
interface ExpectedNamespace {
  images: ExpectedImage[];
  content: { digest: string; size: number; labels: Record<string, string> }[];
}
const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as {
  namespaces: Record<string, ExpectedNamespace>;
};
const namespaces = Object.keys(expected.namespaces);

const scratch = mkdtempSync(join(tmpdir(), 'imgmeta-containerd-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let serial = 0;
const freshDir = () => {
  const dir = join(scratch, `case-${++serial}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};
/** A writable copy of the fixture's containerd root. */
function copyRoot(): string {
  const dir = join(freshDir(), 'root');
  cpSync(root, dir, { recursive: true });
  return dir;
}

/** ms since the epoch of an RFC 3339 time with nanoseconds (what the import keeps of containerd's times). */
function ms(iso: string): number {
  const [whole, fraction = ''] = iso.replace(/Z$/, '').split('.');
  return Date.parse(`${whole}Z`) + Number(fraction.padEnd(9, '0').slice(0, 3));
}

const flip = (bytes: Buffer, at: number, mask: number) => bytes.writeUInt8(bytes.readUInt8(at) ^ mask, at);

async function expectError(run: Promise<unknown>, code: string, message: RegExp) {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected an error').toBeInstanceOf(ImgmetaError);
  expect((err as ImgmetaError).code).toBe(code);
  expect((err as ImgmetaError).message).toMatch(message);
}

const blobJson = (digest: string) => JSON.parse(readFileSync(join(root, blobDir, digest.slice(7)), 'utf8'));

/** What an importer should read for one target: the index -> manifests -> config walk, by the fixture's own bytes. */
function reachable(target: { digest: string }, into: Set<string>) {
  into.add(target.digest);
  const doc = blobJson(target.digest);
  for (const child of doc.manifests ?? []) reachable(child, into);
  if (doc.config) into.add(doc.config.digest);
  return into;
}

function layerDigests(): Set<string> {
  const layers = new Set<string>();
  for (const file of readdirSync(join(root, blobDir))) {
    try {
      const doc = JSON.parse(readFileSync(join(root, blobDir, file), 'utf8'));
      for (const layer of doc.layers ?? []) layers.add(layer.digest);
    } catch {
      // a layer: not JSON
    }
  }
  return layers;
}

let fixtureBatch: ImportBatch | undefined;
async function readFixture(): Promise<ImportBatch> {
  fixtureBatch ??= await containerdImporter.read(root, options());
  return fixtureBatch;
}

describe('detects a containerd root or a bare meta.db', () => {
  it('a containerd root: its namespaces and image count', async () => {
    const detection = await containerdImporter.detect(root);
    expect(detection).toEqual({
      kind: 'containerd',
      path: root,
      description: 'containerd metadata database (schema v1, version 3), with its content store',
      namespaces: ['bulk', 'default', 'k8s.io', 'layout-import'],
      images: 142,
      metadataKeys: 0,
      notes: [],
    });
  });

  it('the metadata directory or meta.db inside a root report the root', async () => {
    expect((await containerdImporter.detect(join(root, metaDir)))?.path).toBe(root);
    expect((await containerdImporter.detect(join(root, metaDir, 'meta.db')))?.path).toBe(root);
  });

  it('a meta.db on its own (bbolt magic): records only, said so', async () => {
    const file = join(freshDir(), 'meta.db');
    copyFileSync(join(root, metaDir, 'meta.db'), file);
    const detection = await containerdImporter.detect(file);
    expect(detection?.path).toBe(file);
    expect(detection?.description).toMatch(/without a content store/);
    expect(detection?.notes).toEqual([
      'no content store next to meta.db: image records only, no manifests or configs',
    ]);
    const batch = await containerdImporter.read(file, options());
    expect(batch.images).toHaveLength(142);
    expect(batch.content).toEqual([]);
    expect(batch.damaged).toEqual([]);
  });

  it('a namespace override is what the detection reports', async () => {
    expect((await containerdImporter.detect(root, { namespace: 'imported' }))?.namespaces).toEqual([
      'imported',
    ]);
  });

  it('anything else is not containerd', async () => {
    expect(await containerdImporter.detect(fixture)).toBeUndefined();
    expect(await containerdImporter.detect(join(root, 'io.containerd.content.v1.content'))).toBeUndefined();
    expect(await containerdImporter.detect(join(fixture, 'expected.json'))).toBeUndefined();
  });

  it("a bbolt file that is not containerd's (the overlayfs snapshotter db) is not claimed, and read refuses it", async () => {
    const path = join(root, 'io.containerd.snapshotter.v1.overlayfs', 'metadata.db');
    expect(await containerdImporter.detect(path)).toBeUndefined();
    await expectError(
      containerdImporter.read(path, options()),
      'invalid_argument',
      /bbolt database but not containerd's metadata/,
    );
  });

  it("a containerd root whose meta.db is broken or not containerd's: invalid_argument, naming the file", async () => {
    const foreign = builtRoot({ other: { a: 'b' } }, []);
    await expectError(
      containerdImporter.detect(foreign),
      'invalid_argument',
      /meta\.db is a bbolt database but not containerd's metadata: it has no v1 bucket/,
    );
    const truncated = copyRoot();
    const file = join(truncated, metaDir, 'meta.db');
    writeFileSync(file, readFileSync(file).subarray(0, 300_000));
    await expectError(
      containerdImporter.detect(truncated),
      'invalid_argument',
      /meta\.db: corrupt bbolt database/,
    );
  });
});

describe('imports every namespace as `ctr images ls` shows it (expected.json)', () => {
  it('every image, field by field: name, namespace, target, annotations, labels, times', async () => {
    const batch = await readFixture();
    const expectedImages = namespaces.flatMap((ns) =>
      expected.namespaces[ns]!.images.map((i) => ({
        namespace: ns,
        name: i.name,
        target: {
          mediaType: i.target.mediaType,
          digest: i.target.digest,
          size: i.target.size,
          ...(Object.keys(i.annotations).length > 0 ? { annotations: i.annotations } : {}),
        },
        labels: i.labels,
        createdAt: ms(i.createdAt),
        updatedAt: ms(i.updatedAt),
      })),
    );
    expect(batch.images).toHaveLength(142);
    expect(batch.images).toEqual(expectedImages);
  });

  it("each namespace's names are ctr's names (ctr images ls -q)", async () => {
    const batch = await readFixture();
    for (const ns of namespaces) {
      const ctr = readFileSync(join(fixture, 'expected', `ctr-images-ls-q-${ns}.txt`), 'utf8')
        .split('\n')
        .filter(Boolean);
      const mine = batch.images.filter((i) => i.namespace === ns).map((i) => i.name);
      expect(mine.sort()).toEqual(ctr.sort());
    }
  });

  it('keeps the CRI forms of names: a bare sha256:<hex> and name@sha256:<hex>', async () => {
    const names = (await readFixture()).images.filter((i) => i.namespace === 'k8s.io').map((i) => i.name);
    expect(names).toContain('sha256:dac814063a9bfa8e93db9019050f3ddea445b25af401faa817eda10e22940b52');
    expect(names).toContain(
      '127.0.0.1:5000/fixtures/app@sha256:f9c2a66311becc0c400f51890806edeb7b52a9dd8789cdfb8385df6f98bbb8f4',
    );
  });

  it('every record passes the store’s own validation', async () => {
    for (const image of (await readFixture()).images)
      expect(() =>
        parseInput('images.create', {
          namespace: image.namespace,
          name: image.name,
          target: image.target,
          labels: image.labels,
        }),
      ).not.toThrow();
  });

  it('nothing is damaged: the labels of 3,916 bytes per key=value (under the 4,096 of containerd and the store) import whole', async () => {
    const batch = await readFixture();
    expect(batch.damaged).toEqual([]);
    const v001 = batch.images.find((i) => i.namespace === 'bulk' && i.name === 'example.com/bulk/tools:v001');
    expect(v001?.labels).toEqual({
      'io.fixture.big1': 'a'.repeat(3900),
      'io.fixture.big2': 'b'.repeat(3900),
      'io.fixture.small': 'yes',
    });
  });

  it('reports progress up to every record', async () => {
    const opts = options();
    await containerdImporter.read(root, opts);
    expect(opts.updates.length).toBeGreaterThan(1);
    expect(opts.updates.at(-1)).toMatchObject({ items: 142, totalItems: 142 });
  });
});

describe('reads manifests, indexes and configs from the content store, never layers', () => {
  it('exactly the blobs the targets reach (index -> manifests -> config), verified', async () => {
    const batch = await readFixture();
    const wanted = new Set<string>();
    for (const image of batch.images) reachable(image.target, wanted);
    expect(batch.content.map((c) => c.digest).sort()).toEqual([...wanted].sort());
    for (const blob of batch.content) {
      expect(`sha256:${createHash('sha256').update(blob.bytes).digest('hex')}`).toBe(blob.digest);
      expect(Buffer.from(blob.bytes)).toEqual(
        Buffer.from(readFileSync(join(root, blobDir, blob.digest.slice(7)))),
      );
    }
    const layers = layerDigests();
    expect(layers.size).toBeGreaterThan(0);
    expect(batch.content.filter((c) => layers.has(c.digest))).toEqual([]);
  });

  it("each blob has its descriptor's media type and the namespaces' content labels (gc.ref.content.*)", async () => {
    const batch = await readFixture();
    const byDigest = new Map(batch.content.map((c) => [c.digest, c]));
    expect(
      byDigest.get('sha256:99d3dfc83137f669bf64c41c729e47b17cec85865c7b3b32f51ccc9f0343c37c')?.mediaType,
    ).toBe('application/vnd.oci.image.index.v1+json');
    expect(
      byDigest.get('sha256:dac814063a9bfa8e93db9019050f3ddea445b25af401faa817eda10e22940b52')?.mediaType,
    ).toBe('application/vnd.docker.container.image.v1+json');
    for (const blob of batch.content) {
      const labels = Object.assign(
        {},
        ...namespaces.map(
          (ns) => expected.namespaces[ns]!.content.find((c) => c.digest === blob.digest)?.labels ?? {},
        ),
      );
      expect(blob.labels ?? {}).toEqual(labels);
    }
    expect(
      byDigest.get('sha256:f9c2a66311becc0c400f51890806edeb7b52a9dd8789cdfb8385df6f98bbb8f4')?.labels?.[
        'containerd.io/gc.ref.content.config'
      ],
    ).toBe('sha256:dac814063a9bfa8e93db9019050f3ddea445b25af401faa817eda10e22940b52');
  });
});

describe('a damaged live store: the sound records import, each damaged one is reported and kept', () => {
  const app = 'sha256:f9c2a66311becc0c400f51890806edeb7b52a9dd8789cdfb8385df6f98bbb8f4';
  const multiAmd64 = 'sha256:534418e474dd19bdbb06abfa1d0a3e46dd5220da0b85ac9c8ef406e2d8904dbb';
  const baseConfig = 'sha256:a2cb6b692b7e4cd1ec5b148f79253110cb1b87cdd80b81bbbf729cfc7ff49d7b';

  it('a manifest blob deleted: every image pointing at it is damaged, its record kept, the others fine', async () => {
    const dir = copyRoot();
    rmSync(join(dir, blobDir, app.slice(7)));
    const batch = await containerdImporter.read(dir, options());
    const damaged = batch.damaged;
    const pointing = batch.images.filter((i) => i.target.digest === app);
    expect(pointing.map((i) => `${i.namespace}/${i.name}`).sort()).toEqual(
      damaged.map((d) => `${d.namespace}/${d.name}`).sort(),
    );
    expect(pointing).toHaveLength(7);
    for (const entry of damaged) {
      expect(entry.digest).toBe(app);
      expect(entry.reason).toMatch(
        /is in the namespace's content records but its blob is missing from the content store/,
      );
    }
    expect(batch.images).toHaveLength(142);
    expect(batch.content.some((c) => c.digest === app)).toBe(false);
    expect(batch.content.some((c) => c.digest === multiAmd64)).toBe(true);
  });

  it("a manifest blob altered: the index's images are damaged, the bad bytes never kept, the sibling manifest is", async () => {
    const dir = copyRoot();
    const file = join(dir, blobDir, multiAmd64.slice(7));
    const bytes = readFileSync(file);
    flip(bytes, bytes.length - 2, 0x20);
    writeFileSync(file, bytes);
    const batch = await containerdImporter.read(dir, options());
    const damaged = batch.damaged;
    expect(damaged.map((d) => `${d.namespace}/${d.name}`).sort()).toEqual([
      'default/example.com/fixtures/multi:1.0',
      'layout-import/example.com/fixtures/multi:1.0',
      'layout-import/import-2026-11-22@sha256:99d3dfc83137f669bf64c41c729e47b17cec85865c7b3b32f51ccc9f0343c37c',
    ]);
    for (const entry of damaged) {
      expect(entry.digest).toBe(multiAmd64);
      expect(entry.reason).toMatch(
        /^manifest sha256:534418e4\S+: blobs\/sha256\/534418e4\S+: digest mismatch/,
      );
    }
    expect(batch.images).toHaveLength(142);
    const digests = batch.content.map((c) => c.digest);
    expect(digests).not.toContain(multiAmd64);
    expect(digests).toContain('sha256:99d3dfc83137f669bf64c41c729e47b17cec85865c7b3b32f51ccc9f0343c37c');
    expect(digests).toContain('sha256:62ea15974feba77fb52cab2597ad4955c21ba531d5f41db3a42c57093395009b');
  });

  it('a config deleted, and a manifest grown by a byte: size mismatch', async () => {
    const dir = copyRoot();
    rmSync(join(dir, blobDir, baseConfig.slice(7)));
    appendFileSync(join(dir, blobDir, app.slice(7)), ' ');
    const batch = await containerdImporter.read(dir, options());
    const damaged = batch.damaged;
    const base = damaged.filter((d) => d.digest === baseConfig);
    expect(base.map((d) => d.name).sort()).toEqual([
      'example.com/fixtures/base:1.0',
      'import-2026-11-22@sha256:11f34876f471766af75581263eb78a2519080e56c25e2f5986d8215abfc016bc',
    ]);
    expect(base[0]!.reason).toMatch(
      /^config sha256:a2cb6b69\S+ is in the namespace's content records but its blob is missing/,
    );
    const grown = damaged.filter((d) => d.digest === app);
    expect(grown).toHaveLength(7);
    expect(grown[0]!.reason).toMatch(/size mismatch: the blob is 732 bytes, the descriptor says 731/);
    expect(batch.content.map((c) => c.digest)).toContain(
      'sha256:11f34876f471766af75581263eb78a2519080e56c25e2f5986d8215abfc016bc',
    );
  });

  it('a corrupt meta.db is an invalid_argument for the whole import', async () => {
    const dir = copyRoot();
    writeFileSync(
      join(dir, metaDir, 'meta.db'),
      readFileSync(join(dir, metaDir, 'meta.db')).subarray(0, 300_000),
    );
    await expectError(containerdImporter.read(dir, options()), 'invalid_argument', /corrupt bbolt database/);
  });
});

describe('a namespace override puts every image into one namespace', () => {
  it('first namespace wins a shared name; identical copies merge, different ones are reported', async () => {
    const batch = await containerdImporter.read(root, options({ namespace: 'imported' }));
    const kept = new Map<string, { from: string; key: string }>();
    const conflicts: string[] = [];
    for (const ns of namespaces)
      for (const image of expected.namespaces[ns]!.images) {
        const annotations = Object.keys(image.annotations).length > 0 ? image.annotations : undefined;
        const key = JSON.stringify([image.target, annotations, image.labels]);
        const previous = kept.get(image.name);
        if (!previous) kept.set(image.name, { from: ns, key });
        else if (previous.key !== key) conflicts.push(`${ns}/${image.name}`);
      }
    expect(new Set(batch.images.map((i) => i.namespace))).toEqual(new Set(['imported']));
    expect(batch.images.map((i) => i.name)).toEqual([...kept.keys()]);
    const reported = batch.damaged;
    expect(reported.map((d) => `${d.namespace}/${d.name}`)).toEqual(conflicts);
    expect(conflicts.length).toBeGreaterThan(0);
    for (const entry of reported) expect(entry.reason).toMatch(/both have this name with different records/);
  });

  it('an override that is not a valid namespace is refused', async () => {
    await expectError(
      containerdImporter.read(root, options({ namespace: 'no spaces' })),
      'invalid_argument',
      /namespace/,
    );
  });
});

/** A containerd root holding a meta.db built from `tree`, with the given blobs copied from the fixture. */
function builtRoot(tree: BoltTree, blobs: string[]): string {
  const dir = join(freshDir(), 'root');
  mkdirSync(join(dir, metaDir), { recursive: true });
  mkdirSync(join(dir, blobDir), { recursive: true });
  writeFileSync(join(dir, metaDir, 'meta.db'), buildBolt(tree));
  for (const digest of blobs)
    copyFileSync(join(root, blobDir, digest.slice(7)), join(dir, blobDir, digest.slice(7)));
  return dir;
}

const appTarget = {
  digest: 'sha256:f9c2a66311becc0c400f51890806edeb7b52a9dd8789cdfb8385df6f98bbb8f4',
  mediatype: 'application/vnd.docker.distribution.manifest.v2+json',
  size: varint(731),
};
const appConfig = 'sha256:dac814063a9bfa8e93db9019050f3ddea445b25af401faa817eda10e22940b52';

describe('the 2017 layout (v1 > images > name > digest | mediatype | size, no namespaces)', () => {
  it("imports its images into 'default', reading present blobs", async () => {
    const dir = builtRoot({ v1: { images: { 'docker.io/library/app:1.0': appTarget } } }, [
      appTarget.digest,
      appConfig,
    ]);
    const detection = await containerdImporter.detect(dir);
    expect(detection?.description).toMatch(/the 2017 layout/);
    expect(detection?.namespaces).toEqual(['default']);
    const batch = await containerdImporter.read(dir, options());
    expect(batch.images).toEqual([
      {
        namespace: 'default',
        name: 'docker.io/library/app:1.0',
        target: { digest: appTarget.digest, mediaType: appTarget.mediatype, size: 731 },
        labels: {},
      },
    ]);
    expect(batch.content.map((c) => c.digest)).toEqual([appTarget.digest, appConfig]);
    expect(batch.damaged).toEqual([]);
    expect(batch.notes).toContain("the 2017 layout has no namespaces: its images go to 'default'");
  });
});

describe('malformed records are damaged entries; the others import', () => {
  it('bad names, namespaces, targets and times', async () => {
    const created = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    const good = { target: appTarget, createdat: goTime(created), updatedat: goTime(created + 1) };
    const dir = builtRoot(
      {
        v1: {
          version: varint(3),
          'bad namespace!': { images: { 'example.com/a:1': good } },
          default: {
            content: { blob: { [appTarget.digest]: { size: varint(731) } } },
            images: {
              'example.com/good:1': { ...good, labels: { k: 'v' } },
              'example.com/Upper:1': good,
              'example.com/nosize:1': {
                target: { digest: appTarget.digest, mediatype: appTarget.mediatype },
              },
              'example.com/badsize:1': { target: { ...appTarget, size: Buffer.from([0xff]) } },
              'example.com/baddigest:1': { target: { ...appTarget, digest: 'sha256:XYZ' } },
              'example.com/badtime:1': { ...good, createdat: Buffer.from([9, 9, 9]) },
              'example.com/notarget:1': { labels: { k: 'v' } },
            },
          },
        },
      },
      [appTarget.digest],
    );
    const batch = await containerdImporter.read(dir, options());
    expect(batch.images).toEqual([
      {
        namespace: 'default',
        name: 'example.com/good:1',
        target: { digest: appTarget.digest, mediaType: appTarget.mediatype, size: 731 },
        labels: { k: 'v' },
        createdAt: created,
        updatedAt: created + 1,
      },
    ]);
    const reasons = Object.fromEntries(batch.damaged.map((d) => [`${d.namespace}/${d.name}`, d.reason]));
    expect(reasons).toEqual({
      'bad namespace!/example.com/a:1': expect.stringMatching(
        /namespace "bad namespace!": namespace must be/,
      ),
      'default/example.com/Upper:1': expect.stringMatching(/name: image name must be a reference/),
      'default/example.com/nosize:1': expect.stringMatching(/no target size/),
      'default/example.com/badsize:1': 'the record cannot be stored: target size is not a varint (ff)',
      'default/example.com/baddigest:1': expect.stringMatching(/target: digest: digest must be sha256/),
      'default/example.com/badtime:1': expect.stringMatching(/createdat is not a Go time \(090909\)/),
      'default/example.com/notarget:1': expect.stringMatching(/has no target/),
    });
    // The manifest is in the namespace's content; its config is not (never pulled): no damage for that.
    expect(batch.content.map((c) => c.digest)).toEqual([appTarget.digest]);
  });

  it("a label over the store's 4096 bytes per key=value is damaged, never cut to fit; one of exactly 4096 imports whole", async () => {
    const created = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    const record = (labels: Record<string, string>) => ({
      target: appTarget,
      createdat: goTime(created),
      updatedat: goTime(created),
      labels,
    });
    // key + '=' + value, in UTF-8 bytes: 15 + 1 + 4080 = 4096 (the limit itself, allowed).
    const edge = { 'io.fixture.edge': 'e'.repeat(4080), 'io.fixture.small': 'yes' };
    // 14 + 1 + 4082 = 4097: one byte over.
    const over = { 'io.fixture.big': 'x'.repeat(4082), 'io.fixture.small': 'yes' };
    // 15 + 1 + 2 * 2041 = 4098 bytes in 2,057 characters: the bound is on bytes, not characters.
    const wide = { 'io.fixture.wide': 'é'.repeat(2041) };
    // Two over: 12 + 1 + 4096 = 4109 and 12 + 1 + 5000 = 5013.
    const two = { 'io.fixture.a': 'a'.repeat(4096), 'io.fixture.b': 'b'.repeat(5000) };
    const dir = builtRoot(
      {
        v1: {
          version: varint(3),
          default: {
            content: {
              blob: { [appTarget.digest]: { size: varint(731) }, [appConfig]: { size: varint(1412) } },
            },
            images: {
              'example.com/edge:1': record(edge),
              'example.com/over:1': record(over),
              'example.com/wide:1': record(wide),
              'example.com/two:1': record(two),
            },
          },
        },
      },
      [appTarget.digest, appConfig],
    );
    const metaDb = join(dir, metaDir, 'meta.db');
    const before = readFileSync(metaDb);
    const batch = await containerdImporter.read(dir, options());
    expect(batch.images).toEqual([
      {
        namespace: 'default',
        name: 'example.com/edge:1',
        target: { digest: appTarget.digest, mediaType: appTarget.mediatype, size: 731 },
        labels: edge,
        createdAt: created,
        updatedAt: created,
      },
    ]);
    expect(batch.damaged).toEqual([
      {
        namespace: 'default',
        name: 'example.com/over:1',
        digest: appTarget.digest,
        reason:
          "the record cannot be stored: label io.fixture.big (4097 bytes) exceeds the store's 4096 bytes per key=value",
      },
      {
        namespace: 'default',
        name: 'example.com/two:1',
        digest: appTarget.digest,
        reason:
          'the record cannot be stored: labels io.fixture.a (4109 bytes), io.fixture.b (5013 bytes) ' +
          "exceed the store's 4096 bytes per key=value",
      },
      {
        namespace: 'default',
        name: 'example.com/wide:1',
        digest: appTarget.digest,
        reason:
          "the record cannot be stored: label io.fixture.wide (4098 bytes) exceeds the store's 4096 bytes per key=value",
      },
    ]);
    // The importer's rule is the store's: the reported records are exactly the ones images.create refuses.
    const create = (labels: Record<string, string>) => () =>
      parseInput('images.create', {
        namespace: 'default',
        name: 'example.com/x:1',
        target: { digest: appTarget.digest, mediaType: appTarget.mediatype, size: 731 },
        labels,
      });
    expect(create(edge)).not.toThrow();
    for (const labels of [over, wide, two])
      expect(create(labels)).toThrow(/key=value must be at most 4096 bytes/);
    // Nothing trimmed to fit is imported, and the source is left as it was.
    expect(batch.content.map((c) => c.digest)).toEqual([appTarget.digest, appConfig]);
    expect(readFileSync(metaDb)).toEqual(before);
  });

  it('an image whose target the namespace never pulled is incomplete, not damaged', async () => {
    const dir = builtRoot(
      { v1: { version: varint(3), default: { images: { 'example.com/app:1': { target: appTarget } } } } },
      [],
    );
    const batch = await containerdImporter.read(dir, options());
    expect(batch.images).toHaveLength(1);
    expect(batch.damaged).toEqual([]);
    expect(batch.notes.join('\n')).toMatch(/default: 1 image points at content the namespace does not hold/);
  });
});

describe('cancel', () => {
  it('an already-aborted signal: cancelled, nothing read', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectError(
      containerdImporter.read(root, options({ signal: controller.signal })),
      'cancelled',
      /cancelled/,
    );
  });

  it('an abort while reading stops the import', async () => {
    const controller = new AbortController();
    const run = containerdImporter.read(root, {
      signal: controller.signal,
      progress: () => controller.abort(),
    });
    await expectError(run, 'cancelled', /cancelled/);
  });
});

describe('never writes to the source', () => {
  it('every file of the root is byte-for-byte and time-for-time the same after an import', async () => {
    const snapshot = () => {
      const out: Record<string, string> = {};
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) walk(path);
          else {
            const info = statSync(path);
            out[path] = `${info.mtimeMs}:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
          }
        }
      };
      walk(root);
      return out;
    };
    const before = snapshot();
    await containerdImporter.read(root, options());
    expect(snapshot()).toEqual(before);
  });
});
