#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts) into out/cli: the entry statepipe.mjs and, split off by
// esbuild at every dynamic import(), one chunk per command and per heavy module (out/cli/chunks).
// `statepipe --version` so loads one small file, `validate` only the graph validation, and so on.
//
// Pure JavaScript packages (commander, zod, ajv, jsonata, xstate, …) are bundled in: Node resolves
// and reads one file instead of the hundreds of small modules they ship as, which is most of what
// loading them costs. Packages that need their own files at run time stay external (loaded from
// node_modules): better-sqlite3 (native), ws (optional native helpers), the web host's Fastify and
// its plugins (only `serve` loads them; @fastify/static and pino read their own files), and the AI
// SDK and OpenTelemetry (loaded only on first use; kept as they ship).
//
// out/cli/manifest.json lists the project files the bundle was built from and when: bin/statepipe.js
// rebuilds the bundle when one of them is newer (see there). Files are written atomically (a temporary
// name, then rename) and chunks are named by their content hash and written before the entry, so a
// CLI starting while another process rebuilds never loads a half-written or mismatched bundle.
//
//   node scripts/build-cli.mjs               build (npm run build:cli)
//   node scripts/build-cli.mjs --metafile    also write out/cli/meta.json (what each chunk holds)
//   node scripts/build-cli.mjs --if-possible the npm `prepare` step: without esbuild (a production
//                                            install), say so and exit 0; the bin then runs from source
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(ROOT, 'out', 'cli');
export const MANIFEST = join(OUT_DIR, 'manifest.json');

/** Kept out of the bundle: each needs its own files at run time, or loads only on first use. */
const EXTERNAL = [
  'better-sqlite3',
  'ws',
  'tsx',
  'electron',
  'yaml', // required lazily through createRequire (graph-file.ts), only for YAML files
  'ai',
  '@ai-sdk/*',
  '@opentelemetry/*',
  'fastify',
  '@fastify/*',
  'fastify-type-provider-zod',
];

/** Chunks of earlier builds are removed once they are this old (a CLI started before may still load them). */
const OLD_CHUNK_MS = 10 * 60_000;

/**
 * Builds out/cli. Resolves to the files written; rejects when esbuild is missing or the sources
 * do not compile. `quiet` prints nothing (the bin rebuilding on its own).
 */
export async function buildCli({ quiet = false, metafile = false } = {}) {
  const { build } = await import('esbuild');
  const builtAt = Date.now();
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { statepipe: 'src/cli/main.ts' },
    outdir: OUT_DIR,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    // Bundled CommonJS packages call require() for Node's own modules; an ES module has none.
    banner: {
      js: "import { createRequire as __spCreateRequire } from 'node:module';\nconst require = __spCreateRequire(import.meta.url);",
    },
    // Less to read and parse at every start; names are kept, so stacks stay readable, and
    // `--verbose` maps them back to the sources (the .map files beside each chunk).
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: true,
    legalComments: 'none',
    metafile: true,
    write: false,
    logLevel: quiet ? 'silent' : 'warning',
  });
  mkdirSync(join(OUT_DIR, 'chunks'), { recursive: true });
  const entry = join(OUT_DIR, 'statepipe.mjs');
  // Chunks first, the entry last: whoever sees the new entry finds every chunk it imports.
  const files = [...result.outputFiles].sort((a, b) => Number(a.path === entry) - Number(b.path === entry));
  for (const f of files) writeAtomic(f.path, f.contents, f.path === entry ? 0o755 : 0o644);
  writeAtomic(MANIFEST, JSON.stringify({ builtAt, inputs: projectInputs(result.metafile) }, null, 1) + '\n', 0o644);
  pruneOldChunks(new Set(files.map((f) => f.path)));
  // What each chunk holds, for `npx esbuild --analyze`-style reading (npm run build:cli -- --metafile).
  if (metafile) writeAtomic(join(OUT_DIR, 'meta.json'), JSON.stringify(result.metafile), 0o644);
  if (!quiet)
    console.log(
      `build:cli: wrote ${relative(ROOT, OUT_DIR)} (${files.filter((f) => !f.path.endsWith('.map')).length} files)`,
    );
  return files.map((f) => f.path);
}

/**
 * What the bin compares with the bundle's build time: the project's own sources it was built from,
 * this script, package.json, and npm's record of node_modules (changed by every install), which
 * stands for the bundled packages' files.
 */
function projectInputs(metafile) {
  const own = Object.keys(metafile.inputs).filter((f) => !f.includes('node_modules/'));
  return [...own, 'scripts/build-cli.mjs', 'package.json', 'node_modules/.package-lock.json'].filter((f) =>
    existsSync(join(ROOT, f)),
  );
}

function writeAtomic(file, contents, mode) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

function pruneOldChunks(keep) {
  const dir = join(OUT_DIR, 'chunks');
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (keep.has(file)) continue;
    try {
      if (now - statSync(file).mtimeMs > OLD_CHUNK_MS) rmSync(file, { force: true });
    } catch {
      /* removed by another build meanwhile */
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!existsSync(join(ROOT, 'src/cli/main.ts'))) {
    console.log('build:cli: skipped (src/cli/main.ts does not exist)');
    process.exit(0);
  }
  try {
    await buildCli({ metafile: process.argv.includes('--metafile') });
  } catch (err) {
    const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes("'esbuild'");
    if (missing && process.argv.includes('--if-possible')) {
      console.log('build:cli: esbuild is not installed; `statepipe` will run from source through tsx');
      process.exit(0);
    }
    console.error(`build:cli: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
