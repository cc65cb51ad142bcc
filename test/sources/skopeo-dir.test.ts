import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitBatch } from '../../src/main/sources/commit';
import { detectSource } from '../../src/main/sources/index';
import { metadataDirImporter } from '../../src/main/sources/metadata-dir';
import { ociLayoutImporter } from '../../src/main/sources/oci-layout';
import { skopeoDirImporter } from '../../src/main/sources/skopeo-dir';
import { tempDir, tempStore } from '../helpers/store';
import { treeSnapshot } from './helpers';
import {
  contentDigests,
  expectInvalid,
  expectStorable,
  options,
  sha256,
  skopeo,
  umociLayout,
} from './oci-helpers';

/** containers/image's dir: transport, as `skopeo copy` wrote it (fixtures/skopeo-archives/dir, see its README). */
const dirs = join(skopeo, 'dir');
const expected = JSON.parse(readFileSync(join(skopeo, 'expected.json'), 'utf8')).dir as Record<
  string,
  { files: string[]; image: { mediaType: string; digest: string; size: number; config?: { digest: string } } }
>;
const read = (path: string, extra = {}) => skopeoDirImporter.read(path, options(extra));

/** A writable copy of one of the fixture's directories, under its own name. */
function copyDir(name: string): string {
  const dir = join(tempDir('imgmeta-skopeo-dir-'), name);
  cpSync(join(dirs, name), dir, { recursive: true });
  return dir;
}

const layerHex = 'ae02723aaf6aa4caff67f4761e201b5bf03b160b839f2e61d34b81196b9e0711';
const configHex = 'dac814063a9bfa8e93db9019050f3ddea445b25af401faa817eda10e22940b52';

describe('a skopeo dir: directory imports as one untagged image named after the directory', () => {
  for (const name of ['app-oci', 'app-v2s2', 'multi-all']) {
    it(`${name}: detected, its manifest.json the target, named ${name}@<digest>`, async () => {
      const image = expected[`dir/${name}`]!.image;
      const detection = await skopeoDirImporter.detect(join(dirs, name));
      expect(detection).toMatchObject({
        kind: 'skopeo-dir',
        images: 1,
        metadataKeys: 0,
        namespaces: ['default'],
      });
      expect(detection!.notes[0]).toBe(`one image: manifest.json is ${image.mediaType}`);
      expect(detection!.notes.join('\n')).toContain(`${name}@${image.digest}`);

      const batch = await read(join(dirs, name));
      expect(batch.kind).toBe('skopeo-dir');
      expect(batch.images).toEqual([
        {
          namespace: 'default',
          name: `${name}@${image.digest}`,
          target: { mediaType: image.mediaType, digest: image.digest, size: image.size },
          labels: {},
        },
      ]);
      expect(sha256(readFileSync(join(dirs, name, 'manifest.json')))).toBe(image.digest);
      expectStorable(batch);
      expect(batch.notes.join('\n')).toMatch(
        /manifest.json has no name: imported as .*after the directory name/,
      );
    });
  }

  it('stores the manifest and its config; an index with each instance manifest (<hex>.manifest.json) and config', async () => {
    const single = await read(join(dirs, 'app-v2s2'));
    expect(contentDigests(single)).toEqual(
      [expected['dir/app-v2s2']!.image.digest, `sha256:${configHex}`].sort(),
    );
    const multi = await read(join(dirs, 'multi-all'));
    const instances = expected['dir/multi-all']!.files.filter((f) => f.endsWith('.manifest.json'));
    expect(instances).toHaveLength(2);
    const stored = contentDigests(multi);
    expect(stored).toHaveLength(5); // the index, two manifests, two configs
    for (const file of instances) expect(stored).toContain(`sha256:${file.slice(0, 64)}`);
    expect(stored).toContain(expected['dir/multi-all']!.image.digest);
  });

  it('agrees with the OCI layout skopeo copied from: the same digests, and complete trees in a real store', async () => {
    const { store, service } = tempStore();
    for (const path of [
      umociLayout,
      join(dirs, 'app-oci'),
      join(dirs, 'multi-all'),
      join(dirs, 'app-v2s2'),
    ]) {
      const batch = path === umociLayout ? await ociLayoutImporter.read(path, options()) : await read(path);
      store.write((ctx) => commitBatch(store.env, ctx, batch));
    }
    const target = async (name: string) =>
      (await service['images.get']({ namespace: 'default', name })).target.digest;
    expect(await target(`app-oci@${expected['dir/app-oci']!.image.digest}`)).toBe(
      await target('example.com/fixtures/app:1.0'),
    );
    expect(await target(`multi-all@${expected['dir/multi-all']!.image.digest}`)).toBe(
      await target('example.com/fixtures/multi:1.0'),
    );
    // skopeo converted app to Docker schema 2: a manifest of its own over the same config.
    const v2s2 = await service['content.tree']({ digest: expected['dir/app-v2s2']!.image.digest });
    expect(v2s2.present).toBe(true);
    expect(v2s2.children.find((c) => c.descriptor.digest === `sha256:${configHex}`)?.present).toBe(true);
    const check = await service['store.check']({ deep: true });
    expect(check.errors).toEqual([]);
    expect(check.incomplete).toEqual([]);
    expect(check.ok).toBe(true);
  });

  it('puts the image in the namespace asked for, and reads without writing', async () => {
    const dir = copyDir('multi-all');
    const before = treeSnapshot(dir);
    const batch = await read(dir, { namespace: 'fixtures', keepLayers: true, tempDir: tempDir() });
    expect(batch.images[0]!.namespace).toBe('fixtures');
    expect(batch.layers.length).toBeGreaterThan(0);
    expect(treeSnapshot(dir)).toEqual(before);
  });

  it('reads version 1.0 blobs named <hex>.tar, and notes signatures it leaves out', async () => {
    const dir = copyDir('app-oci');
    writeFileSync(join(dir, 'version'), 'Directory Transport Version: 1.0\n');
    for (const file of expected['dir/app-oci']!.files.filter((f) => /^[0-9a-f]{64}$/.test(f)))
      renameSync(join(dir, file), join(dir, `${file}.tar`));
    writeFileSync(join(dir, 'signature-1'), 'not a real signature');
    const batch = await read(dir);
    expect(batch.images[0]!.target.digest).toBe(expected['dir/app-oci']!.image.digest);
    expect(contentDigests(batch)).toContain(`sha256:${configHex}`);
    expect(batch.notes.join('\n')).toContain('1 signature file(s) beside the image were not imported');
  });

  it('is what `import` detects for such a directory', async () => {
    const { importer, detection } = await detectSource(join(dirs, 'app-oci'));
    expect(importer.kind).toBe('skopeo-dir');
    expect(detection.kind).toBe('skopeo-dir');
  });
});

