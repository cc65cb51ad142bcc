import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../cli/run';
import { tempDir } from '../helpers/store';

/**
 * What a packaged build is made of, checked without building one (that needs the Electron download): the
 * electron-builder configuration as electron-builder itself loads and validates it, the afterPack hook flipping the
 * fuses of a stand-in binary that carries Electron's fuse wire, and an Electron that is still supported.
 */

const require = createRequire(import.meta.url);

interface BuilderConfig {
  asar?: boolean;
  afterPack?: string;
  files?: { filter: string[] }[];
  linux?: { target?: string[] };
}

async function builderConfig(): Promise<BuilderConfig> {
  const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
    getConfig(dir: string, path: null, options: null): Promise<BuilderConfig>;
    validateConfiguration(config: BuilderConfig, logger: unknown): Promise<void>;
  };
  // builder-util is app-builder-lib's own dependency: resolved from there, not from the project.
  const { DebugLogger } = createRequire(require.resolve('app-builder-lib'))('builder-util') as {
    DebugLogger: new (enabled: boolean) => unknown;
  };
  const config = await getConfig(root, null, null);
  await validateConfiguration(config, new DebugLogger(false)); // throws on anything its schema refuses
  return config;
}

type FuseWire = Record<string, number | string>;
interface Fuses {
  getCurrentFuseWire(path: string): Promise<FuseWire>;
  FuseV1Options: Record<string, number>;
}
const fusesModule = () => require('@electron/fuses') as Fuses;
const { SENTINEL, FuseState } = require('@electron/fuses/dist/constants') as {
  SENTINEL: string;
  FuseState: Record<'ENABLE' | 'DISABLE', number>;
};

/** A file laid out like an Electron binary where it matters: the sentinel, wire version 1, 8 fuses, as shipped. */
function standInBinary(path: string): void {
  // Electron's defaults: RunAsNode, cookie encryption off, NODE_OPTIONS, --inspect on, integrity and asar-only off,
  // V8 snapshot off, file:// privileges on.
  const shipped = '10110001';
  writeFileSync(
    path,
    Buffer.concat([
      Buffer.from('\x7fELF...code before...'),
      Buffer.from(SENTINEL),
      Buffer.from([1, shipped.length]),
      Buffer.from(shipped),
      Buffer.from('...code after...'),
    ]),
  );
}

describe('packaging (npm run dist)', () => {
  it("electron-builder loads electron-builder.yml and its schema accepts it: AppImage and deb, one asar, the fuses' hook", async () => {
    const config = await builderConfig();
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.asar).toBe(true);
    expect(config.files?.[0]?.filter).toContain('out/**');
    expect(config.afterPack).toBe('scripts/after-pack.cjs');
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts['dist']).toMatch(/npm run build && electron-builder/);
  });

  it('the afterPack hook flips the fuses: no RunAsNode, NODE_OPTIONS or --inspect; cookie encryption, ASAR integrity, asar only', async () => {
    const config = await builderConfig();
    const hook = require(join(root, config.afterPack!)) as ((context: unknown) => Promise<void>) & {
      fuses: Record<string, unknown>;
    };
    const { getCurrentFuseWire, FuseV1Options: fuse } = fusesModule();
    const appOutDir = tempDir('imgmeta-pack-');
    const binary = join(appOutDir, 'imgmeta');
    standInBinary(binary);
    copyFileSync(binary, `${binary}.orig`);

    const log = console.log;
    console.log = () => {};
    try {
      await hook({
        appOutDir,
        electronPlatformName: 'linux',
        packager: { executableName: 'imgmeta', appInfo: { productFilename: 'imgmeta' } },
      });
    } finally {
      console.log = log;
    }

    const wire = await getCurrentFuseWire(binary);
    const state = (name: string) => wire[fuse[name]!];
    expect(state('RunAsNode')).toBe(FuseState.DISABLE);
    expect(state('EnableNodeOptionsEnvironmentVariable')).toBe(FuseState.DISABLE);
    expect(state('EnableNodeCliInspectArguments')).toBe(FuseState.DISABLE);
    expect(state('EnableCookieEncryption')).toBe(FuseState.ENABLE);
    expect(state('EnableEmbeddedAsarIntegrityValidation')).toBe(FuseState.ENABLE);
    expect(state('OnlyLoadAppFromAsar')).toBe(FuseState.ENABLE);
    expect(state('GrantFileProtocolExtraPrivileges')).toBe(FuseState.DISABLE);
    // Every fuse the library knows is set on purpose, none left to Electron's default.
    const known = Object.keys(fuse).filter((name) => Number.isNaN(Number(name)));
    for (const name of known) expect(hook.fuses, name).toHaveProperty(String(fuse[name]));
    // Only the wire changed: the rest of the binary is byte for byte what was packed.
    const before = readFileSync(`${binary}.orig`);
    const after = readFileSync(binary);
    expect(after.length).toBe(before.length);
    const wireAt = before.indexOf(SENTINEL) + SENTINEL.length + 2;
    expect(after.subarray(0, wireAt)).toEqual(before.subarray(0, wireAt));
    expect(after.subarray(wireAt + 8)).toEqual(before.subarray(wireAt + 8));
  });
});

/**
 * Electron supports its latest three stable majors and ships a new one every 8 weeks
 * (https://www.electronjs.org/docs/latest/tutorial/electron-timelines). From a known release date, today's latest
 * major can be estimated offline; the installed one must be within the supported three. When this fails, the app
 * runs on a Chromium that no longer gets security fixes: upgrade Electron.
 */
const knownRelease = { major: 45, date: Date.parse('2026-10-21') };
const cadenceMs = 8 * 7 * 24 * 3600 * 1000;

describe('Electron itself', () => {
  it('is the version package.json and the lockfile name, and a supported major', () => {
    const installed = (require('electron/package.json') as { version: string }).version;
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    expect(lock.packages['node_modules/electron']?.version).toBe(installed);
    const major = Number(installed.split('.')[0]);
    expect(manifest.devDependencies['electron']).toMatch(new RegExp(`^\\^?${major}\\.`));
    const latest = knownRelease.major + Math.floor(Math.max(0, Date.now() - knownRelease.date) / cadenceMs);
    expect(major, `Electron ${installed}; the latest major is about ${latest}`).toBeGreaterThanOrEqual(
      latest - 2,
    );
  });
});
