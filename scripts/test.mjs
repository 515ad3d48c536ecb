#!/usr/bin/env node
// `npm test`: typecheck, lint, format check (Prettier), then the vitest suite. Ends with one plain line,
// `tests: N passed, N failed`, that CI reads; exits non-zero if anything failed.
// Extra arguments go to vitest (e.g. `npm test -- src/core`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const bin = (pkg, file) => join(dirname(require.resolve(`${pkg}/package.json`)), file);
const report = join(root, '.tmp', 'vitest.json');

function step(name, script, args) {
  console.log(`\n> ${name}`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [script, ...args], { cwd: root, stdio: 'inherit' });
  const ok = result.status === 0;
  console.log(`> ${name}: ${ok ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return ok;
}

const failures = [];
if (!step('typecheck', bin('typescript', 'bin/tsc'), ['-p', 'tsconfig.json', '--noEmit'])) failures.push('typecheck');
if (!step('lint', bin('eslint', 'bin/eslint.js'), ['src', 'test', 'e2e', 'bench'])) failures.push('lint');
if (!step('format', bin('prettier', 'bin/prettier.cjs'), ['--check', '--log-level', 'warn', '.']))
  failures.push('format');

mkdirSync(dirname(report), { recursive: true });
rmSync(report, { force: true });
const vitestOk = step('vitest', bin('vitest', 'vitest.mjs'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile=${report}`,
  ...process.argv.slice(2),
]);
if (!vitestOk) failures.push('vitest');

let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests ?? 0;
  failed = json.numFailedTests ?? 0;
  // A test file that fails outside any test (cannot load, a failing beforeAll hook)
  // counts as one failure of its own.
  const brokenSuites = (json.testResults ?? []).filter(
    (r) => r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  failed += brokenSuites;
} else {
  console.log('vitest wrote no report (it could not start)');
  failed = 1;
}

if (failures.length > 0) console.log(`\nfailed steps: ${failures.join(', ')}`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failures.length > 0 || failed > 0 ? 1 : 0);
