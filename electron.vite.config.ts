import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';

const root = import.meta.dirname;

/**
 * `electron-vite dev` serves the renderer through Vite, whose React refresh
 * preamble is an inline script and whose HMR uses a WebSocket: relax the CSP
 * meta tag for the dev server only. Built files keep the strict policy.
 */
function devCspPlugin(): Plugin {
  return {
    name: 'statepipe:dev-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      return html
        .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
        .replace("connect-src 'self'", "connect-src 'self' ws: http://localhost:* http://127.0.0.1:*");
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      // package.json dependencies (better-sqlite3 and its native addon, ...)
      // stay external and are loaded from node_modules at run time.
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: resolve(root, 'src/main/index.ts') },
        external: ['better-sqlite3', 'bindings'],
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // Sandboxed preloads cannot load ES modules: emit one CommonJS file
      // with everything (the API contract) bundled in; only `electron` stays external.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    plugins: [react(), devCspPlugin()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      // The studio's first load is what a person waits for: minified (README, Performance).
      minify: true,
      // Monaco, its JSON worker and elk are large chunks by nature; they load on first use only.
      chunkSizeWarningLimit: 3000,
      rolldownOptions: {
        input: { index: resolve(root, 'src/renderer/index.html') },
      },
    },
  },
});
