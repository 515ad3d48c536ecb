/** Screenshots of the shell and the editor in light and dark themes, saved to e2e/artifacts/ for review. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, examplePath, importFile, realErrors, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

describe('screenshots', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`shell and editor, ${theme}`, async () => {
      const { page, errors } = await h.page({ theme });
      expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe(theme);
      await page.screenshot({ path: join(ARTIFACTS, `shell-empty-${theme}.png`) });
      await importFile(page, examplePath('vendor-onboarding'));
      await page.screenshot({ path: join(ARTIFACTS, `editor-${theme}.png`) });
      await page.locator('[data-testid="node-policy_screen"] .sp-label').click();
      await page.locator('[data-testid="config-json"][data-ready="true"]').waitFor();
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(ARTIFACTS, `editor-panel-${theme}.png`) });
      await page.click('[data-testid="tab-settings"]');
      await page.locator('[data-testid="db-path"]').filter({ hasText: 'studio.db' }).waitFor();
      await page.screenshot({ path: join(ARTIFACTS, `settings-${theme}.png`) });
      expect(realErrors(errors)).toEqual([]);
    });
  }
});
