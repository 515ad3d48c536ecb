/**
 * A tour of the studio's flows for review, saved to e2e/artifacts/ at 1440×900 and 1280×720
 * (`<flow>-<width>x<height>.png`), light, plus the editor and a run in the dark theme. Each stop
 * waits for what it shows, so a shot that does not show its flow fails here.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  clickNode,
  CODE_FAILS,
  examplePath,
  importFile,
  realErrors,
  shot,
  harness,
  typeInEditor,
  typeText,
  VIEWPORTS,
  sel,
} from './harness';

const h = harness();

const settle = (page: Page) => page.waitForTimeout(350);

async function runVendor(page: Page, vendor: string): Promise<void> {
  await page.click(sel('run'));
  await typeText(page, 'run-input-vendor', vendor);
  await page.click(sel('run-submit'));
  await page.locator(`${sel('run-status')}[data-status="waiting"]`).waitFor({ timeout: 15_000 });
}

describe('screenshots', () => {
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    it(`every fixed flow at ${viewport.width}×${viewport.height}`, async () => {
      const { page, errors } = await h.page({ viewport });
      page.on('dialog', (d) => void d.accept());
      const id = `tour-${size}`;
      await importFile(page, examplePath('vendor-onboarding'));
      await shot(page, 'editor');
      // The first save asks for a name.
      await page.click(sel('save'));
      await typeText(page, 'save-as-name', `Vendors ${size}`);
      await typeText(page, 'save-as-id', `vendors-${size}`);
      await shot(page, 'save-dialog');
      await page.keyboard.press('Enter');
      await page.locator(sel('save-as-dialog')).waitFor({ state: 'detached' });
      // The input schema as fields.
      await page.locator(sel('schema-fields')).scrollIntoViewIfNeeded();
      await shot(page, 'input-schema-fields');
      // The expression editor on a node.
      await clickNode(page, 'policy_screen');
      await page.locator(`${sel('field-prompt')}[data-ready="true"]`).waitFor();
      await settle(page);
      await shot(page, 'editor-node-panel');
      // The run form marks an optional field read with no fallback.
      await typeInEditor(page, 'field-prompt', 'Screen {{input.vendor}} from {{input.country');
      await page.keyboard.press('End');
      await page.locator(sel('field-prompt-problems')).waitFor();
      await shot(page, 'expression-warning');
      await page.click(sel('run'));
      await page.locator(sel('run-input-warn-country')).waitFor();
      await shot(page, 'run-form');
      await page.keyboard.press('Escape');
      await page.click(sel('undo'));
      await page.click(sel('save'));
      // A run waiting for a person: the live canvas, approval from the side panel.
      await runVendor(page, 'Acme');
      await page.locator(`${sel('run-view')} ${sel('node-approval')} .sp-label`).click();
      await page.locator(sel('inspector-approve')).waitFor();
      await shot(page, 'run-view-waiting');
      // Time travel moves every tab.
      for (let i = 0; i < 12; i++) await page.click(sel('time-travel-prev'));
      await page.click(sel('rd-tab-trace'));
      await settle(page);
      await shot(page, 'run-view-time-travel');
      await page.click(sel('time-travel-live'));
      await page.click(sel('rd-tab-node'));
      // Rejected: told apart from a crash.
      await page.click(sel('inspector-reject'));
      await page.keyboard.type('missing the security questionnaire');
      await page.click(sel('approval-submit'));
      await page.locator(sel('run-rejected')).waitFor();
      await shot(page, 'run-rejected');
      // The timeline of the finished run.
      await page.click(sel('rd-tab-timeline'));
      await settle(page);
      await shot(page, 'run-view-timeline');
      // A code node's failure: what it received, the line that threw.
      await page.click(sel('run-back'));
      const file = join(h.dir, `${id}-code.json`);
      writeFileSync(file, JSON.stringify(CODE_FAILS));
      await importFile(page, file);
      await page.click(sel('run'));
      await page.locator(`${sel('run-status')}[data-status="failed"]`).waitFor({ timeout: 15_000 });
      await page.locator(`${sel('run-view')} ${sel('node-calc')} .sp-label`).click();
      await page.locator(`${sel('inspector-error')}`).waitFor();
      await shot(page, 'code-failure');
      // Testing one node alone.
      await page.click(sel('run-back'));
      await clickNode(page, 'calc');
      await page.click(sel('panel-tab-test'));
      await page.click(sel('test-use-last-run'));
      await typeText(page, 'pin-prep', '{"n": 50}');
      await page.click(sel('test-run-node'));
      await page.locator(`${sel('node-test')} ${sel('inspector-status')}[data-status="succeeded"]`).waitFor();
      await shot(page, 'node-test');
      // Versions: two saved versions compared on the canvas.
      await page.click(sel('open-graph'));
      await page.click(sel(`open-vendors-${size}`));
      await clickNode(page, 'docs_collect');
      await typeText(page, 'field-label', 'Collect the documents');
      await page.click(sel('palette-delay'));
      await page.click(sel('save'));
      await expect.poll(() => page.locator(sel('doc-version')).textContent()).toContain('v2');
      await page.click(sel('open-history'));
      await page.locator(sel('version-diff-canvas')).waitFor();
      await settle(page);
      await shot(page, 'version-history');
      await page.click(sel('history-back'));
      // Panels folded (1280×720 is narrow).
      await page.click(sel('toggle-palette'));
      await page.click(`${sel('toolbar-editor')} ${sel('toggle-side-panel')}`);
      await shot(page, 'editor-panels-folded');
      await page.click(sel('toggle-palette'));
      await page.click(`${sel('toolbar-editor')} ${sel('toggle-side-panel')}`);
      // The runs table, a run opened from it, settings.
      await page.click(sel('tab-runs'));
      await page
        .locator(`${sel('runs-table')} [data-testid^="run-row-"]`)
        .first()
        .waitFor();
      await shot(page, 'dashboard');
      await page
        .locator(`${sel('runs-table')} [data-testid^="run-row-"]`)
        .first()
        .click();
      await page.locator(`${sel('run-view')}:not([data-loading])`).waitFor();
      await settle(page);
      await shot(page, 'run-from-table');
      await page.click(sel('tab-settings'));
      await page.locator(sel('db-path')).filter({ hasText: 'studio.db' }).waitFor();
      await shot(page, 'settings');
      expect(realErrors(errors)).toEqual([]);
    }, 120_000);
  }

  it('the editor and a run in the dark theme', async () => {
    const { page, errors } = await h.page({ theme: 'dark' });
    await importFile(page, examplePath('vendor-onboarding'));
    await clickNode(page, 'policy_screen');
    await page.locator(`${sel('field-prompt')}[data-ready="true"]`).waitFor();
    await settle(page);
    await shot(page, 'dark-editor');
    await runVendor(page, 'Acme');
    await page.locator(`${sel('run-view')} ${sel('node-approval')} .sp-label`).click();
    await settle(page);
    await shot(page, 'dark-run-view');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);
});
