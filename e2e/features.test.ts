/**
 * What people expect from the tools they compare the studio with, by hand: the input schema
 * edited as fields (raw JSON a toggle away), an expression editor (completion of `input.*` and
 * `nodes.<upstream>.output.*`, problems inline, a live preview against the last run), and
 * testing one node with pinned inputs (kept with the draft, not in the graph file).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  clickNode,
  examplePath,
  exportedBytes,
  importFile,
  realErrors,
  shot,
  harness,
  typeInEditor,
  typeText,
  sel,
  VIEWPORTS,
} from './harness';

const h = harness();

const suggestions = (page: Page) =>
  page.locator('.monaco-editor .suggest-widget.visible .monaco-list-row').allTextContents();

/** Runs vendor-onboarding once (Acme) to its approval, and goes back to the editor. */
async function lastRun(page: Page): Promise<void> {
  await page.click(sel('run'));
  await typeText(page, 'run-input-vendor', 'Acme');
  await page.click(sel('run-submit'));
  await page.locator(`${sel('run-status')}[data-status="waiting"]`).waitFor({ timeout: 15_000 });
  await page.click(sel('run-back'));
}

describe('studio features', () => {
  it('edits the input schema as fields, with the raw JSON Schema one toggle away', async () => {
    const { page, errors } = await h.page();
    await page.click(sel('schema-add-field'));
    await typeText(page, 'schema-field-name-0', 'city');
    await page.keyboard.press('Enter');
    await page.selectOption(sel('schema-field-type-0'), 'string');
    await page.check(sel('schema-field-required-0'));
    await typeText(page, 'schema-field-desc-0', 'Where the vendor is');
    await page.click(sel('schema-add-field'));
    await typeText(page, 'schema-field-name-1', 'employees');
    await page.keyboard.press('Enter');
    await page.selectOption(sel('schema-field-type-1'), 'integer');
    await shot(page, 'input-schema-fields');
    await page.click(sel('schema-mode-json'));
    const raw = await page.locator(sel('graph-input-schema')).inputValue();
    expect(JSON.parse(raw)).toEqual({
      type: 'object',
      properties: { city: { type: 'string', description: 'Where the vendor is' }, employees: { type: 'integer' } },
      required: ['city'],
    });
    // Typed as JSON, then back to fields.
    await typeText(
      page,
      'graph-input-schema',
      '{"type": "object", "properties": {"city": {"type": "string"}, "vip": {"type": "boolean"}}}',
    );
    await page.click(sel('schema-mode-fields'));
    expect(await page.locator(sel('schema-field-name-1')).inputValue()).toBe('vip');
    expect(await page.locator(sel('schema-field-type-1')).inputValue()).toBe('boolean');
    expect(await page.locator(sel('schema-field-required-0')).isChecked()).toBe(false);
    await page.click(sel('palette-input'));
    expect(await exportedBytes(page)).toContain('"vip"');
    expect(realErrors(errors)).toEqual([]);
  });

  it('completes input.* and nodes.<upstream>.output.*, shows problems inline, previews against the last run', async () => {
    const { page, errors } = await h.page();
    await importFile(page, examplePath('vendor-onboarding'));
    await lastRun(page);
    await clickNode(page, 'approval');
    await typeInEditor(page, 'field-title', 'Approve {{input.');
    await expect.poll(() => suggestions(page)).toEqual(expect.arrayContaining([expect.stringContaining('vendor')]));
    expect((await suggestions(page)).join(' ')).toContain('country');
    await page.keyboard.type('ven');
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await expect.poll(() => page.locator(sel('field-title-preview')).textContent()).toContain('Approve Acme');
    await shot(page, 'expression-preview');
    // nodes. offers the nodes upstream of the approval, not the others.
    await page.keyboard.type(' ({{nodes.');
    await expect
      .poll(() => suggestions(page))
      .toEqual(expect.arrayContaining([expect.stringContaining('policy_screen')]));
    expect((await suggestions(page)).join(' ')).not.toContain('docs_collect');
    await page.keyboard.type('policy_screen.output.json.');
    await expect.poll(() => suggestions(page)).toEqual(expect.arrayContaining([expect.stringContaining('risk')]));
    await shot(page, 'expression-completion');
    await page.keyboard.type('risk');
    await page.keyboard.press('Escape');
    await page.keyboard.press('End');
    await expect.poll(() => page.locator(sel('field-title-preview')).textContent()).toContain('Approve Acme (high)');
    // A node that is not upstream, and a syntax error: underlined and listed.
    await typeInEditor(page, 'field-title', 'Approve {{nodes.docs_collect.output.text}} {{input.vendor +}}');
    await expect
      .poll(() => page.locator(sel('field-title-problems')).textContent())
      .toContain('docs_collect is not upstream of approval');
    expect(await page.locator(`${sel('field-title')} .squiggly-error`).count()).toBeGreaterThan(0);
    await shot(page, 'expression-problems');
    // A condition previews as a boolean against the last run.
    await clickNode(page, 'is_risky');
    await typeInEditor(page, 'field-expression', "nodes.policy_screen.output.json.risk = 'low'");
    await expect.poll(() => page.locator(sel('field-expression-preview')).textContent()).toContain('false');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);

  it("the last run is the document's: New forgets it; the Editor tab leads to the editor; at 1280×720 Run stays in the window", async () => {
    const { page, errors } = await h.page();
    page.on('dialog', (d) => void d.accept());
    await importFile(page, examplePath('vendor-onboarding'));
    await lastRun(page);
    // The narrow window: every toolbar button, Last run and Run among them, within it.
    await page.setViewportSize(VIEWPORTS.small);
    for (const id of ['last-run', 'run', 'new-graph', 'make-subgraph', 'toggle-side-panel']) {
      const box = (await page.locator(sel(id)).boundingBox())!;
      expect(box.x + box.width, id).toBeLessThanOrEqual(VIEWPORTS.small.width);
    }
    expect(await page.locator(sel('new-graph')).getAttribute('title')).toBe('New');
    await shot(page, 'toolbar-last-run');
    // Runs, then the Editor tab: the graph editor, not the run left open in it.
    await page.click(sel('last-run'));
    await page.locator(sel('run-toolbar')).waitFor();
    await page.click(sel('tab-runs'));
    await page.click(sel('tab-editor'));
    await page.locator(sel('toolbar-editor')).waitFor();
    expect(await page.locator(sel('run-toolbar')).count()).toBe(0);
    // A new graph has no last run: no button, no preview from the other graph's values.
    await page.click(sel('new-graph'));
    await page.locator(sel('toolbar-editor')).waitFor();
    expect(await page.locator(sel('last-run')).count()).toBe(0);
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);

  it('tests one node with pinned inputs (the last run, or typed by hand); pins stay with the draft, not the file', async () => {
    const { page, errors } = await h.page();
    page.on('dialog', (d) => void d.accept());
    await importFile(page, examplePath('vendor-onboarding'));
    await lastRun(page);
    await clickNode(page, 'final_decision');
    await page.click(sel('panel-tab-test'));
    await page.click(sel('test-use-last-run'));
    await expect.poll(() => page.locator(sel('pin-docs_collect')).inputValue()).toContain('Certificate');
    await expect.poll(() => page.locator(sel('pin-input')).inputValue()).toContain('Acme');
    // The approval is still waiting in that run: its output is typed by hand.
    await typeText(page, 'pin-approval', '{"approved": true, "by": "ana"}');
    const runs = (await h.server.service.list({ limit: 1000 })).length;
    await page.click(sel('test-run-node'));
    await page.locator(`${sel('node-test')} ${sel('inspector-status')}[data-status="succeeded"]`).waitFor();
    const output = await page.locator(`${sel('node-test')} ${sel('inspector-output')}`).textContent();
    expect(output).toContain('ana');
    expect(output).toContain('Certificate of incorporation');
    await shot(page, 'test-one-node');
    expect((await h.server.service.list({ limit: 1000 })).length).toBe(runs); // no run was made
    // Pins are kept with the draft (a reload keeps them), never in the graph file.
    await page.reload();
    await page.locator(`${sel('connection')}[data-state="open"]`).waitFor();
    await clickNode(page, 'final_decision');
    await page.click(sel('panel-tab-test'));
    expect(await page.locator(sel('pin-approval')).inputValue()).toContain('ana');
    expect(await exportedBytes(page)).not.toContain('ana');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);
});
