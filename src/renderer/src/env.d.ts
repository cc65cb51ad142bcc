/// <reference types="vite/client" />
import type { Client } from '../../shared/transport';

declare global {
  interface Window {
    /** The desktop app's preload bridge: one method per operation plus `on`; absent in a browser (`imgmeta serve`). */
    imgmeta?: Client;
  }
}
