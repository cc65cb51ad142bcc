import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The main window's size and position across runs, kept as JSON in userData. A saved position is used only if the
 * window's title bar would land on a display that is still there (a monitor unplugged since, or a resolution
 * changed); otherwise the window is centred at a size that fits. No electron import: the caller passes the displays.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  /** Absent: let the window manager centre the window. */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const defaultWindowSize = { width: 1200, height: 800 };
export const minimumWindowSize = { width: 640, height: 400 };

/** How much of the title bar must be on a work area for the saved position to be kept. */
const grip = { width: 100, height: 32 };

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** The saved state made safe for the displays of this run; anything unreadable gives the defaults. */
export function restoreWindowState(saved: unknown, workAreas: Rect[]): WindowState {
  const primary = workAreas[0];
  const fit = (width: number, height: number) => ({
    width: Math.max(minimumWindowSize.width, primary ? Math.min(width, primary.width) : width),
    height: Math.max(minimumWindowSize.height, primary ? Math.min(height, primary.height) : height),
  });
  const fallback: WindowState = {
    ...fit(defaultWindowSize.width, defaultWindowSize.height),
    maximized: false,
  };
  if (!saved || typeof saved !== 'object') return fallback;
  const s = saved as Record<string, unknown>;
  if (!isInt(s.width) || !isInt(s.height) || s.width <= 0 || s.height <= 0) return fallback;
  const maximized = s.maximized === true;
  if (isInt(s.x) && isInt(s.y)) {
    const rect = { x: s.x, y: s.y, width: s.width, height: s.height };
    const home = workAreas.find((area) => titleBarVisible(rect, area));
    if (home) {
      return {
        x: rect.x,
        y: rect.y,
        width: Math.max(minimumWindowSize.width, Math.min(rect.width, home.width)),
        height: Math.max(minimumWindowSize.height, Math.min(rect.height, home.height)),
        maximized,
      };
    }
  }
  return { ...fit(s.width, s.height), maximized };
}

function titleBarVisible(window: Rect, area: Rect): boolean {
  const left = Math.max(window.x, area.x);
  const right = Math.min(window.x + window.width, area.x + area.width);
  const top = window.y;
  return right - left >= grip.width && top >= area.y && top + grip.height <= area.y + area.height;
}

export function loadWindowState(file: string, workAreas: Rect[]): WindowState {
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    saved = undefined; // first run, or a file we cannot read: defaults
  }
  return restoreWindowState(saved, workAreas);
}

/** Written to a temporary file and renamed, so a crash mid-write leaves the previous state, not half a file. */
export function saveWindowState(file: string, state: WindowState): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state)}\n`);
    renameSync(tmp, file);
  } catch (err) {
    console.warn(`imgmeta: could not save the window state to ${file}:`, err);
  }
}
