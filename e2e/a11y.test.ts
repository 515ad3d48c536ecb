/**
 * Accessibility: axe (@axe-core/playwright) over the editor, the run view live and finished,
 * the runs dashboard and settings, in the light and the dark theme: no critical and no serious
 * violation. And the keyboard: every control is reached with Tab, and shows where focus is.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  axeRules,
  axeViolations,
  clickNode,
  examplePath,
  importFile,
  realErrors,
  shot,
  harness,
  typeText,
  sel,
} from './harness';

const h = harness();

async function check(page: Page, where: string, found: Record<string, string[]>): Promise<void> {
  await page.waitForTimeout(300); // transitions settle (colors are measured)
  const v = await axeViolations(page);
  if (v.length) found[where] = v;
}

/** Presses Tab `presses` times from the top: each control reached, and whether its focus shows. */
async function tabThrough(page: Page, presses: number): Promise<Map<string, boolean>> {
  const seen = new Map<string, boolean>();
  await page.locator('body').click({ position: { x: 700, y: 5 } });
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const cs = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      // A ring on a 1-pixel hidden control (a file input behind its label) shows nothing (an
      // edge's SVG group may be flat: its focus shows on its path).
      const visible =
        el.matches(':focus-visible') === false ||
        ((el instanceof SVGElement || (r.width >= 4 && r.height >= 4)) &&
          ((cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) ||
            (cs.boxShadow !== 'none' && cs.boxShadow !== '')));
      const name =
        (el.classList.contains('react-flow__node') ? `card:${el.getAttribute('data-id')}` : null) ??
        el.getAttribute('data-testid') ??
        el.getAttribute('aria-label') ??
        el.tagName.toLowerCase();
      return { name, visible };
    });
    if (!f) continue;
    seen.set(f.name, (seen.get(f.name) ?? true) && f.visible);
  }
  return seen;
}

describe('accessibility', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`axe finds no critical or serious violation: the editor and a run, live and finished (${theme})`, async () => {
      const { page, errors } = await h.page({ theme });
      const found: Record<string, string[]> = {};
      await importFile(page, examplePath('vendor-onboarding'));
      await check(page, 'editor', found);
      await clickNode(page, 'policy_screen');
      await page.locator(`${sel('field-prompt')}[data-ready="true"]`).waitFor();
      await check(page, 'editor with a node', found);
      await page.click(sel('run'));
      await check(page, 'run input form', found);
      await typeText(page, 'run-input-vendor', 'Acme');
      await page.click(sel('run-submit'));
      await page.locator(`${sel('run-status')}[data-status="waiting"]`).waitFor({ timeout: 15_000 });
      await check(page, 'run view, live', found);
      // Headings go down one level at a time (the run's title, then its summary's sections).
      expect(await axeRules(page, ['heading-order'])).toEqual([]);
      await page.click(sel('approve-approval'));
      await check(page, 'approval dialog', found);
      await page.click(sel('approval-submit'));
      await page.locator(`${sel('run-status')}[data-status="succeeded"]`).waitFor({ timeout: 15_000 });
      await page.locator(`${sel('run-view')} ${sel('node-approval')} .sp-label`).click();
      await check(page, 'run view, finished, inspector', found);
      await page.click(sel('rd-tab-trace'));
      await check(page, 'run view, trace', found);
      expect(found).toEqual({});
      expect(realErrors(errors)).toEqual([]);
    }, 240_000);

    it(`axe finds no critical or serious violation: a run's timeline and logs, the dashboard, settings (${theme})`, async () => {
      const { page, errors } = await h.page({ theme });
      const found: Record<string, string[]> = {};
      await importFile(page, examplePath('document-pipeline'));
      await page.click(sel('run'));
      await typeText(page, 'run-input-text', 'Alice runs ProjectX in Berlin');
      await page.click(sel('run-submit'));
      await page.locator(`${sel('run-status')}[data-status="succeeded"]`).waitFor({ timeout: 20_000 });
      for (const tab of ['timeline', 'logs']) {
        await page.click(sel(`rd-tab-${tab}`));
        await check(page, `run view, ${tab}`, found);
      }
      await page.click(sel('tab-runs'));
      await page
        .locator(`${sel('runs-table')} [data-testid^="run-row-"]`)
        .first()
        .waitFor();
      await check(page, 'dashboard', found);
      await page.click(sel('tab-settings'));
      await page.locator(sel('db-path')).filter({ hasText: 'studio.db' }).waitFor();
      await check(page, 'settings', found);
      expect(found).toEqual({});
      expect(realErrors(errors)).toEqual([]);
    }, 240_000);
  }

  it('reaches every control of the editor with Tab, each showing where focus is; a node is added with the keyboard alone', async () => {
    const { page } = await h.page();
    await importFile(page, examplePath('document-pipeline'));
    const seen = await tabThrough(page, 160);
    const want = [
      'tab-editor',
      'tab-runs',
      'tab-settings',
      'theme-toggle',
      'new-graph',
      'open-graph',
      'save',
      'import-graph-button',
      'export-graph',
      'auto-layout',
      'toggle-palette',
      'run',
      'palette-llm',
      'palette-output',
      'card:extract',
      'graph-description',
    ];
    for (const w of want) expect([...seen.keys()], `${w} is reached with Tab`).toContain(w);
    const hidden = [...seen].filter(([, v]) => !v).map(([k]) => k);
    expect(hidden, 'controls whose focus does not show').toEqual([]);
    // Keyboard alone: focus the palette's Delay, press Enter: a delay node is on the canvas.
    await page.locator(sel('palette-delay')).focus();
    await page.keyboard.press('Enter');
    await page.locator(sel('node-delay_1')).waitFor();
    await page.keyboard.press('Tab');
    await shot(page, 'keyboard-focus');
  }, 60_000);

  it('reaches the controls of a run with Tab, each showing where focus is', async () => {
    const { page } = await h.page();
    await importFile(page, examplePath('vendor-onboarding'));
    await page.click(sel('run'));
    await typeText(page, 'run-input-vendor', 'Acme');
    await page.click(sel('run-submit'));
    await page.locator(`${sel('run-status')}[data-status="waiting"]`).waitFor({ timeout: 15_000 });
    const seen = await tabThrough(page, 140);
    for (const w of [
      'run-back',
      'pause',
      'cancel',
      'export-run-jsonl',
      'toggle-side-panel',
      'card:approval',
      'approve-approval',
      'reject-approval',
      'time-travel-prev',
      'time-travel',
      'rd-tab-node',
      'rd-tab-trace',
    ])
      expect([...seen.keys()], `${w} is reached with Tab`).toContain(w);
    expect([...seen].filter(([, v]) => !v).map(([k]) => k)).toEqual([]);
    // Keyboard alone: the approval decided from its card.
    await page.locator(sel('approve-approval')).focus();
    await page.keyboard.press('Enter');
    await page.locator(sel('approval-comment')).waitFor();
    await page.keyboard.type('by keyboard');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator(`${sel('run-status')}[data-status="succeeded"]`).waitFor({ timeout: 15_000 });
  }, 60_000);
});
