import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { dockerArchiveImporter, ociArchiveImporter } from '../../src/main/sources/archive';
import { commitBatch } from '../../src/main/sources/commit';
import type { ImportBatch, ImportProgress, Importer } from '../../src/main/sources/types';
import { tempDir, tempStore } from '../helpers/store';
import {
  byName,
  contentDigests,
  dockerSaveTar,
  expectInvalid,
  expectStorable,
  file,
  json,
  link,
  oci,
  options,
  readTar,
  sha256,
  skopeo,
  stripTarget,
  umociExpected,
  umociLayout,
  writeTar,
  type ExpectedRef,
  type TarItem,
} from './oci-helpers';

interface ExpectedDockerImage {
  repoTags: string[];
  configDigest: string;
  configSize: number;
  diffIds: string[];
  layers: { file: string; size: number; digest: string }[];
}
const skopeoExpected = JSON.parse(readFileSync(join(skopeo, 'expected.json'), 'utf8')) as {
  dockerArchive: Record<string, { images: ExpectedDockerImage[] }>;
  ociArchive: Record<string, { refs: ExpectedRef[] }>;
};
const saveExpected = JSON.parse(
  readFileSync(join(skopeo, '..', 'docker-data-root', 'expected.json'), 'utf8'),
) as {
  dockerSave: {
    images: { repoTags: string[]; imageId: string; layers: { size: number; diffId: string }[] }[];
  };
};

const readDocker = (path: string, extra = {}) => dockerArchiveImporter.read(path, options(extra));
const readOci = (path: string, extra = {}) => ociArchiveImporter.read(path, options(extra));

/** A fixture tar, with entries changed by `edit` (return undefined to drop one), written to a temp file. */
async function editTar(
  source: string,
  edit: (item: TarItem) => TarItem | TarItem[] | undefined,
  name = 'edited.tar',
  gzip = false,
): Promise<string> {
  const items = (await readTar(source)).flatMap((item) => edit(item) ?? []);
  return writeTar(items, name, gzip);
}

/** The umoci layout as a tar, the way skopeo / buildx write an OCI archive (plus any extra entries). */
async function layoutTar(extra: TarItem[] = [], name = 'layout.tar'): Promise<string> {
  const items: TarItem[] = [
    file('oci-layout', readFileSync(join(umociLayout, 'oci-layout'))),
    file('index.json', readFileSync(join(umociLayout, 'index.json'))),
  ];
  for (const hex of readdirSync(join(umociLayout, 'blobs', 'sha256')).sort())
    items.push(file(`blobs/sha256/${hex}`, readFileSync(join(umociLayout, 'blobs', 'sha256', hex))));
  return writeTar([...items, ...extra], name);
}

function expectDockerImage(batch: ImportBatch, expected: ExpectedDockerImage, names: string[]) {
  for (const name of names) {
    const image = byName(batch).get(name);
    expect(image, name).toBeDefined();
    expect(image!.target).toEqual({
      mediaType: oci.dockerConfig,
      digest: expected.configDigest,
      size: expected.configSize,
    });
    expect(image!.labels).toEqual({});
    expect(image!.namespace).toBe('default');
  }
  const config = batch.content.find((c) => c.digest === expected.configDigest)!;
  expect(config.mediaType).toBe(oci.dockerConfig);
  expect(config.bytes.byteLength).toBe(expected.configSize);
}

