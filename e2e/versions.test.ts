/**
 * Drafts and versions, by hand: running unsaved edits adds no version (issue 18 defect 9) and
 * the run view saves such a run as a graph, the runs dashboard calls it a draft until its content
 * is saved; the version history lists every saved version,
 * compares two on the canvas and restores one.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { clickNode, examplePath, importFile, realErrors, shot, harness, typeInEditor, typeText, sel } from './harness';

const h = harness();

const version = (page: Page) => page.locator(sel('doc-version')).textContent();

async function openList(page: Page): Promise<string> {
  await page.click(sel('open-graph'));
  await page.locator(`${sel('open-list')}:not(:has-text("Loading"))`).waitFor();
  const text = (await page.locator(sel('open-list')).textContent()) ?? '';
  await page.keyboard.press('Escape');
  return text;
}

async function runAndWait(page: Page): Promise<void> {
  await page.click(sel('run'));
  await typeText(page, 'run-input-vendor', 'Acme');
  await page.click(sel('run-submit'));
  await page.locator(`${sel('run-status')}[data-status="waiting"]`).waitFor({ timeout: 15_000 });
}

describe('drafts and versions', () => {
  it('9: running unsaved edits adds no version and keeps the graph out of Open; the run view saves the run as a graph', async () => {
    const { page, errors } = await h.page();
    page.on('dialog', (d) => void d.accept());
    await importFile(page, examplePath('vendor-onboarding'));
    await runAndWait(page);
    expect(await page.locator(sel('run-graph-version')).textContent()).toBe('unsaved draft');
    // The title may be cut with an ellipsis on a narrow window: all of it is in its tooltip.
    expect(await page.locator('.run-title').getAttribute('title')).toMatch(
      /^Run run_\S+ of Vendor onboarding review \(unsaved draft\)$/,
    );
    await page.locator(sel('run-draft')).waitFor();
    await shot(page, 'draft-run');
    await page.click(sel('run-back'));
    expect(await openList(page)).toContain('No saved graphs yet');
    // The run keeps its snapshot: saved from the run view, it becomes the graph's first version.
    await page.click(sel('last-run'));
    await page.click(sel('run-save-graph'));
    await page.locator(sel('save-as-dialog')).waitFor();
    expect(await page.locator(sel('save-as-name')).inputValue()).toBe('Vendor onboarding review');
    expect(await page.locator(sel('save-as-id')).inputValue()).toBe('vendor-onboarding');
    await page.keyboard.press('Enter');
    await expect.poll(() => version(page)).toContain('vendor-onboarding · v1');
    // Edited and run again: still version 1 in Open.
    await page.click(sel('palette-delay'));
    await runAndWait(page);
    await page.click(sel('run-back'));
    await page.click(sel('open-graph'));
    expect(await page.locator(sel('open-version-vendor-onboarding')).textContent()).toBe('v1');
    await page.keyboard.press('Escape');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);

  it('the runs dashboard says "draft" for a run of unsaved edits, not a version it never had; saved, its version', async () => {
    const { page, errors } = await h.page();
    page.on('dialog', (d) => void d.accept());
    // A graph no other test here saves (a run of saved content is a run of that version).
    await importFile(page, examplePath('document-pipeline'));
    await page.click(sel('run'));
    await typeText(page, 'run-input-text', 'Alice runs ProjectX');
    await page.keyboard.press('Control+Enter');
    await page.locator(`${sel('run-status')}[data-status="succeeded"]`).waitFor({ timeout: 20_000 });
    const runId = (await h.server.service.list({ graphId: 'document-pipeline', limit: 1 }))[0]!.runId;
    await page.click(sel('tab-runs'));
    const row = page.locator(sel(`run-row-${runId}`));
    await row.waitFor();
    expect(await row.textContent(), 'no version number for a draft').not.toMatch(/\bv1\b/);
    const cell = page.locator(sel(`run-version-${runId}`));
    expect(await cell.textContent()).toBe('draft');
    await shot(page, 'runs-draft-row');
    // Its content saved (from the editor, as it is): that is version 1 now, and the row says so.
    await page.click(sel('tab-editor'));
    await page.click(sel('save'));
    await page.locator(sel('save-as-dialog')).waitFor();
    await page.keyboard.press('Enter');
    await expect.poll(() => version(page)).toContain('document-pipeline · v1');
    await page.click(sel('tab-runs'));
    await expect.poll(() => cell.textContent()).toBe('v1');
    expect(await cell.getAttribute('data-draft')).toBeNull();
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);

  it('the version history: every saved version, two compared on the canvas, one restored', async () => {
    const { page, errors } = await h.page();
    page.on('dialog', (d) => void d.accept());
    await importFile(page, examplePath('vendor-onboarding'));
    await page.click(sel('save'));
    await typeText(page, 'save-as-name', 'Vendors');
    await typeText(page, 'save-as-id', 'vendors');
    await page.keyboard.press('Enter');
    await expect.poll(() => version(page)).toContain('vendors · v1');
    // v2: the screening prompt changed, a delay added.
    await clickNode(page, 'policy_screen');
    await typeInEditor(page, 'field-prompt', 'Screen {{input.vendor}} strictly.');
    await page.waitForTimeout(900);
    await page.click(sel('palette-delay'));
    await page.click(sel('save'));
    await expect.poll(() => version(page)).toContain('vendors · v2');
    // v3: the delay removed, a transform added.
    await clickNode(page, 'delay_1');
    await page.keyboard.press('Delete');
    await page.click(sel('palette-transform'));
    await page.click(sel('save'));
    await expect.poll(() => version(page)).toContain('vendors · v3');

    await page.click(sel('open-history'));
    await page.locator(sel('versions-table')).waitFor();
    await expect.poll(() => page.locator(`${sel('versions-table')} tbody tr`).count()).toBe(3);
    const diff = page.locator(sel('version-diff'));
    const mark = (id: string) =>
      page.locator(`${sel('version-diff-canvas')} ${sel(`node-${id}`)}`).getAttribute('data-diff');
    // The two newest first: v2 → v3.
    await expect.poll(() => mark('delay_1')).toBe('only-a');
    expect(await mark('transform_1')).toBe('only-b');
    expect(await mark('policy_screen')).toBe('same');
    // v1 → v3.
    await page.uncheck(sel('version-pick-2'));
    await page.check(sel('version-pick-1'));
    await expect.poll(() => diff.getAttribute('data-changed')).toBe('policy_screen transform_1');
    expect(await mark('policy_screen')).toBe('changed');
    expect(await mark('start')).toBe('same');
    await page.click(sel('version-diff-node-policy_screen'));
    expect(await page.locator(sel('version-diff-entries')).textContent()).toContain('strictly');
    await shot(page, 'version-history-diff');
    // Restore v1: it is the latest again, and the editor shows it.
    await page.click(sel('version-restore-1'));
    await expect.poll(() => version(page)).toContain('vendors · v1');
    await page.locator(`${sel('canvas')} ${sel('node-docs_collect')}`).waitFor();
    await page.click(sel('open-history'));
    await expect.poll(() => page.locator(`${sel('version-1')} ${sel('version-latest')}`).count()).toBe(1);
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);
});
