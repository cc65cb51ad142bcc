import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultWindowSize,
  loadWindowState,
  minimumWindowSize,
  restoreWindowState,
  saveWindowState,
} from '../../src/main/window-state';
import { tempDir } from '../helpers/store';

const laptop = { x: 0, y: 0, width: 1440, height: 875 };
const monitor = { x: 1440, y: 0, width: 2560, height: 1415 };

describe('window size and position across runs', () => {
  it('comes back where it was on a display that is still there', () => {
    const saved = { x: 1600, y: 100, width: 1200, height: 900, maximized: false };
    expect(restoreWindowState(saved, [laptop, monitor])).toEqual(saved);
  });

  it('is centred, at its size, when its display is gone', () => {
    const saved = { x: 1600, y: 100, width: 1200, height: 800, maximized: true };
    expect(restoreWindowState(saved, [laptop])).toEqual({ width: 1200, height: 800, maximized: true });
  });

  it('is centred when only a sliver or no title bar would be on screen', () => {
    expect(restoreWindowState({ x: 1400, y: 100, width: 800, height: 600 }, [laptop])).not.toHaveProperty(
      'x',
    );
    expect(restoreWindowState({ x: 100, y: -200, width: 800, height: 600 }, [laptop])).not.toHaveProperty(
      'x',
    );
    expect(restoreWindowState({ x: 100, y: 860, width: 800, height: 600 }, [laptop])).not.toHaveProperty('x');
  });

  it('shrinks to the display and never below the minimum', () => {
    expect(restoreWindowState({ x: 0, y: 0, width: 5000, height: 5000 }, [laptop])).toMatchObject({
      width: laptop.width,
      height: laptop.height,
    });
    expect(restoreWindowState({ x: 0, y: 0, width: 10, height: 10 }, [laptop])).toMatchObject(
      minimumWindowSize,
    );
  });

  it('uses the defaults for anything unreadable', () => {
    const defaults = { ...defaultWindowSize, maximized: false };
    for (const saved of [
      undefined,
      null,
      'x',
      [],
      {},
      { width: 'wide', height: 10 },
      { width: 1.5, height: 800 },
    ])
      expect(restoreWindowState(saved, [monitor]), JSON.stringify(saved)).toEqual(defaults);
  });

  it('is saved as JSON and read back; a broken file gives the defaults', () => {
    const file = join(tempDir(), 'nested', 'window-state.json');
    expect(loadWindowState(file, [laptop])).toEqual({ ...defaultWindowSize, maximized: false });
    saveWindowState(file, { x: 10, y: 20, width: 900, height: 700, maximized: false });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      x: 10,
      y: 20,
      width: 900,
      height: 700,
      maximized: false,
    });
    expect(loadWindowState(file, [laptop])).toEqual({
      x: 10,
      y: 20,
      width: 900,
      height: 700,
      maximized: false,
    });
    writeFileSync(file, '{"x": 1,');
    expect(loadWindowState(file, [laptop])).toEqual({ ...defaultWindowSize, maximized: false });
  });
});
