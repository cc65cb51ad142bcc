import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { developmentContentSecurityPolicy } from './src/main/csp';

// Output layout (electron-vite defaults): out/main/index.js, out/preload/index.js, out/renderer/.
// package.json has no "type": "module", so main and preload are emitted as CommonJS.
// Main: build.externalizeDeps (the default) keeps every package.json "dependencies" entry (lmdb with its
// native binding, zod, commander) an external require() in out/main instead of being bundled.
// Preload: it runs sandboxed, where require() knows only 'electron' (and a few Node builtins), so nothing may stay
// external: externalizeDeps is off and src/shared with zod is bundled into out/preload/index.js. electron-vite
// keeps 'electron' itself external regardless.
/**
 * index.html carries the app's strict CSP as a meta tag (the built app also gets it as a header). Under the dev server
 * the policy is relaxed to what Fast Refresh needs (see src/main/csp.ts); `apply: 'serve'` keeps builds strict.
 */
function developmentPolicy(): Plugin {
  return {
    name: 'imgmeta-development-csp',
    apply: 'serve',
    transformIndexHtml: (html) =>
      html.replace(
        /(http-equiv="Content-Security-Policy"\s+content=")[^"]*"/,
        `$1${developmentContentSecurityPolicy}"`,
      ),
  };
}

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src/main/index.ts') },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      // Served over HTTP by `imgmeta serve` too, where a third of the bytes is a faster first load.
      minify: true,
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src/renderer/index.html') },
      },
    },
    plugins: [react(), developmentPolicy()],
  },
});
