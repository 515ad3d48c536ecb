/**
 * Builds the renderer (electron-vite) when out/renderer is missing or older than its sources, and
 * brings the CLI bundle (out/cli) up to date once, before the tests start hundreds of CLI processes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (!e.name.endsWith('.test.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const built = join(root, 'out/renderer/index.html');
  const sources = Math.max(...['src/renderer', 'src/contract', 'src/core'].map((d) => newest(join(root, d))));
  if (!existsSync(built) || statSync(built).mtimeMs < sources) {
    console.log('e2e: building the renderer (electron-vite build)…');
    execFileSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  // bin/statepipe.js rebuilds out/cli when a source is newer than it (one build here, not one per test file).
  execFileSync(process.execPath, [join(root, 'bin/statepipe.js'), '--version'], { cwd: root, stdio: 'ignore' });
}
