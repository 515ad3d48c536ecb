#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts) into an ES module, out/cli/statepipe.mjs, and chunks for
// what it imports lazily (out/cli/chunks/: the web host of `serve`, so other commands start
// without loading Fastify). Every package dependency stays external (loaded from node_modules
// at run time), so native modules such as better-sqlite3 keep working.
import { chmodSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src/cli/main.ts');
const outfile = join(root, 'out/cli/statepipe.mjs');

if (!existsSync(entry)) {
  console.log('build:cli: skipped (src/cli/main.ts does not exist yet)');
  process.exit(0);
}

await build({
  entryPoints: { statepipe: entry },
  outdir: dirname(outfile),
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});

chmodSync(outfile, 0o755);
console.log(`build:cli: wrote ${relative(root, outfile)}`);
