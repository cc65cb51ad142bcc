/// <reference types="vite/client" />
import type { Client } from '../../shared/transport';

/**
 * What the desktop app's preload adds beside the operations (src/preload/index.ts, `DesktopExtras`): optional, since a
 * browser (`imgmeta serve`) has neither, and only the desktop-only parts of the UI use them (see desktop.ts).
 */
interface DesktopExtras {
  /** The path on disk of a File dropped on the window ('' when it has none). */
  pathForFile?(file: File): string;
  /** Opens the system dialog for a source to import; the chosen path, or undefined when cancelled. */
  chooseSource?(): Promise<string | undefined>;
}

declare global {
  interface Window {
    /** The desktop app's preload bridge: one method per operation plus `on`; absent in a browser (`imgmeta serve`). */
    imgmeta?: Client & DesktopExtras;
  }
}
