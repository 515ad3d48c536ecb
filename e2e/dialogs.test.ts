/**
 * Dialogs hold the keyboard while they are open, as a person expects of a modal: Tab from the last
 * control goes to the first, Shift+Tab from the first to the last, never into the page behind;
 * Escape closes the dialog and focus is back on the control that opened it. Checked on the Run
 * input dialog, the Open dialog (Ctrl+O) and an approval's dialog.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { serializeGraph } from '../src/core/graph/serialize';
import { example, examplePath, harness, importFile, realErrors, sel, shot } from './harness';

const h = harness();

/** The focused element (its data-testid, or tag and label) and whether it is inside the dialog. */
const focus = (page: Page, dialog: string) =>
  page.evaluate((d) => {
    const el = document.activeElement as HTMLElement | null;
    const box = document.querySelector(`[data-testid="${d}"]`);
    const name =
      el?.getAttribute('data-testid') ??
      `${el?.tagName.toLowerCase()}:${el?.getAttribute('aria-label') ?? el?.textContent?.trim().slice(0, 20)}`;
    return { name, inside: !!el && !!box && box.contains(el) };
  }, dialog);

/** Presses `key` `times` times; every stop must be inside the dialog. Returns the stops in order. */
async function cycle(page: Page, dialog: string, key: 'Tab' | 'Shift+Tab', times: number): Promise<string[]> {
  const stops: string[] = [];
  for (let i = 0; i < times; i++) {
    await page.keyboard.press(key);
    const f = await focus(page, dialog);
    expect(f.inside, `${key} #${i + 1} left ${dialog} for ${f.name} (after ${stops.join(', ')})`).toBe(true);
    stops.push(f.name);
  }
  return stops;
}

/** Tab and Shift+Tab go round the dialog's controls (each comes back), Escape closes it, focus is back on `opener`. */
async function holdsFocus(page: Page, dialog: string, opener: string): Promise<void> {
  const forward = await cycle(page, dialog, 'Tab', 14);
  expect(new Set(forward).size, 'Tab came round to a control it had passed').toBeLessThan(forward.length);
  const back = await cycle(page, dialog, 'Shift+Tab', 14);
  expect(new Set(back).size).toBeLessThan(back.length);
  // Shift+Tab visits the same controls as Tab, the other way round.
  expect([...new Set(back)].sort()).toEqual([...new Set(forward)].sort());
  await page.keyboard.press('Escape');
  await page.locator(sel(dialog)).waitFor({ state: 'detached' });
  expect((await focus(page, dialog)).name, 'focus is back on what opened the dialog').toBe(opener);
}

describe('dialogs hold the keyboard', () => {
  it('Run input, Open and an approval: Tab and Shift+Tab cycle inside, Escape closes, focus returns', async () => {
    const saved = example('document-pipeline');
    await h.server.service.store.saveGraph(saved, serializeGraph(saved));
    const { page, errors } = await h.page();
    page.on('dialog', (d) => void d.accept());
    await importFile(page, examplePath('vendor-onboarding'));

    // Run: the input form, Cancel, Run, the close button, nothing else.
    await page.locator(sel('run')).focus();
    await page.keyboard.press('Enter');
    await page.locator(sel('run-input-dialog')).waitFor();
    await holdsFocus(page, 'run-input-dialog', 'run');

    // Open (Ctrl+O from Run): the filter, the graphs, the buttons.
    await page.keyboard.press('Control+o');
    await page.locator(sel('open-document-pipeline')).waitFor();
    await holdsFocus(page, 'open-dialog', 'run');

    // An approval, opened from its card with the keyboard.
    await page.keyboard.press('Enter');
    await page.locator(sel('run-input-vendor')).waitFor();
    await page.keyboard.type('Acme');
    await page.keyboard.press('Control+Enter');
    await page.locator(`${sel('run-status')}[data-status="waiting"]`).waitFor({ timeout: 15_000 });
    await page.locator(sel('approve-approval')).focus();
    await page.keyboard.press('Enter');
    await page.locator(sel('approval-dialog')).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await shot(page, 'dialog-focus-cycles');
    await holdsFocus(page, 'approval-dialog', 'approve-approval');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);
});
