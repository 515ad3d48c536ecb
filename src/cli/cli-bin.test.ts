/**
 * bin/statepipe.js finds its bundle: it runs out/cli/statepipe.mjs while that is up to date,
 * rebuilds it (scripts/build-cli.mjs) when a file it was built from is newer, and runs the
 * TypeScript source through tsx when it cannot build. Tried on a copy of the bin and the build
 * script in a scratch package whose "CLI" prints where it runs from.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tmpDir } from './cli-test-kit.js';

/** A package with bin/statepipe.js, src/cli/main.ts (prints its own URL) and the project's node_modules. */
function scratchPackage(withBuildScript: boolean): string {
  const dir = tmpDir();
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.mkdirSync(path.join(dir, 'src', 'cli'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'bin', 'statepipe.js'), path.join(dir, 'bin', 'statepipe.js'));
  if (withBuildScript) {
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.copyFileSync(path.join(ROOT, 'scripts', 'build-cli.mjs'), path.join(dir, 'scripts', 'build-cli.mjs'));
  }
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'scratch', type: 'module' }));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.writeFileSync(
    path.join(dir, 'src', 'cli', 'main.ts'),
    // (tsx adds its namespace as a query to the URL)
    "const from: string = import.meta.url.replace(/\\?.*$/, '');\nprocess.stdout.write(`${from.replace(/^.*\\/(out|src)\\//, '$1/')}\\n`);\n",
  );
  return dir;
}

const run = (dir: string): string => {
  const r = spawnSync(process.execPath, [path.join(dir, 'bin', 'statepipe.js')], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
};

const manifest = (dir: string): { builtAt: number; inputs: string[] } =>
  JSON.parse(fs.readFileSync(path.join(dir, 'out', 'cli', 'manifest.json'), 'utf8')) as {
    builtAt: number;
    inputs: string[];
  };

describe('bin/statepipe.js', () => {
  it('builds the bundle when there is none, runs it while it is current, rebuilds it when a source is newer', () => {
    const dir = scratchPackage(true);
    expect(run(dir)).toBe('out/cli/statepipe.mjs');
    const first = manifest(dir);
    expect(first.inputs).toContain('src/cli/main.ts');
    expect(run(dir)).toBe('out/cli/statepipe.mjs');
    expect(manifest(dir).builtAt).toBe(first.builtAt); // current: not rebuilt

    const main = path.join(dir, 'src', 'cli', 'main.ts');
    fs.appendFileSync(main, "process.stdout.write('edited\\n');\n");
    const later = new Date(first.builtAt + 5_000);
    fs.utimesSync(main, later, later);
    expect(run(dir)).toBe('out/cli/statepipe.mjs\nedited');
    expect(manifest(dir).builtAt).toBeGreaterThan(first.builtAt);
  });

  it('runs the source through tsx when the bundle cannot be built (no build script, as in an install without it)', () => {
    const dir = scratchPackage(false);
    expect(run(dir)).toBe('src/cli/main.ts');
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('runs the source when STATEPIPE_CLI_SOURCE=1, even with a current bundle', () => {
    const dir = scratchPackage(true);
    expect(run(dir)).toBe('out/cli/statepipe.mjs');
    const r = spawnSync(process.execPath, [path.join(dir, 'bin', 'statepipe.js')], {
      encoding: 'utf8',
      env: { ...process.env, STATEPIPE_CLI_SOURCE: '1' },
    });
    expect(r.stdout.trim()).toBe('src/cli/main.ts');
  });
});
