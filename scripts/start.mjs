#!/usr/bin/env node
// `npm start`: the desktop studio when the Electron binary is installed,
// otherwise the same studio in the browser (`statepipe serve`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const args = process.argv.slice(2);
const INSTALL_TIMEOUT_MS = 60_000;

/** The Electron executable's path, or null when the binary was never downloaded. */
function electronBinary() {
  try {
    const resolved = require.resolve('electron');
    if (!existsSync(join(dirname(resolved), 'dist'))) return null;
    delete require.cache[resolved];
    const binary = require('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

function tryInstallElectron() {
  let installer;
  try {
    installer = join(dirname(require.resolve('electron/package.json')), 'install.js');
  } catch {
    return;
  }
  if (!existsSync(installer)) return;
  spawnSync(process.execPath, [installer], {
    cwd: dirname(installer),
    stdio: 'ignore',
    timeout: INSTALL_TIMEOUT_MS,
  });
}

/** Run a child with inherited stdio and exit with its status (forwarding Ctrl-C and SIGTERM). */
function runAndExit(command, commandArgs, options = {}) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', ...options });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on('error', (error) => {
    console.error(`statepipe: could not start ${command}: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function buildIsStale() {
  const outputs = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'].map((p) => join(root, p));
  if (!outputs.every((p) => existsSync(p))) return true;
  const built = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  const inputs = ['src', 'electron.vite.config.ts', 'package.json'].map((p) => newestMtime(join(root, p)));
  return Math.max(...inputs) > built;
}

/** `electron-vite build` when out/ is missing or older than the sources (the web host serves out/renderer too). */
function buildIfStale() {
  if (!buildIsStale()) return;
  const cli = join(dirname(require.resolve('electron-vite/package.json')), 'bin/electron-vite.js');
  const build = spawnSync(process.execPath, [cli, 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) {
    console.error('statepipe: building the studio failed (run `npm run build` to see why)');
    process.exit(build.status ?? 1);
  }
}

/** The desktop app loads better-sqlite3 built for Electron's ABI from native/: build it once. */
function ensureElectronSqlite(electron) {
  const probe = spawnSync(electron, ['-p', 'process.versions.modules'], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
  });
  const abi = probe.stdout?.trim();
  if (!abi || existsSync(join(root, 'native', `electron-${abi}`, 'better_sqlite3.node'))) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts/rebuild-electron-sqlite.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error(
      'statepipe: could not build the database module for Electron; starting the studio in your browser instead',
    );
    buildIfStale();
    runAndExit(process.execPath, [join(root, 'bin/statepipe.js'), 'serve', ...args]);
    return 'fallback';
  }
}

let binary = electronBinary();
if (!binary) {
  tryInstallElectron();
  binary = electronBinary();
}

if (!binary) {
  console.log(
    'statepipe: the Electron binary is not available (could not download it); starting the studio in your browser instead',
  );
  buildIfStale();
  runAndExit(process.execPath, [join(root, 'bin/statepipe.js'), 'serve', ...args]);
} else {
  buildIfStale();
  if (ensureElectronSqlite(binary) !== 'fallback') {
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    // Launch the app directory (package.json "main" is out/main/index.js) so Electron
    // takes the app's name and version, and its user-data folder, from package.json.
    runAndExit(binary, [root, ...args], { env });
  }
}
