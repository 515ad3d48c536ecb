/**
 * The keyboard, as a person uses it: Tab to Import (its focus shows, it is a button, Enter and
 * Space open the file chooser); the run input dialog (its first field has focus, Ctrl+Enter runs,
 * Escape cancels, focus goes back to Run); the Open dialog's filter (the arrows highlight a
 * graph, Enter opens it or the only match).
 */
import type { FileChooser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { serializeGraph } from '../src/core/graph/serialize';
import { axeViolations, example, examplePath, importFile, realErrors, shot, harness, sel } from './harness';

const h = harness();

/** The focused element: its data-testid, tag, and how its focus shows. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return null;
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return {
      testId: el.getAttribute('data-testid'),
      tag: el.tagName.toLowerCase(),
      focusVisible: el.matches(':focus-visible'),
      outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0 ? cs.outlineStyle : null,
      boxShadow: cs.boxShadow === 'none' ? null : cs.boxShadow,
      width: r.width,
      height: r.height,
    };
  });

/** Presses Tab from the top of the page until one of `testIds` has focus (or gives up). */
async function tabTo(page: Page, testIds: string[], max = 40): Promise<string[]> {
  const passed: string[] = [];
  await page.locator('body').click({ position: { x: 700, y: 5 } });
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    passed.push(f?.testId ?? f?.tag ?? 'body');
    if (f?.testId && testIds.includes(f.testId)) return passed;
  }
  throw new Error(`Tab never reached ${testIds.join(' or ')}; it passed ${passed.join(', ')}`);
}

const doc = (page: Page) => page.locator(sel('doc-version')).textContent();

