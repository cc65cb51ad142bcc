import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { electronPlatformPath, findElectronBinary } from '../../scripts/electron-binary.mjs';
import { tempDir } from '../helpers/store';

/** A project root with node_modules/electron as npm leaves it; `binary` adds the unpacked distribution. */
function project({ pathTxt, binary }: { pathTxt?: string; binary?: string } = {}): string {
  const root = tempDir('imgmeta-electron-');
  const pkg = join(root, 'node_modules', 'electron');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), '{"name":"electron"}');
  if (pathTxt !== undefined) writeFileSync(join(pkg, 'path.txt'), pathTxt);
  if (binary !== undefined) {
    mkdirSync(join(pkg, 'dist'), { recursive: true });
    writeFileSync(join(pkg, 'dist', binary), '');
  }
  return root;
}

describe('finding the Electron binary without downloading it', () => {
  it('finds the binary path.txt names', () => {
    const root = project({ pathTxt: 'electron', binary: 'electron' });
    expect(findElectronBinary({ root, env: {} })).toEqual({
      path: join(root, 'node_modules', 'electron', 'dist', 'electron'),
    });
  });

  it('falls back to the platform path when path.txt is missing', () => {
    const root = project({ binary: 'electron.exe' });
    expect(findElectronBinary({ root, env: {}, platform: 'win32' }).path).toBe(
      join(root, 'node_modules', 'electron', 'dist', 'electron.exe'),
    );
    expect(electronPlatformPath('darwin')).toBe('Electron.app/Contents/MacOS/Electron');
    expect(electronPlatformPath('linux')).toBe('electron');
  });

  it('says what is missing when the download never happened', () => {
    const root = project();
    expect(findElectronBinary({ root, env: {}, platform: 'linux' })).toEqual({
      path: undefined,
      reason: 'the Electron binary is not installed (node_modules/electron/dist/electron is missing)',
    });
    expect(findElectronBinary({ root: tempDir(), env: {} }).reason).toMatch(
      /electron package is not installed/,
    );
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH, as the electron package does', () => {
    const root = project({ pathTxt: 'electron' });
    const dist = tempDir('imgmeta-dist-');
    writeFileSync(join(dist, 'electron'), '');
    expect(findElectronBinary({ root, env: { ELECTRON_OVERRIDE_DIST_PATH: dist } }).path).toBe(
      join(dist, 'electron'),
    );
    const empty = tempDir('imgmeta-dist-');
    expect(findElectronBinary({ root, env: { ELECTRON_OVERRIDE_DIST_PATH: empty } }).reason).toMatch(
      /ELECTRON_OVERRIDE_DIST_PATH is set but .* does not exist/,
    );
  });
});