describe('docker-archive (skopeo): RepoTags name the config; no manifest digest is invented', () => {
  for (const [file, archive] of Object.entries(skopeoExpected.dockerArchive)) {
    it(`${file}`, async () => {
      const path = join(skopeo, file);
      const expected = archive.images[0]!;
      const detection = await dockerArchiveImporter.detect(path);
      expect(detection).toMatchObject({
        kind: 'docker-archive',
        description: 'docker save archive (tar)',
        images: Math.max(expected.repoTags.length, 1),
      });
      expect(await ociArchiveImporter.detect(path)).toBeUndefined();
      const batch = await readDocker(path);
      expect(batch.kind).toBe('docker-archive');
      const names = expected.repoTags.length > 0 ? expected.repoTags : [expected.configDigest];
      expect(batch.images.map((i) => i.name).sort()).toEqual([...names].sort());
      expectDockerImage(batch, expected, names);
      expect(contentDigests(batch)).toEqual([expected.configDigest]);
      expect(batch.notes[0]).toMatch(/no manifest digest exists in the archive and none was invented/);
      if (expected.repoTags.length === 0)
        expect(batch.notes.join('\n')).toContain(`has no RepoTags: imported as ${expected.configDigest}`);
      expectStorable(batch);
    });
  }

  it("follows skopeo's <v1id>/layer.tar symlinks (inside the archive) for --keep-layers", async () => {
    const temp = tempDir();
    const expected = skopeoExpected.dockerArchive['docker-archive/app.tar']!.images[0]!;
    const batch = await readDocker(join(skopeo, 'docker-archive', 'app.tar'), {
      keepLayers: true,
      tempDir: temp,
    });
    expect(batch.layers.map((l) => [l.digest, l.size])).toEqual(
      expected.layers.map((l) => [l.digest, l.size]),
    );
    for (const layer of batch.layers) expect(sha256(readFileSync(layer.file))).toBe(layer.digest);
    expect(readdirSync(temp)).toHaveLength(3);
  });
  it('resolves manifest.json layers named by <v1id>/layer.tar symlinks', async () => {
    const expected = skopeoExpected.dockerArchive['docker-archive/app.tar']!;
    const byDiffId = Object.fromEntries(
      Object.entries(
        (expected as unknown as { legacyLayerSymlinks: Record<string, string> }).legacyLayerSymlinks,
      ).map(([link, target]) => [target.slice(3), link]),
    );
    const path = await editTar(join(skopeo, 'docker-archive', 'app.tar'), (item) => {
      if (item.header.name !== 'manifest.json') return item;
      const list = JSON.parse(item.data.toString());
      list[0].Layers = list[0].Layers.map((l: string) => byDiffId[l]);
      return file('manifest.json', JSON.stringify(list));
    });
    const batch = await readDocker(path, { keepLayers: true, tempDir: tempDir() });
    expect(batch.layers.map((l) => l.digest)).toEqual(expected.images[0]!.diffIds);
  });

  it('accepts a foreign layer (LayerSources with urls) that docker save left out', async () => {
    const diffId = 'sha256:3355fa1b2e394b7f1f8c066a71f49e941dbfc306f98e9f4dd52c9081c81b448b';
    const path = await editTar(join(skopeo, 'docker-archive', 'app.tar'), (item) => {
      if (item.header.name === `${diffId.slice(7)}.tar`) return undefined;
      if (item.header.name.startsWith('609e9292')) return undefined; // the legacy symlink to it
      if (item.header.name !== 'manifest.json') return item;
      const list = JSON.parse(item.data.toString());
      list[0].LayerSources = {
        [diffId]: {
          mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
          digest: sha256('x'),
          size: 1,
          urls: ['https://example.com/x'],
        },
      };
      return file('manifest.json', JSON.stringify(list));
    });
    const batch = await readDocker(path);
    expect(batch.images).toHaveLength(2);
    expect(batch.notes.join('\n')).toMatch(
      /foreign layer sha256:3355fa1b\w+ .*with urls.* not in the archive/,
    );
  });
});

describe('docker-archive (docker save, several images)', () => {
  it('imports the 3 images under their 4 tags', async () => {
    const detection = await dockerArchiveImporter.detect(dockerSaveTar);
    expect(detection).toMatchObject({ kind: 'docker-archive', images: 4 });
    const batch = await readDocker(dockerSaveTar, { namespace: 'saved' });
    expect(batch.images.map((i) => i.name).sort()).toEqual([
      '127.0.0.1:5000/fixtures/app:1.0',
      '127.0.0.1:5000/fixtures/multi:1.0',
      'example.com/fixtures/app:stable',
      'example.com/fixtures/tools:0.1',
    ]);
    for (const image of saveExpected.dockerSave.images) {
      for (const name of image.repoTags) {
        const record = byName(batch).get(name)!;
        expect(record.namespace).toBe('saved');
        expect(record.target.digest).toBe(image.imageId);
        expect(record.target.mediaType).toBe(oci.dockerConfig);
      }
    }
    expect(contentDigests(batch)).toEqual(saveExpected.dockerSave.images.map((i) => i.imageId).sort());
    expectStorable(batch);
  });

  it('keeps each distinct layer once (the base layer is shared by two images)', async () => {
    const batch = await readDocker(dockerSaveTar, { keepLayers: true, tempDir: tempDir() });
    const diffIds = new Set(saveExpected.dockerSave.images.flatMap((i) => i.layers.map((l) => l.diffId)));
    expect(batch.layers.map((l) => l.digest).sort()).toEqual([...diffIds].sort());
  });

  it('commits into a real store', async () => {
    const batch = await readDocker(dockerSaveTar);
    const { store } = tempStore();
    const summary = store.write((ctx) => commitBatch(store.env, ctx, batch));
    expect(summary.images.created).toHaveLength(4);
    expect(summary.content.added).toBe(3);
  });
});