describe('a damaged dir: directory is refused whole, naming the file and the reason', () => {
  it('a missing layer, a layer whose bytes do not match, a missing config', async () => {
    let dir = copyDir('app-oci');
    rmSync(join(dir, layerHex));
    await expectInvalid(read(dir), new RegExp(`blob sha256:${layerHex} .* is missing`));

    dir = copyDir('app-oci');
    const bytes = readFileSync(join(dir, layerHex));
    bytes[5] = bytes[5]! ^ 0xff;
    writeFileSync(join(dir, layerHex), bytes);
    await expectInvalid(read(dir), new RegExp(`layers\\[0\\] \\(${layerHex}\\): digest mismatch`));

    dir = copyDir('app-oci');
    rmSync(join(dir, configHex));
    await expectInvalid(read(dir), /manifest.json > config \(dac8\w+\) is missing/);
  });

  it('a missing instance manifest of an index', async () => {
    const dir = copyDir('multi-all');
    const instance = expected['dir/multi-all']!.files.find((f) => f.endsWith('.manifest.json'))!;
    rmSync(join(dir, instance));
    await expectInvalid(read(dir), new RegExp(`${instance.replace(/\./g, '\\.')}\\) is missing`));
  });

  it('manifest.json that is not JSON, is missing, or names an invalid media type', async () => {
    let dir = copyDir('app-oci');
    writeFileSync(join(dir, 'manifest.json'), 'not json');
    await expectInvalid(skopeoDirImporter.detect(dir), /manifest.json is not a JSON manifest or index/);
    rmSync(join(dir, 'manifest.json'));
    await expectInvalid(read(dir), /a containers\/image dir: directory without manifest.json/);
    dir = copyDir('app-oci');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'not a type' }));
    await expectInvalid(read(dir), /manifest.json has an invalid mediaType "not a type"/);
  });

  it('a blob that links outside the directory', async () => {
    const dir = copyDir('app-oci');
    const outside = join(tempDir(), 'outside');
    writeFileSync(outside, readFileSync(join(dir, layerHex)));
    rmSync(join(dir, layerHex));
    symlinkSync(outside, join(dir, layerHex));
    await expectInvalid(read(dir), /: ae02\w+ links outside the directory; refused/);
  });

  it('a transport version it does not know', async () => {
    const dir = copyDir('app-oci');
    writeFileSync(join(dir, 'version'), 'Directory Transport Version: 2.0\n');
    await expectInvalid(skopeoDirImporter.detect(dir), /transport version 2.0; this build reads version 1.x/);
  });

  it('is not claimed without its version line', async () => {
    const dir = copyDir('app-oci');
    writeFileSync(join(dir, 'version'), 'something else\n');
    expect(await skopeoDirImporter.detect(dir)).toBeUndefined();
    rmSync(join(dir, 'version'));
    expect(await skopeoDirImporter.detect(dir)).toBeUndefined();
    expect(await skopeoDirImporter.detect(umociLayout)).toBeUndefined();
    expect(await skopeoDirImporter.detect(join(dirs, 'app-oci', 'manifest.json'))).toBeUndefined();
    await expectInvalid(read(tempDir()), /not a containers\/image dir: directory/);
  });
});

