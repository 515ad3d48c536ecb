/**
 * Where new nodes land, read from the page as a person sees it: nodes added one after another by
 * clicking the palette each land in the visible canvas (not under the side panel, the minimap or
 * the zoom controls), none on another, each next to the one added before; pasted nodes land at
 * one offset from the copied ones, the same after an undo, and a second paste does not stack on
 * the first.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { clickNode, harness, realErrors, sel, shot, VIEWPORTS } from './harness';

const h = harness();

interface Box {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Every card's box on screen. */
const cards = (page: Page): Promise<Box[]> =>
  page.locator('.react-flow__node').evaluateAll((els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect();
      return { id: el.getAttribute('data-id') ?? '', x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );

/** A card's position on the canvas (its flow coordinates, from the transform React Flow gives it). */
const position = (page: Page, id: string) =>
  page.locator(`.react-flow__node[data-id="${id}"]`).evaluate((el) => {
    const m = /translate\((-?[\d.]+)px, ?(-?[\d.]+)px\)/.exec((el as HTMLElement).style.transform);
    return { x: Number(m?.[1]), y: Number(m?.[2]) };
  });

const rect = async (page: Page, selector: string) => (await page.locator(selector).boundingBox())!;
const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('where new nodes land', () => {
  for (const viewport of [VIEWPORTS.large, VIEWPORTS.small])
    it(`palette clicks at ${viewport.width}×${viewport.height}: in view, none on another, each beside the last`, async () => {
      const { page, errors } = await h.page({ viewport });
      const types = ['input', 'llm', 'transform', 'code', 'condition', 'http', 'approval', 'delay', 'agent', 'output'];
      const canvas = await rect(page, sel('canvas'));
      const side = await rect(page, '.side-panel');
      let previous: string | undefined;
      for (const [i, type] of types.entries()) {
        await page.click(sel(`palette-${type}`));
        await page.locator(sel(`node-${type}_1`)).waitFor();
        await page.waitForTimeout(50); // measured
        // The cards drawn (the canvas draws those in view: when the view is full it moves to the new one).
        const all = await cards(page);
        expect(all.length).toBeGreaterThan(Math.min(i, 5));
        const added = all.find((b) => b.id === `${type}_1`)!;
        // In the visible canvas: inside it, left of the side panel, clear of the minimap and the zoom controls.
        expect(added.x, `${type} inside the canvas`).toBeGreaterThanOrEqual(canvas.x);
        expect(added.y).toBeGreaterThanOrEqual(canvas.y);
        expect(added.y + added.height, `${type} above the canvas's bottom`).toBeLessThanOrEqual(
          canvas.y + canvas.height,
        );
        expect(added.x + added.width, `${type} not under the side panel`).toBeLessThanOrEqual(side.x);
        for (const chrome of ['.react-flow__minimap', '.react-flow__controls']) {
          const c = await rect(page, chrome);
          expect(overlap(added, { id: chrome, ...c }), `${type} clear of ${chrome}`).toBe(false);
        }
        for (const other of all)
          if (other.id !== added.id) expect(overlap(added, other), `${type}_1 on ${other.id}`).toBe(false);
        // Next to the one added before (a card's width or height away at most, and not on it).
        if (previous) {
          const before = all.find((b) => b.id === previous);
          expect(before, `${previous} still in view`).toBeDefined();
          const dx = Math.abs(added.x - before!.x);
          const dy = Math.abs(added.y - before!.y);
          expect(dx + dy, `${type} beside ${previous}`).toBeLessThan(2 * (before!.width + before!.height));
        }
        previous = added.id;
      }
      await shot(page, 'palette-placement');
      expect(realErrors(errors)).toEqual([]);
    }, 60_000);

  it('paste: one offset from the copied node, the same after an undo; a second paste beside the first', async () => {
    const { page, errors } = await h.page();
    await page.click(sel('palette-llm'));
    await page.locator(sel('node-llm_1')).waitFor();
    const from = await position(page, 'llm_1');
    await clickNode(page, 'llm_1');
    await page.locator(`${sel('canvas')} .react-flow__pane`).click({ position: { x: 10, y: 10 } });
    await clickNode(page, 'llm_1');
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await page.locator(sel('node-llm_2')).waitFor();
    const first = await position(page, 'llm_2');
    const offset = { x: first.x - from.x, y: first.y - from.y };
    expect(offset.x).toBeGreaterThan(0);
    expect(offset.y).toBeGreaterThan(0);
    // Undone, pasted again: the same place, not one step further.
    await page.keyboard.press('Control+z');
    await page.locator(sel('node-llm_2')).waitFor({ state: 'detached' });
    await page.keyboard.press('Control+v');
    await page.locator(sel('node-llm_2')).waitFor();
    expect(await position(page, 'llm_2')).toEqual(first);
    // Pasted once more: beside the first paste (the same step again), not on it.
    await page.keyboard.press('Control+v');
    await page.locator(sel('node-llm_3')).waitFor();
    expect(await position(page, 'llm_3')).toEqual({ x: first.x + offset.x, y: first.y + offset.y });
    await shot(page, 'paste-placement');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);
});
