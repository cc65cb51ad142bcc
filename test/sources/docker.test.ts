import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerImporter } from '../../src/main/sources/docker';
import type { ReadOptions } from '../../src/main/sources/types';
import { parseInput } from '../../src/shared/validate';
import { tempDir, tempStore } from '../helpers/store';
import { byName, options, rejection, sha256, treeSnapshot } from './helpers';

const fixture = join(__dirname, '..', 'fixtures', 'docker-data-root');
const driverDir = join(fixture, 'image', 'vfs');
const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as {
  repositoriesJson: Record<string, Record<string, string>>;
  images: {
    id: string;
    configSize: number;
    created: string;
    repoTags: string[];
    repoDigests: string[];
    imagedbMetadata: { lastUpdated?: string };
  }[];
  distribution: {
    diffidByDigest: Record<string, string>;
    v2metadataByDiffid: Record<string, unknown>;
  };
};
/** `docker images -a --digests --format json`, one row per line. */
const listing = readFileSync(join(fixture, 'expected', 'docker-images-digests.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map(
    (line) =>
      JSON.parse(line) as { Repository: string; Tag: string; Digest: string; ID: string; CreatedAt: string },
  );

const configType = 'application/vnd.docker.container.image.v1+json';
const read = (path: string, extra: Partial<ReadOptions> = {}) => dockerImporter.read(path, options(extra));

/** A writable copy of the fixture's data root, to damage. */
function copyRoot(): { root: string; driver: string } {
  const root = join(tempDir('imgmeta-docker-'), 'docker');
  cpSync(fixture, root, { recursive: true, verbatimSymlinks: true });
  return { root, driver: join(root, 'image', 'vfs') };
}

describe('names: every repositories.json reference, as `docker images -a --digests` lists it', () => {
  it('has one record per reference, pointing at the image ID, in the docker namespace', async () => {
    const batch = await read(fixture);
    const refs = Object.values(expected.repositoriesJson).flatMap((repo) => Object.entries(repo));
    expect(batch.kind).toBe('docker');
    expect(batch.images.map((i) => i.name).sort()).toEqual(refs.map(([ref]) => ref).sort());
    const images = byName(batch);
    for (const [ref, id] of refs) {
      expect(images.get(ref)!.namespace).toBe('docker');
      expect(images.get(ref)!.target.digest).toBe(id);
    }
    expect(batch.damaged).toEqual([]);
  });

  it('matches every row of the listing: tag rows by repo:tag, digest rows by repo@digest', async () => {
    const images = byName(await read(fixture));
    expect(listing).toHaveLength(5);
    for (const row of listing) {
      if (row.Tag !== '<none>')
        expect(images.get(`${row.Repository}:${row.Tag}`)?.target.digest).toBe(row.ID);
      if (row.Digest !== '<none>')
        expect(images.get(`${row.Repository}@${row.Digest}`)?.target.digest).toBe(row.ID);
    }
  });

  it('keeps RepoTags and RepoDigests of `docker image inspect` as names', async () => {
    const images = byName(await read(fixture));
    for (const image of expected.images)
      for (const name of [...image.repoTags, ...image.repoDigests])
        expect(images.get(name)?.target.digest).toBe(image.id);
  });

  it('keeps a pull by digest as the name@sha256 reference, with no invented tag', async () => {
    const images = byName(await read(fixture));
    const base = [...images.keys()].filter((n) => n.startsWith('127.0.0.1:5000/fixtures/base'));
    expect(base).toEqual([
      '127.0.0.1:5000/fixtures/base@sha256:1b2379352eea8de319236c617114feceeb12b129a2085660d1e80539adb9e55d',
    ]);
  });

  it('puts the images into the namespace option when given', async () => {
    const batch = await read(fixture, { namespace: 'from-docker' });
    expect(new Set(batch.images.map((i) => i.namespace))).toEqual(new Set(['from-docker']));
  });

  it('refuses a namespace the store cannot hold', async () => {
    expect((await rejection(read(fixture, { namespace: 'no spaces' }))).code).toBe('invalid_argument');
  });

  it('reads the image/<driver> directory handed in directly the same way', async () => {
    const fromRoot = await read(fixture);
    const fromDriver = await read(driverDir);
    expect(fromDriver.images).toEqual(fromRoot.images);
    expect(fromDriver.metadata).toEqual(fromRoot.metadata);
  });
});

describe('targets: the image config, verified, stored as content', () => {
  it('targets the config: Docker media type, the image ID as digest, the config size', async () => {
    const batch = await read(fixture);
    const images = byName(batch);
    for (const image of expected.images)
      for (const name of [...image.repoTags, ...image.repoDigests])
        expect(images.get(name)!.target).toEqual({
          mediaType: configType,
          digest: image.id,
          size: image.configSize,
        });
  });

  it('stores each config once, its bytes hashing to the image ID', async () => {
    const batch = await read(fixture);
    expect(batch.content.map((c) => c.digest).sort()).toEqual(expected.images.map((i) => i.id).sort());
    for (const blob of batch.content) {
      expect(blob.mediaType).toBe(configType);
      expect(sha256(blob.bytes)).toBe(blob.digest);
      expect(Buffer.from(blob.bytes)).toEqual(
        readFileSync(join(driverDir, 'imagedb', 'content', 'sha256', blob.digest.slice(7))),
      );
    }
  });

  it("dates each record from the config's created, and from lastUpdated where Docker wrote one", async () => {
    const batch = await read(fixture);
    for (const image of expected.images) {
      for (const name of [...image.repoTags, ...image.repoDigests]) {
        const record = batch.images.find((i) => i.name === name)!;
        expect(record.createdAt).toBe(Date.parse(image.created));
        const lastUpdated = image.imagedbMetadata.lastUpdated;
        expect(record.updatedAt).toBe(lastUpdated === undefined ? undefined : Date.parse(lastUpdated));
      }
    }
    for (const row of listing) {
      const record = batch.images.find((i) => i.target.digest === row.ID)!;
      expect(new Date(record.createdAt!).toISOString().replace('T', ' ').replace('.000Z', ' +0000 UTC')).toBe(
        row.CreatedAt,
      );
    }
  });

  it('holds no layers, even with keepLayers (Docker keeps them unpacked), and says so', async () => {
    const batch = await read(fixture, { keepLayers: true, tempDir: tempDir() });
    expect(batch.layers).toEqual([]);
    expect(batch.notes.join('\n')).toMatch(/no layer blobs/);
  });
});

describe('distribution metadata: the seed store, key by key, bytes unchanged', () => {
  it('imports diffid-by-digest and v2metadata-by-diffid with keys sha256/<hex>', async () => {
    const batch = await read(fixture);
    const diffids = batch.metadata.filter((m) => m.namespace === 'diffid-by-digest');
    const v2 = batch.metadata.filter((m) => m.namespace === 'v2metadata-by-diffid');
    expect(batch.metadata).toHaveLength(diffids.length + v2.length);
    expect(diffids.map((m) => m.key).sort()).toEqual(
      Object.keys(expected.distribution.diffidByDigest)
        .map((d) => d.replace(':', '/'))
        .sort(),
    );
    for (const m of diffids)
      expect(Buffer.from(m.value).toString('utf8')).toBe(
        expected.distribution.diffidByDigest[m.key.replace('/', ':')],
      );
    expect(v2.map((m) => m.key).sort()).toEqual(
      Object.keys(expected.distribution.v2metadataByDiffid)
        .map((d) => d.replace(':', '/'))
        .sort(),
    );
    for (const m of v2)
      expect(JSON.parse(Buffer.from(m.value).toString('utf8'))).toEqual(
        expected.distribution.v2metadataByDiffid[m.key.replace('/', ':')],
      );
  });

  it('keeps the bytes exactly as on disk', async () => {
    const batch = await read(fixture);
    for (const m of batch.metadata)
      expect(Buffer.from(m.value)).toEqual(readFileSync(join(driverDir, 'distribution', m.namespace, m.key)));
  });

  it('maps one diff ID to both compressed digests it was seen as', async () => {
    const batch = await read(fixture);
    const base = batch.metadata.find(
      (m) =>
        m.namespace === 'v2metadata-by-diffid' &&
        m.key === 'sha256/48ff1c183f770f028339385035fbc1a1caa546c2df3502cc6081ecf1f93688d8',
    )!;
    const digests = new Set(
      (JSON.parse(Buffer.from(base.value).toString()) as { Digest: string }[]).map((e) => e.Digest),
    );
    expect(digests).toEqual(
      new Set([
        'sha256:386a771b05564aa0a4429379bdd0226aaa1bebe66d2b402d73a48df3b81f7926',
        'sha256:ae02723aaf6aa4caff67f4761e201b5bf03b160b839f2e61d34b81196b9e0711',
      ]),
    );
  });
});

describe('untagged images are named sha256:<id>, as containerd names them', () => {
  it('names an image of imagedb that no reference reaches', async () => {
    const { root, driver } = copyRoot();
    const repos = JSON.parse(readFileSync(join(driver, 'repositories.json'), 'utf8'));
    delete repos.Repositories['example.com/fixtures/tools'];
    writeFileSync(join(driver, 'repositories.json'), JSON.stringify(repos));
    const batch = await read(root);
    const tools = 'sha256:a6bfae1f956dee4d89053985b30d4c910c215cae2cff25b17f8490a1d4902cd2';
    expect(byName(batch).get(tools)?.target).toEqual({ mediaType: configType, digest: tools, size: 691 });
    expect(batch.images.some((i) => i.name.startsWith('example.com/fixtures/tools'))).toBe(false);
    expect(batch.damaged).toEqual([]);
  });

  it('names every image so when repositories.json is absent', async () => {
    const { root, driver } = copyRoot();
    rmSync(join(driver, 'repositories.json'));
    const batch = await read(root);
    expect(batch.images.map((i) => i.name).sort()).toEqual(expected.images.map((i) => i.id).sort());
  });
});

describe('damaged entries: the sound images import, each damaged one is reported and kept as incomplete', () => {
  const tools = 'sha256:a6bfae1f956dee4d89053985b30d4c910c215cae2cff25b17f8490a1d4902cd2';
  const base = 'sha256:a2cb6b692b7e4cd1ec5b148f79253110cb1b87cdd80b81bbbf729cfc7ff49d7b';

  it('a missing config: the record stays (size unknown: 0), no content, a damaged entry', async () => {
    const { root, driver } = copyRoot();
    rmSync(join(driver, 'imagedb', 'content', 'sha256', tools.slice(7)));
    const batch = await read(root);
    const record = byName(batch).get('example.com/fixtures/tools:0.1')!;
    expect(record.target).toEqual({ mediaType: configType, digest: tools, size: 0 });
    expect(batch.content.map((c) => c.digest)).not.toContain(tools);
    expect(batch.damaged).toEqual([
      expect.objectContaining({
        name: 'example.com/fixtures/tools:0.1',
        digest: tools,
        reason: expect.stringMatching(/missing/),
      }),
    ]);
    expect(batch.images).toHaveLength(7);
    expect(batch.content).toHaveLength(3);
  });

  it('a config that does not hash to its ID: the bad bytes are not stored', async () => {
    const { root, driver } = copyRoot();
    const file = join(driver, 'imagedb', 'content', 'sha256', base.slice(7));
    const bytes = readFileSync(file);
    bytes[10] = bytes[10]! ^ 1;
    writeFileSync(file, bytes);
    const batch = await read(root);
    const name =
      '127.0.0.1:5000/fixtures/base@sha256:1b2379352eea8de319236c617114feceeb12b129a2085660d1e80539adb9e55d';
    expect(byName(batch).get(name)!.target).toEqual({ mediaType: configType, digest: base, size: 685 });
    expect(batch.content.map((c) => c.digest)).not.toContain(base);
    expect(batch.damaged).toEqual([
      expect.objectContaining({ name, digest: base, reason: expect.stringMatching(/digest mismatch/) }),
    ]);
  });

  it('a config that is a symbolic link is refused, not followed', async () => {
    const { root, driver } = copyRoot();
    const file = join(driver, 'imagedb', 'content', 'sha256', tools.slice(7));
    const outside = join(tempDir(), 'config');
    cpSync(file, outside);
    rmSync(file);
    symlinkSync(outside, file);
    const batch = await read(root);
    expect(batch.damaged).toEqual([
      expect.objectContaining({ digest: tools, reason: expect.stringMatching(/symbolic link/) }),
    ]);
    expect(batch.content.map((c) => c.digest)).not.toContain(tools);
  });

  it('a reference the store cannot hold, and one that maps to no image ID, are reported and left out', async () => {
    const { root, driver } = copyRoot();
    const repos = JSON.parse(readFileSync(join(driver, 'repositories.json'), 'utf8'));
    repos.Repositories['Bad/Name'] = { 'Bad/Name:1': tools };
    repos.Repositories['example.com/x'] = { 'example.com/x:1': 'not-an-id' };
    writeFileSync(join(driver, 'repositories.json'), JSON.stringify(repos));
    const batch = await read(root);
    expect(batch.images).toHaveLength(7);
    expect(batch.damaged.map((d) => d.name).sort()).toEqual(['Bad/Name:1', 'example.com/x:1']);
  });

  it('a reference listed under two repositories with different IDs: the first is kept, the other reported', async () => {
    const { root, driver } = copyRoot();
    const repos = JSON.parse(readFileSync(join(driver, 'repositories.json'), 'utf8'));
    repos.Repositories['zz-elsewhere'] = { 'example.com/fixtures/tools:0.1': base };
    writeFileSync(join(driver, 'repositories.json'), JSON.stringify(repos));
    const batch = await read(root);
    expect(byName(batch).get('example.com/fixtures/tools:0.1')!.target.digest).toBe(tools);
    expect(batch.damaged).toEqual([
      expect.objectContaining({
        name: 'example.com/fixtures/tools:0.1',
        reason: expect.stringMatching(/also maps/),
      }),
    ]);
  });

  it('a bad distribution entry (a symbolic link) is reported; the other keys import', async () => {
    const { root, driver } = copyRoot();
    symlinkSync('/etc/hostname', join(driver, 'distribution', 'diffid-by-digest', 'sha256', 'link'));
    const batch = await read(root);
    expect(batch.metadata).toHaveLength(9);
    expect(batch.damaged).toEqual([
      { reason: expect.stringMatching(/diffid-by-digest\/sha256\/link: a symbolic link/) },
    ]);
  });
});

describe('refuses what is not a readable Docker store, with a clear invalid_argument', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['invalid JSON', '{"Repositories": {', /not valid JSON/],
    ['random bytes', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)), /not valid JSON/],
    ['the wrong shape', '{"Repositories": []}', /expected/],
    ['a non-string image ID', '{"Repositories": {"a": {"a:1": 5}}}', /image ID/],
  ];
  for (const [what, content, message] of cases) {
    it(`repositories.json with ${what}`, async () => {
      const { root, driver } = copyRoot();
      writeFileSync(join(driver, 'repositories.json'), content);
      const err = await rejection(read(root));
      expect(err.code).toBe('invalid_argument');
      expect(err.message).toMatch(/repositories\.json/);
      expect(err.message).toMatch(message);
      expect((await rejection(dockerImporter.detect(root))).code).toBe('invalid_argument');
    });
  }

  it('a directory that is not a Docker data root', async () => {
    const err = await rejection(read(tempDir()));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(/not a Docker data root/);
  });

  it('a data root with several drivers: asks which', async () => {
    const { root } = copyRoot();
    cpSync(join(root, 'image', 'vfs'), join(root, 'image', 'overlay2'), { recursive: true });
    const err = await rejection(read(root));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(/overlay2, vfs/);
    expect((await rejection(dockerImporter.detect(root))).code).toBe('invalid_argument');
    expect((await read(join(root, 'image', 'overlay2'))).images).toHaveLength(7);
  });
});

