/**
 * The keyboard, as a person uses it: Tab to Import (its focus shows, it is a button, Enter and
 * Space open the file chooser).
 */
import type { FileChooser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { examplePath, realErrors, shot, harness, sel } from './harness';

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
});
