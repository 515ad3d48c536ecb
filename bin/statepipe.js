#!/usr/bin/env node
// The `statepipe` command. It runs the prebuilt bundle out/cli/statepipe.mjs (scripts/build-cli.mjs,
// built by `npm install` through the `prepare` script): one small file to start, each command's
// chunk loaded when that command runs, so it starts about as fast as Node itself.
//
// In a checkout the sources change under it: when one of the files the bundle was built from is
// newer than the bundle (out/cli/manifest.json lists them; a hundred-odd stat calls, well under a
// millisecond), it is rebuilt first, in about a second. Only when it cannot be built (no esbuild,
// in a production install, or a source that does not compile) does the CLI run from its
// TypeScript source through tsx. STATEPIPE_CLI_SOURCE=1 forces that path (debugging the source).
//
// tsx is registered under a namespace: it compiles the CLI's own modules only, and files the user
// hands over (`--hooks hooks.js`) load as plain Node would load them.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'out', 'cli', 'statepipe.mjs');

/** Whether the bundle exists and none of the files it was built from changed since. */
function bundleIsFresh() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, 'out', 'cli', 'manifest.json'), 'utf8'));
  } catch {
    return false;
  }
  for (const file of manifest.inputs) {
    const st = statSync(join(root, file), { throwIfNoEntry: false });
    if (st === undefined || st.mtimeMs > manifest.builtAt) return false;
  }
  return statSync(bundle, { throwIfNoEntry: false }) !== undefined;
}

async function rebuild() {
  try {
    const { buildCli } = await import('../scripts/build-cli.mjs');
    await buildCli({ quiet: true });
    return true;
  } catch {
    return false; // no esbuild, or no scripts/ (an installed package): run from source
  }
}

async function fromSource() {
  const { register } = await import('tsx/esm/api');
  const tsx = register({ namespace: 'statepipe-cli' });
  await tsx.import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href, import.meta.url);
}

if (process.env.STATEPIPE_CLI_SOURCE === '1') await fromSource();
else if (bundleIsFresh() || (await rebuild())) await import(pathToFileURL(bundle).href);
else await fromSource();
