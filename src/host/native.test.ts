import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { electronBindingPath, resolveNativeBinding } from './native.js';

describe('better-sqlite3 native binding per runtime', () => {
  const root = mkdtempSync(join(tmpdir(), 'statepipe-native-'));
  const electron = { ...process.versions, electron: '41.0.0', modules: '145' } as NodeJS.ProcessVersions;

  it('Node uses the build in node_modules', () => {
    expect(resolveNativeBinding(root)).toBeUndefined();
  });

  it('Electron uses the build for its ABI in native/, and says how to make it when missing', () => {
    expect(() => resolveNativeBinding(root, electron)).toThrow(
      /no build for Electron \(ABI 145\).*npm run rebuild:electron/,
    );
    const file = electronBindingPath(root, '145');
    expect(file).toBe(join(root, 'native', 'electron-145', 'better_sqlite3.node'));
    mkdirSync(join(root, 'native', 'electron-145'), { recursive: true });
    writeFileSync(file, '');
    expect(resolveNativeBinding(root, electron)).toBe(file);
  });
});
