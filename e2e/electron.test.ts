/** The desktop app under Electron (playwright-core's _electron). Skipped where the binary is absent. */
import { existsSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness';

const hasElectron = existsSync(join(ROOT, 'node_modules/electron/dist'));
if (!hasElectron)
  console.warn('electron e2e skipped: the Electron binary is not installed (it cannot be downloaded here)');

describe.skipIf(!hasElectron)('desktop app (Electron)', () => {
  it('opens the studio window with the bridge and the editor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statepipe-electron-'));
    const app = await _electron.launch({
      args: ['.'],
      cwd: ROOT,
      env: { ...process.env, STATEPIPE_DB: join(dir, 'studio.db') } as Record<string, string>,
    });
    try {
      const page = await app.firstWindow();
      await page.locator('[data-testid="connection"][data-state="open"]').waitFor();
      expect(await page.evaluate(() => typeof (window as unknown as { statepipe?: unknown }).statepipe)).toBe('object');
      expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      await page.locator('[data-testid="palette-llm"]').waitFor();
      await page.click('[data-testid="tab-settings"]');
      await page.locator('[data-testid="db-path"]').waitFor();
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
