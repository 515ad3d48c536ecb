/**
 * Installers (issue: production integrations): electron-builder cannot make an installer here
 * (it downloads Electron and platform tools), so this checks its configuration instead: the
 * targets per platform, the files, and the native module kept out of the asar archive.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expect, it } from 'vitest';
import { ROOT } from '../src/cli/cli-test-kit.js';

interface BuilderConfig {
  appId: string;
  files: string[];
  asar: boolean;
  asarUnpack: string[];
  npmRebuild: boolean;
  linux: { target: string[] };
  mac: { target: string[] };
  win: { target: string[] };
}

it('electron-builder.yml builds AppImage/deb, dmg and nsis with the native module unpacked', () => {
  const cfg = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
  expect(cfg.appId).toMatch(/^[a-z]+(\.[a-z0-9-]+)+$/);
  expect(cfg.linux.target).toEqual(['AppImage', 'deb']);
  expect(cfg.mac.target).toEqual(['dmg']);
  expect(cfg.win.target).toEqual(['nsis']);
  expect(cfg.files).toEqual(expect.arrayContaining(['out/**/*', 'package.json', 'native/electron-*/**/*']));
  expect(cfg.asar).toBe(true);
  expect(cfg.asarUnpack).toEqual(
    expect.arrayContaining(['node_modules/better-sqlite3/**/*', 'native/electron-*/**/*']),
  );
  expect(cfg.npmRebuild).toBe(false);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    main: string;
    scripts: Record<string, string>;
  };
  expect(pkg.scripts['dist']).toMatch(/electron-builder.*--config electron-builder\.yml/);
  expect(pkg.main.startsWith('out/')).toBe(true); // inside the packaged files
});