describe('oci-archive (skopeo): a tar of an OCI layout', () => {
  for (const [file, archive] of Object.entries(skopeoExpected.ociArchive)) {
    it(`${file}`, async () => {
      const path = join(skopeo, file);
      const detection = await ociArchiveImporter.detect(path);
      expect(detection).toMatchObject({
        kind: 'oci-archive',
        description: 'OCI archive (tar of an OCI image layout)',
        images: 1,
      });
      expect(await dockerArchiveImporter.detect(path)).toBeUndefined();
      const batch = await readOci(path);
      expect(batch.kind).toBe('oci-archive');
      const ref = archive.refs[0]!;
      expect(batch.images.map((i) => i.name)).toEqual([ref.ref]);
      expect(stripTarget(batch.images[0]!.target)).toEqual({
        mediaType: ref.mediaType,
        digest: ref.digest,
        size: ref.size,
      });
      const stored = [ref.digest, ...(ref.config ? [ref.config.digest] : [])];
      for (const child of ref.manifests ?? []) stored.push(child.digest, child.config!.digest);
      expect(contentDigests(batch)).toEqual(stored.sort());
      expectStorable(batch);
    });
  }

  it("the same, gzip'd: streamed through gunzip", async () => {
    const path = join(tempDir(), 'multi-all.tar.gz');
    writeFileSync(path, gzipSync(readFileSync(join(skopeo, 'oci-archive', 'multi-all.tar'))));
    const detection = await ociArchiveImporter.detect(path);
    expect(detection).toMatchObject({
      kind: 'oci-archive',
      description: "OCI archive (gzip'd tar of an OCI image layout)",
    });
    const batch = await readOci(path, { keepLayers: true, tempDir: tempDir() });
    expect(batch.images.map((i) => i.name)).toEqual(['example.com/fixtures/multi:1.0']);
    expect(batch.content).toHaveLength(5);
    expect(batch.layers).toHaveLength(3);
  });

  it('a tar of the umoci layout: all six names, the bare tag named after the file', async () => {
    const path = await layoutTar([], 'My Images.tar');
    const batch = await readOci(path);
    expect(batch.images.map((i) => i.name).sort()).toEqual(
      [...umociExpected.refs.map((r) => (r.ref === 'stable' ? 'my-images:stable' : r.ref))].sort(),
    );
    expect(batch.content).toHaveLength(11);
    expect(batch.notes.join('\n')).toMatch(/imported as my-images:stable, after the file name/);
  });

  it('entries in any order, with ./ prefixes and directory entries', async () => {
    const items = (await readTar(join(skopeo, 'oci-archive', 'multi-all.tar'))).reverse().map((item) => ({
      ...item,
      header: { ...item.header, name: `./${item.header.name}` },
    }));
    const batch = await readOci(await writeTar(items));
    expect(batch.images).toHaveLength(1);
  });
});

describe('tars written by other tools: GNU tar, long names', () => {
  it.skipIf(spawnSync('tar', ['--version']).status !== 0)(
    'a GNU tar of the umoci layout (./ names) is detected and read',
    async () => {
      const path = join(tempDir(), 'gnu.tar');
      execFileSync('tar', ['-C', umociLayout, '--format=gnu', '-cf', path, '.']);
      expect(await ociArchiveImporter.detect(path)).toMatchObject({ kind: 'oci-archive', images: 6 });
      expect((await readOci(path)).images).toHaveLength(6);
      execFileSync('tar', ['-C', umociLayout, '--format=pax', '-czf', `${path}.gz`, '.']);
      expect(await ociArchiveImporter.detect(`${path}.gz`)).toMatchObject({ kind: 'oci-archive', images: 6 });
    },
  );

  it('entries with names longer than 100 characters (pax headers) before the root files', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const path = await layoutTar([file(long, 'padding')].concat([]), 'long.tar');
    const items = await readTar(path);
    const reordered = await writeTar(
      [file(long, 'x'), ...items.filter((i) => i.header.name !== long)],
      'long2.tar',
    );
    expect(await ociArchiveImporter.detect(reordered)).toMatchObject({ kind: 'oci-archive', images: 6 });
    expect((await readOci(reordered)).images).toHaveLength(6);
  });
});

