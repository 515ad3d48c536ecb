#!/usr/bin/env node
// `npm run rebuild:electron`: builds better-sqlite3 for the installed Electron's ABI into
// native/electron-<abi>/better_sqlite3.node, beside (not over) the Node build in node_modules,
// so the CLI/tests (Node) and the desktop app (Electron) both work from one checkout.
// It needs the Electron binary (to read its ABI) and Electron's headers (downloaded by node-gyp).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function fail(message) {
  console.error(`rebuild:electron: ${message}`);
  process.exit(1);
}

let electron;
try {
  electron = require('electron');
} catch {
  fail('electron is not installed (npm install)');
}
if (typeof electron !== 'string' || !existsSync(electron))
  fail('the Electron binary is missing (node node_modules/electron/install.js)');

const probe = spawnSync(
  electron,
  ['-p', 'JSON.stringify({abi: process.versions.modules, version: process.versions.electron})'],
  {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
  },
);
if (probe.status !== 0) fail(`could not run Electron to read its ABI: ${probe.stderr.trim()}`);
const { abi, version } = JSON.parse(probe.stdout.trim());

const source = dirname(require.resolve('better-sqlite3/package.json'));
const work = mkdtempSync(join(tmpdir(), 'statepipe-sqlite-electron-'));
cpSync(source, work, { recursive: true, filter: (p) => !p.includes(`${source}/build`) });

const npmDir = dirname(dirname(process.env.npm_execpath ?? require.resolve('npm/package.json')));
const gypCandidates = [
  join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
];
const gyp = gypCandidates.find((p) => existsSync(p));
if (!gyp) fail('node-gyp not found (it ships with npm)');

console.log(`rebuild:electron: building better-sqlite3 for Electron ${version} (ABI ${abi})`);
const build = spawnSync(
  process.execPath,
  [
    gyp,
    'rebuild',
    '--release',
    `--target=${version}`,
    '--runtime=electron',
    '--dist-url=https://electronjs.org/headers',
  ],
  { cwd: work, stdio: 'inherit' },
);
if (build.status !== 0) {
  rmSync(work, { recursive: true, force: true });
  fail('node-gyp failed (it needs Electron headers from the network)');
}
const outDir = join(root, 'native', `electron-${abi}`);
mkdirSync(outDir, { recursive: true });
cpSync(join(work, 'build', 'Release', 'better_sqlite3.node'), join(outDir, 'better_sqlite3.node'));
rmSync(work, { recursive: true, force: true });
console.log(`rebuild:electron: wrote ${join('native', `electron-${abi}`, 'better_sqlite3.node')}`);