describe('detection', () => {
  it('recognises the data root and the driver directory, with counts', async () => {
    for (const path of [fixture, driverDir]) {
      const detection = await dockerImporter.detect(path);
      expect(detection).toMatchObject({
        kind: 'docker',
        path,
        namespaces: ['docker'],
        images: 7,
        metadataKeys: 9,
      });
    }
    expect((await dockerImporter.detect(fixture, { namespace: 'other' }))?.namespaces).toEqual(['other']);
  });

  it('does not claim other sources', async () => {
    expect(
      await dockerImporter.detect(join(__dirname, '..', 'fixtures', 'containers-storage', 'storage')),
    ).toBeUndefined();
    expect(await dockerImporter.detect(join(driverDir, 'distribution'))).toBeUndefined();
    expect(await dockerImporter.detect(join(fixture, 'docker-save', 'all.tar'))).toBeUndefined();
    expect(await dockerImporter.detect(tempDir())).toBeUndefined();
  });
});

describe('the batch is one the store accepts', () => {
  it('every record, config and key passes the store', async () => {
    const batch = await read(fixture);
    const { service } = tempStore();
    for (const blob of batch.content)
      await service['content.put']({ bytes: blob.bytes, mediaType: blob.mediaType });
    for (const image of batch.images) {
      const input = {
        namespace: image.namespace,
        name: image.name,
        target: image.target,
        labels: image.labels,
      };
      parseInput('images.create', input);
      await service['images.create'](input);
    }
    for (const m of batch.metadata) await service['metadata.set'](parseInput('metadata.set', m));
  });
});

describe('progress, cancel, read-only', () => {
  it('reports progress per image', async () => {
    const opts = options();
    await dockerImporter.read(fixture, opts);
    expect(opts.updates).toContainEqual(
      expect.objectContaining({ phase: 'images', items: 4, totalItems: 4 }),
    );
  });

  it('an already-aborted signal gives cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await rejection(read(fixture, { signal: controller.signal }))).code).toBe('cancelled');
  });

  it('never writes to the source', async () => {
    const { root } = copyRoot();
    mkdirSync(join(root, 'image', 'vfs', 'layerdb', 'tmp'));
    const before = treeSnapshot(root);
    await read(root);
    await dockerImporter.detect(root);
    expect(treeSnapshot(root)).toEqual(before);
  });
});
