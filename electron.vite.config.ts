import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// Output layout (electron-vite defaults): out/main/index.js, out/preload/index.js, out/renderer/.
// package.json has no "type": "module", so main and preload are emitted as CommonJS.
// build.externalizeDeps defaults to true: every package.json "dependencies" entry (lmdb with its
// native binding, zod, commander) stays an external require() in out/main instead of being bundled.
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
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src/renderer/index.html') },
      },
    },
    plugins: [react()],
  },
});