describe('docker save with an OCI layout inside (Docker >= 25): the layout wins, with real manifest digests', () => {
  it('names come from io.containerd.image.name, targets are the manifests', async () => {
    const layout = (await readTar(join(skopeo, 'oci-archive', 'app.tar'))).map((item) => {
      if (item.header.name !== 'index.json') return item;
      const index = JSON.parse(item.data.toString());
      index.manifests[0].annotations = {
        'io.containerd.image.name': 'docker.io/library/app:1.0',
        'org.opencontainers.image.ref.name': '1.0',
      };
      return { ...item, data: json(index) };
    });
    const manifestJson = file(
      'manifest.json',
      JSON.stringify([
        {
          Config: 'blobs/sha256/dac814063a9bfa8e93db9019050f3ddea445b25af401faa817eda10e22940b52',
          RepoTags: ['app:1.0'],
          Layers: ['blobs/sha256/ae02723aaf6aa4caff67f4761e201b5bf03b160b839f2e61d34b81196b9e0711'],
        },
      ]),
    );
    const path = await writeTar([...layout, manifestJson]);
    const detection = await dockerArchiveImporter.detect(path);
    expect(detection).toMatchObject({
      kind: 'docker-archive',
      description: 'docker save archive (tar, with an OCI layout inside)',
      images: 1,
    });
    expect(await ociArchiveImporter.detect(path)).toBeUndefined();
    const batch = await readDocker(path);
    expect(batch.kind).toBe('docker-archive');
    expect(batch.images.map((i) => [i.name, i.target.digest, i.target.mediaType])).toEqual([
      [
        'docker.io/library/app:1.0',
        'sha256:52dd533837d89ff6bc01a458ec9838cfd24304847f7313373cae87f5266e9cd1',
        oci.manifest,
      ],
    ]);
    expect(batch.notes[0]).toMatch(/with an OCI layout inside: imported from its index.json/);
  });
});