describe('the keyboard', () => {
  it('Tab reaches Import, a button whose focus shows like Export; Enter and Space open the file chooser', async () => {
    const { page, errors } = await h.page();
    // Playwright takes over the file chooser once something listens for it (set up ahead: the
    // take-over is asynchronous, and a chooser opened before it is the browser's, unseen here).
    const choosers: FileChooser[] = [];
    page.on('filechooser', (c) => choosers.push(c));
    // Either Import control: the button, or the file input it used to be (its focus did not show).
    const passed = await tabTo(page, ['import-graph-button', 'import-graph']);
    expect(passed.at(-2), 'Import follows the file buttons').toBe('save-as');
    const f = (await focused(page))!;
    expect(f.tag).toBe('button');
    expect(f.testId).toBe('import-graph-button');
    expect(f.focusVisible).toBe(true);
    expect(f.outline ?? f.boxShadow, 'Import shows where focus is').not.toBeNull();
    // What shows the ring is the control a person sees, not a 1-pixel hidden input.
    expect(f.width).toBeGreaterThan(20);
    expect(f.height).toBeGreaterThan(20);
    await shot(page, 'keyboard-import-focus');
    // The same ring as Export, one Tab further.
    await page.keyboard.press('Tab');
    const exp = (await focused(page))!;
    expect(exp.testId).toBe('export-graph');
    expect([exp.outline, exp.boxShadow]).toEqual([f.outline, f.boxShadow]);
    await page.keyboard.press('Shift+Tab');
    // Announced as a button named Import.
    expect(
      await page.getByRole('button', { name: 'Import', exact: true }).evaluate((el) => el === document.activeElement),
    ).toBe(true);
    // Space opens the file chooser: a graph is imported; then Enter does too (focus stays on Import).
    page.on('dialog', (d) => void d.accept()); // discard the first import's unsaved document
    await page.keyboard.press('Space');
    await expect.poll(() => choosers.length).toBe(1);
    await choosers[0]!.setFiles(examplePath('document-pipeline'));
    await page.locator(sel('node-extract')).waitFor();
    expect((await focused(page))?.testId).toBe('import-graph-button');
    await page.keyboard.press('Enter');
    await expect.poll(() => choosers.length).toBe(2);
    await choosers[1]!.setFiles(examplePath('vendor-onboarding'));
    await page.locator(sel('node-approval')).waitFor();
    expect(realErrors(errors)).toEqual([]);
  });

  it('the run input dialog: its first field has focus, Escape cancels back to Run, Ctrl+Enter runs', async () => {
    const { page, errors } = await h.page();
    await importFile(page, examplePath('vendor-onboarding'));
    await page.click(sel('run'));
    await page.locator(sel('run-input-dialog')).waitFor();
    expect((await focused(page))?.testId, 'the first field has focus').toBe('run-input-vendor');
    expect(await page.locator(sel('run-input-hint')).textContent()).toContain('Ctrl+Enter');
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.type('Nobody');
    // Escape cancels: no run, and focus is back on Run.
    await page.keyboard.press('Escape');
    await page.locator(sel('run-input-dialog')).waitFor({ state: 'detached' });
    expect((await focused(page))?.testId, 'focus is back on Run').toBe('run');
    // Enter on Run opens the dialog again; typed, Ctrl+Enter runs.
    await page.keyboard.press('Enter');
    await page.locator(sel('run-input-dialog')).waitFor();
    expect((await focused(page))?.testId).toBe('run-input-vendor');
    await page.keyboard.type('Acme');
    await page.keyboard.press('Control+Enter');
    await page.locator(`${sel('run-status')}[data-status="waiting"]`).waitFor({ timeout: 15_000 });
    const runs = await h.server.service.list({ graphId: 'vendor-onboarding', limit: 10 });
    expect(runs).toHaveLength(1);
    expect((await h.server.service.inspect(runs[0]!.runId)).input).toEqual({ vendor: 'Acme' });
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);

  it('the run input dialog: Enter is a new line in a text field, Ctrl+Enter runs with it', async () => {
    const { page, errors } = await h.page();
    await importFile(page, examplePath('document-pipeline'));
    await page.click(sel('run'));
    await page.locator(sel('run-input-dialog')).waitFor();
    expect((await focused(page))?.testId).toBe('run-input-text');
    await page.keyboard.type('Alice runs ProjectX');
    await page.keyboard.press('Enter');
    await page.keyboard.type('in Berlin');
    expect(await page.locator(sel('run-input-dialog')).count(), 'Enter alone does not run').toBe(1);
    await page.keyboard.press('Control+Enter');
    await page.locator(`${sel('run-status')}[data-status="succeeded"]`).waitFor({ timeout: 20_000 });
    const runs = await h.server.service.list({ graphId: 'document-pipeline', limit: 10 });
    expect((await h.server.service.inspect(runs[0]!.runId)).input).toEqual({ text: 'Alice runs ProjectX\nin Berlin' });
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);

  it('Open (Ctrl+O): the arrows highlight a graph, Enter opens it; Enter opens the only match', async () => {
    for (const id of ['vendor-onboarding', 'document-pipeline']) {
      const g = example(id);
      await h.server.service.store.saveGraph(g, serializeGraph(g));
    }
    const { page, errors } = await h.page();
    page.on('dialog', (d) => void d.accept());
    const filter = page.getByLabel('Filter graphs');
    // A filter that leaves one graph, ArrowDown, Enter: that graph opens.
    await page.keyboard.press('Control+o');
    await page.locator(sel('open-vendor-onboarding')).waitFor();
    expect(await filter.evaluate((el) => el === document.activeElement), 'the filter has focus').toBe(true);
    await page.keyboard.type('vendor');
    await page.locator(sel('open-document-pipeline')).waitFor({ state: 'detached' });
    await page.keyboard.press('ArrowDown');
    expect(await filter.getAttribute('aria-activedescendant')).toBe('open-option-vendor-onboarding');
    expect(await page.locator(sel('open-vendor-onboarding')).getAttribute('aria-selected')).toBe('true');
    await shot(page, 'keyboard-open-highlight');
    expect(await axeViolations(page), 'the combobox and its list pass axe').toEqual([]);
    await page.keyboard.press('Enter');
    await page.locator(sel('open-dialog')).waitFor({ state: 'detached' });
    await expect.poll(() => doc(page)).toContain('vendor-onboarding · v1');
    // No filter: ArrowDown three times highlights the second row (it stops at the last); ArrowUp goes back
    // up. The arrows reach the other graph, Enter opens it.
    await page.keyboard.press('Control+o');
    await page.locator(sel('open-document-pipeline')).waitFor();
    const order = await page
      .locator(`${sel('open-list')} [role="option"]`)
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect([...order].sort()).toEqual(['open-document-pipeline', 'open-vendor-onboarding']);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await filter.getAttribute('aria-activedescendant')).toBe(`open-option-${order[1]!.slice('open-'.length)}`);
    if (order[0] === 'open-document-pipeline') await page.keyboard.press('ArrowUp');
    expect(await filter.getAttribute('aria-activedescendant')).toBe('open-option-document-pipeline');
    await page.keyboard.press('Enter');
    await expect.poll(() => doc(page)).toContain('document-pipeline · v1');
    // The only match, nothing highlighted: Enter opens it.
    await page.keyboard.press('Control+o');
    await page.locator(sel('open-document-pipeline')).waitFor();
    await page.keyboard.type('onboard');
    await page.locator(sel('open-document-pipeline')).waitFor({ state: 'detached' });
    expect(await filter.getAttribute('aria-activedescendant')).toBeNull();
    await page.keyboard.press('Enter');
    await expect.poll(() => doc(page)).toContain('vendor-onboarding · v1');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);
});
