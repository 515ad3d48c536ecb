/**
 * Where new nodes land, read from the page as a person sees it: nodes added one after another by
 * clicking the palette each land in the visible canvas (not under the side panel, the minimap or
 * the zoom controls), none on another, each next to the one added before; pasted nodes land in
 * view beside the copied ones, clear of every card, the same after an undo, a second paste beside
 * the first, and in view even when the copied ones were scrolled out of it.
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

  /** The pasted card's box on screen: in the visible canvas, clear of the chrome and of every other card. */
  async function expectInViewAndClear(page: Page, id: string): Promise<void> {
    const canvas = await rect(page, sel('canvas'));
    const side = await rect(page, '.side-panel');
    const all = await cards(page);
    const added = all.find((b) => b.id === id);
    expect(added, `${id} drawn in view`).toBeDefined();
    expect(added!.x).toBeGreaterThanOrEqual(canvas.x);
    expect(added!.y).toBeGreaterThanOrEqual(canvas.y);
    expect(added!.y + added!.height).toBeLessThanOrEqual(canvas.y + canvas.height);
    expect(added!.x + added!.width, `${id} not under the side panel`).toBeLessThanOrEqual(side.x);
    for (const chrome of ['.react-flow__minimap', '.react-flow__controls'])
      expect(overlap(added!, { id: chrome, ...(await rect(page, chrome)) }), `${id} clear of ${chrome}`).toBe(false);
    for (const other of all) if (other.id !== id) expect(overlap(added!, other), `${id} on ${other.id}`).toBe(false);
  }

  /** Selects a node by a click on its card and copies it. */
  async function copyNode(page: Page, id: string): Promise<void> {
    await page.locator(`${sel('canvas')} .react-flow__pane`).click({ position: { x: 10, y: 10 } });
    await clickNode(page, id);
    await page.keyboard.press('Control+c');
  }

  it('paste: beside the copied node, clear of it, the same place after an undo; a second paste beside the first', async () => {
    const { page, errors } = await h.page();
    await page.click(sel('palette-llm'));
    await page.locator(sel('node-llm_1')).waitFor();
    const from = await position(page, 'llm_1');
    await copyNode(page, 'llm_1');
    await page.keyboard.press('Control+v');
    await page.locator(sel('node-llm_2')).waitFor();
    const first = await position(page, 'llm_2');
    // To its right, on its row, not on it.
    expect(first.y).toBe(from.y);
    expect(first.x).toBeGreaterThan(from.x);
    await expectInViewAndClear(page, 'llm_2');
    // Undone, pasted again: the same place, not one step further.
    await page.keyboard.press('Control+z');
    await page.locator(sel('node-llm_2')).waitFor({ state: 'detached' });
    await page.keyboard.press('Control+v');
    await page.locator(sel('node-llm_2')).waitFor();
    expect(await position(page, 'llm_2')).toEqual(first);
    // Pasted once more: beside the first paste (the next step on its row or, where the view ends
    // there, the one below it), in view, on no card.
    await page.keyboard.press('Control+v');
    await page.locator(sel('node-llm_3')).waitFor();
    const second = await position(page, 'llm_3');
    const step = first.x - from.x;
    const right = second.y === first.y && second.x === first.x + step;
    const below = second.x === first.x && second.y > first.y && second.y - first.y <= step;
    expect(right || below, JSON.stringify({ first, second })).toBe(true);
    await expectInViewAndClear(page, 'llm_3');
    await shot(page, 'paste-placement');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);

  it('paste with the copied nodes scrolled out of view: the copies land in view, clear of every card', async () => {
    const { page, errors } = await h.page();
    await page.click(sel('palette-llm'));
    await page.locator(sel('node-llm_1')).waitFor();
    await copyNode(page, 'llm_1');
    // The canvas dragged by hand until the copied card is far out of view.
    const pane = await rect(page, sel('canvas'));
    for (let i = 0; i < 2; i++) {
      await page.mouse.move(pane.x + pane.width - 60, pane.y + pane.height / 2);
      await page.mouse.down();
      await page.mouse.move(pane.x + 60, pane.y + pane.height / 2, { steps: 10 });
      await page.mouse.up();
    }
    await page.locator(`${sel('canvas')} .react-flow__node[data-id="llm_1"]`).waitFor({ state: 'detached' });
    // A card added where the view now is: the paste stays clear of it too.
    await page.click(sel('palette-transform'));
    await page.locator(sel('node-transform_1')).waitFor();
    await page.locator(`${sel('canvas')} .react-flow__pane`).click({ position: { x: 10, y: 10 } });
    await page.keyboard.press('Control+v');
    await page.locator(sel('node-llm_2')).waitFor({ timeout: 5_000 }); // drawn: in view
    await page.waitForTimeout(50); // measured
    await expectInViewAndClear(page, 'llm_2');
    await shot(page, 'paste-out-of-view');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);
});