describe('unsafe or damaged archives are refused whole, naming the entry and the reason', () => {
  const appTar = join(skopeo, 'docker-archive', 'app.tar');
  const ociTar = join(skopeo, 'oci-archive', 'app.tar');

  it('an entry named ../evil', async () => {
    const path = await writeTar([...(await readTar(appTar)), file('../evil', 'x')]);
    await expectInvalid(readDocker(path), /tar entry "..\/evil" points outside the archive/);
    await expectInvalid(
      readDocker(await writeTar([file('a/../../evil', 'x'), ...(await readTar(appTar))])),
      /points outside/,
    );
  });

  it('an absolute entry', async () => {
    await expectInvalid(
      readDocker(await writeTar([file('/etc/evil', 'x'), ...(await readTar(appTar))])),
      /tar entry "\/etc\/evil" is an absolute path/,
    );
  });

  it('a symlink pointing outside the archive', async () => {
    const path = await editTar(appTar, (item) =>
      item.header.type === 'symlink' && item.header.name.startsWith('fe6dde')
        ? link(item.header.name, '../../etc/passwd')
        : item,
    );
    await expectInvalid(
      readDocker(path),
      /symlink fe6dde\w+\/layer.tar -> "..\/..\/etc\/passwd" points outside the archive/,
    );
    await expectInvalid(
      readDocker(await writeTar([link('x', '/etc/passwd'), ...(await readTar(appTar))])),
      /symlink x -> "\/etc\/passwd" points outside/,
    );
  });

  it('a hard link to a missing entry', async () => {
    await expectInvalid(
      readDocker(await writeTar([link('hard', 'nowhere.tar', 'link'), ...(await readTar(appTar))])),
      /hard link hard -> nowhere.tar names no earlier file/,
    );
  });

  it('a symlink chain that loops, when it is used', async () => {
    const path = await editTar(appTar, (item) => {
      if (item.header.name === '48ff1c183f770f028339385035fbc1a1caa546c2df3502cc6081ecf1f93688d8.tar')
        return [link(item.header.name, 'loop-b'), link('loop-b', item.header.name)];
      return item;
    });
    await expectInvalid(readDocker(path), /too many levels of links/);
  });

  it('a truncated tar and a truncated gzip', async () => {
    const bytes = readFileSync(appTar);
    const truncated = join(tempDir(), 'truncated.tar');
    writeFileSync(truncated, bytes.subarray(0, 5000));
    await expectInvalid(readDocker(truncated), /truncated/);
    const gz = gzipSync(bytes);
    const truncatedGz = join(tempDir(), 'truncated.tar.gz');
    writeFileSync(truncatedGz, gz.subarray(0, Math.floor(gz.length / 2)));
    await expectInvalid(readDocker(truncatedGz), /gzip stream is corrupt or truncated|truncated/);
    await expectInvalid(dockerArchiveImporter.detect(truncatedGz), /truncated/);
  });

  it('an archive of a layout or docker save folder rather than of its contents: refused, saying how to make one', async () => {
    const nested = async (source: string, folder: string, gzip = false) =>
      writeTar(
        (await readTar(source)).map((item) => ({
          ...item,
          header: { ...item.header, name: `${folder}/${item.header.name}` },
        })),
        `${folder}.tar${gzip ? '.gz' : ''}`,
        gzip,
      );
    const layout = await nested(join(skopeo, 'oci-archive', 'app.tar'), 'app-layout', true);
    for (const importer of [ociArchiveImporter, dockerArchiveImporter])
      await expectInvalid(
        importer.detect(layout),
        /holds an OCI image layout under app-layout\/ instead of at its root: import the extracted directory, or make the archive from inside it \(tar -C app-layout -cf app-layout.tar.gz \.\)/,
      );
    const saved = await nested(appTar, 'saved');
    await expectInvalid(
      dockerArchiveImporter.detect(saved),
      /holds a docker save archive under saved\/ instead of at its root: make the archive from inside it/,
    );
    // Two folders, or a folder without either root file, are simply not archives of these kinds.
    const two = await writeTar([file('a/manifest.json', '[]'), file('b/x', 'y')]);
    expect(await dockerArchiveImporter.detect(two)).toBeUndefined();
  });

  // `docker load` takes archives compressed with any of these; this reader streams gzip only and says how to undo
  // the others. Compressed by the real tools where this machine has them.
  for (const [tool, flags, suffix, command] of [
    ['xz', ['-c'], 'xz', 'xz -dk'],
    ['bzip2', ['-c'], 'bz2', 'bzip2 -dk'],
    ['zstd', ['-q', '-c'], 'zst', 'zstd -d'],
  ] as const) {
    it.skipIf(spawnSync(tool, ['--version']).error !== undefined)(
      `a ${tool}-compressed archive: refused with the command that decompresses it`,
      async () => {
        const path = join(tempDir(), `app.tar.${suffix}`);
        writeFileSync(path, execFileSync(tool, [...flags, appTar], { maxBuffer: 64 * 1024 * 1024 }));
        const message = new RegExp(`compressed with ${tool}; .*decompress it first \\(${command} ${path}\\)`);
        for (const importer of [dockerArchiveImporter, ociArchiveImporter]) {
          await expectInvalid(importer.detect(path), message);
          await expectInvalid(importer.read(path, options()), message);
        }
      },
    );
  }

  it("a layer whose bytes do not match the config's diff_id", async () => {
    const path = await editTar(appTar, (item) => {
      if (item.header.name !== '4638b874a5de7ad0b1c719af2728690a0e465a305637e8d431585541dadb08f1.tar')
        return item;
      const data = Buffer.from(item.data);
      data[600] = data[600]! ^ 0xff;
      return { ...item, data };
    });
    await expectInvalid(
      readDocker(path),
      /manifest.json \[0\]: layer 4638b874\w+.tar does not match rootfs.diff_ids\[1\] sha256:4638b874\w+: the bytes hash to sha256:/,
    );
  });

  it('an OCI blob whose bytes do not match its name', async () => {
    const path = await editTar(ociTar, (item) => {
      if (
        item.header.name !== 'blobs/sha256/13c2c7d908644e3ef8b51179e75f3c0885a6c64d6e929ed941d760e2963da851'
      )
        return item;
      const data = Buffer.from(item.data);
      data[20] = data[20]! ^ 0xff;
      return { ...item, data };
    });
    await expectInvalid(readOci(path), /blobs\/sha256\/13c2c7d9\w+: digest mismatch/);
  });

  it('an OCI layer missing from the archive', async () => {
    const path = await editTar(ociTar, (item) =>
      item.header.name === 'blobs/sha256/0b80b8e30c6411ca62a9a531772d72eae5f6ce3ab20c87352de6fa737ebee0c1'
        ? undefined
        : item,
    );
    await expectInvalid(
      readOci(path),
      /blob sha256:0b80b8e3\w+ \(index.json manifests\[0\] > layers\[2\]\) is missing/,
    );
  });

  it('a config missing from a docker archive', async () => {
    const path = await editTar(appTar, (item) =>
      item.header.name.endsWith('.json') && item.header.name.startsWith('dac8') ? undefined : item,
    );
    await expectInvalid(readDocker(path), /manifest.json \[0\]: config dac8\w+.json is not in the archive/);
  });

  it('a config whose file name disagrees with its bytes', async () => {
    const path = await editTar(appTar, (item) => {
      if (!item.header.name.startsWith('dac8')) return item;
      const config = JSON.parse(item.data.toString());
      config.author = 'someone else';
      return { ...item, data: json(config) };
    });
    await expectInvalid(readDocker(path), /config dac8\w+.json: digest mismatch/);
  });

  it('a manifest.json that is not JSON, or not the docker save shape', async () => {
    const broken = (data: string) =>
      editTar(appTar, (item) => (item.header.name === 'manifest.json' ? file('manifest.json', data) : item));
    await expectInvalid(readDocker(await broken('[{"Config": ')), /manifest.json: not valid JSON/);
    await expectInvalid(readDocker(await broken('{"Config": "x"}')), /manifest.json: not a JSON array/);
    await expectInvalid(
      readDocker(await broken('[{"Config": 1, "Layers": []}]')),
      /manifest.json \[0\]: Config must be a file name/,
    );
    await expectInvalid(
      readDocker(await broken('[{"Config": "../x.json", "RepoTags": null, "Layers": []}]')),
      /Config: "..\/x.json" points outside the archive/,
    );
    await expectInvalid(
      readDocker(
        await broken(
          JSON.stringify([
            {
              Config: 'dac814063a9bfa8e93db9019050f3ddea445b25af401faa817eda10e22940b52.json',
              RepoTags: ['Bad Name'],
              Layers: [
                '48ff1c183f770f028339385035fbc1a1caa546c2df3502cc6081ecf1f93688d8.tar',
                '4638b874a5de7ad0b1c719af2728690a0e465a305637e8d431585541dadb08f1.tar',
                '3355fa1b2e394b7f1f8c066a71f49e941dbfc306f98e9f4dd52c9081c81b448b.tar',
              ],
            },
          ]),
        ),
      ),
      /RepoTags "Bad Name" is not a valid image name/,
    );
    await expectInvalid(
      readDocker(
        await broken(
          JSON.stringify([
            {
              Config: 'dac814063a9bfa8e93db9019050f3ddea445b25af401faa817eda10e22940b52.json',
              RepoTags: [],
              Layers: [],
            },
          ]),
        ),
      ),
      /0 layers, but the config lists 3 diff IDs/,
    );
  });

  it('an index.json with an invalid digest', async () => {
    const path = await editTar(ociTar, (item) => {
      if (item.header.name !== 'index.json') return item;
      const index = JSON.parse(item.data.toString());
      index.manifests[0].digest = 'sha256:XYZ';
      return { ...item, data: json(index) };
    });
    await expectInvalid(readOci(path), /index.json manifests\[0\]: invalid descriptor: digest/);
  });

  it('a name that appears twice', async () => {
    const items = await readTar(appTar);
    await expectInvalid(
      readDocker(await writeTar([...items, file('manifest.json', '[]')])),
      /manifest.json appears twice/,
    );
  });

  it('random bytes, an empty tar, a tar of something else', async () => {
    const random = join(tempDir(), 'random.tar');
    writeFileSync(random, createHash('sha512').update('seed').digest().toString('hex').repeat(100));
    expect(await dockerArchiveImporter.detect(random)).toBeUndefined();
    expect(await ociArchiveImporter.detect(random)).toBeUndefined();
    await expectInvalid(readDocker(random), /not a readable tar/);
    const other = await writeTar([file('README', 'hello')]);
    expect(await dockerArchiveImporter.detect(other)).toBeUndefined();
    await expectInvalid(readOci(other), /neither a docker save archive \(manifest.json\) nor an OCI archive/);
    const empty = join(tempDir(), 'empty.tar');
    writeFileSync(empty, Buffer.alloc(1024));
    await expectInvalid(readOci(empty), /neither a docker save archive/);
    expect(await ociArchiveImporter.detect(tempDir())).toBeUndefined();
    expect(await ociArchiveImporter.detect(join(tempDir(), 'absent.tar'))).toBeUndefined();
  });

  it('leaves no layer copies behind when it fails', async () => {
    const temp = tempDir();
    const path = await editTar(appTar, (item) => {
      if (item.header.name !== '3355fa1b2e394b7f1f8c066a71f49e941dbfc306f98e9f4dd52c9081c81b448b.tar')
        return item;
      return { ...item, data: Buffer.alloc(item.data.length, 1) };
    });
    await expectInvalid(
      readDocker(path, { keepLayers: true, tempDir: temp }),
      /does not match rootfs.diff_ids\[2\]/,
    );
    expect(readdirSync(temp)).toEqual([]);
  });
});