describe('a directory of image directories is not file-per-key metadata', () => {
  it('refuses a directory of dir: copies and OCI layouts, naming them, instead of importing blobs as values', async () => {
    await expectInvalid(
      metadataDirImporter.detect(dirs),
      /holds image directories, not metadata: app-oci \(a skopeo dir: directory\), app-v2s2 .*import each one/,
    );
    const parent = tempDir();
    cpSync(umociLayout, join(parent, 'app'), { recursive: true });
    mkdirSync(join(parent, 'ns'));
    writeFileSync(join(parent, 'ns', 'key'), 'value');
    await expectInvalid(detectSource(parent), /app \(an OCI image layout\)/);
  });

  it("still takes keys that merely share those files' names for metadata", async () => {
    const base = tempDir();
    mkdirSync(join(base, 'app'));
    writeFileSync(join(base, 'app', 'version'), '1.2.3');
    writeFileSync(join(base, 'app', 'manifest.json'), '{}');
    writeFileSync(join(base, 'app', 'oci-layout'), 'not a layout marker');
    expect(await metadataDirImporter.detect(base)).toMatchObject({ kind: 'metadata-dir', metadataKeys: 3 });
  });
});

const hasSkopeo = spawnSync('skopeo', ['--version']).status === 0;

describe.skipIf(!hasSkopeo)("what this machine's skopeo writes with other options", () => {
  const layout = (ref: string) => `oci:${umociLayout}:${ref}`;
  const variants: { what: string; source: string; flags: string[] }[] = [
    {
      what: 'decompressed layers',
      source: layout('example.com/fixtures/base:1.0'),
      flags: ['--dest-decompress'],
    },
    {
      what: 'an index converted to Docker schema 2',
      source: layout('example.com/fixtures/multi:1.0'),
      flags: ['--all', '--format', 'v2s2'],
    },
    { what: 'recompressed layers', source: layout('stable'), flags: ['--dest-compress'] },
    {
      what: 'from a docker-archive',
      source: `docker-archive:${join(skopeo, 'docker-archive', 'app.tar')}`,
      flags: [],
    },
  ];
  for (const { what, source, flags } of variants) {
    it(`${what}: the target is the digest skopeo gives the copy, the tree complete`, async () => {
      const dir = join(tempDir('imgmeta-skopeo-'), 'copy');
      execFileSync('skopeo', ['copy', '--quiet', ...flags, source, `dir:${dir}`]);
      const digest = execFileSync('skopeo', ['manifest-digest', join(dir, 'manifest.json')], {
        encoding: 'utf8',
      }).trim();
      const batch = await read(dir, { keepLayers: true, tempDir: tempDir() });
      expect(batch.images.map((i) => [i.name, i.target.digest])).toEqual([[`copy@${digest}`, digest]]);
      expectStorable(batch);
      const { store, service } = tempStore();
      store.write((ctx) => commitBatch(store.env, ctx, batch));
      const check = await service['store.check']({ deep: true });
      expect([check.errors, check.incomplete]).toEqual([[], []]);
      // Every layer was verified (and copied): as many as the manifests list.
      expect(batch.layers.length).toBeGreaterThan(0);
    });
  }
});