describe('streaming: small entries in memory, a second pass for what was not kept', () => {
  it('reads a non-JSON-looking config of an artifact in a second pass', async () => {
    const config = Buffer.from('plain text config, not JSON');
    const layer = Buffer.from('payload');
    const configDesc = {
      mediaType: 'application/vnd.example.config',
      digest: sha256(config),
      size: config.length,
    };
    const layerDesc = {
      mediaType: 'application/vnd.example.layer',
      digest: sha256(layer),
      size: layer.length,
    };
    const manifest = json({
      schemaVersion: 2,
      mediaType: oci.manifest,
      artifactType: 'application/vnd.example',
      config: configDesc,
      layers: [layerDesc],
    });
    const manifestDesc = { mediaType: oci.manifest, digest: sha256(manifest), size: manifest.length };
    const blob = (bytes: Buffer) => file(`blobs/sha256/${sha256(bytes).slice(7)}`, bytes);
    const path = await writeTar([
      blob(config),
      blob(layer),
      blob(manifest),
      file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'),
      file(
        'index.json',
        JSON.stringify({
          schemaVersion: 2,
          manifests: [
            { ...manifestDesc, annotations: { 'org.opencontainers.image.ref.name': 'x/artifact:1' } },
          ],
        }),
      ),
    ]);
    const batch = await readOci(path);
    expect(batch.content.find((c) => c.digest === configDesc.digest)!.bytes).toEqual(new Uint8Array(config));
    expectStorable(batch);
  });
});

describe('progress, cancel, and never writing the source', () => {
  it('reports the bytes read out of the file size', async () => {
    const updates: ImportProgress[] = [];
    await readDocker(dockerSaveTar, { progress: (u: ImportProgress) => updates.push(u) });
    const reading = updates.filter((u) => u.phase === 'reading archive');
    expect(reading.at(-1)).toMatchObject({
      bytes: statSync(dockerSaveTar).size,
      totalBytes: statSync(dockerSaveTar).size,
    });
  });

  it('an already-aborted signal gives cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    for (const importer of [dockerArchiveImporter, ociArchiveImporter] as Importer[])
      await expect(
        importer.read(dockerSaveTar, options({ signal: controller.signal })),
      ).rejects.toMatchObject({
        code: 'cancelled',
      });
  });

  it('a cancel while streaming gives cancelled and removes the layer copies', async () => {
    const controller = new AbortController();
    const temp = tempDir();
    const progress = (u: ImportProgress) => {
      if (u.items >= 3) controller.abort();
    };
    await expect(
      readDocker(dockerSaveTar, { signal: controller.signal, progress, keepLayers: true, tempDir: temp }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(readdirSync(temp)).toEqual([]);
  });

  it('leaves the archive as it was', async () => {
    const before = statSync(dockerSaveTar);
    await readDocker(dockerSaveTar, { keepLayers: true, tempDir: tempDir() });
    const after = statSync(dockerSaveTar);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
  });
});
