/**
 * One token count, wherever a person reads it (Chromium against `statepipe serve`): while a model
 * streams, the run's header, the run summary beside the canvas, the trace's run row, the streaming
 * node's inspector and its card all show the same live count (`≈` while it is estimated from the stream's text), and
 * the same settled count once the run ends.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { harness, importFile, realErrors, sel, shot } from './harness';

const h = harness();

const runStatus = (page: Page, status: string, timeout = 30_000) =>
  page.locator(`${sel('run-status')}[data-status="${status}"]`).waitFor({ timeout });

/** start → a (a slow stream of a long reply) → out. */
const graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'one-count',
  nodes: [
    { id: 'start', type: 'input', position: { x: 0, y: 100 } },
    {
      id: 'a',
      type: 'llm',
      position: { x: 260, y: 100 },
      config: {
        provider: 'mock',
        model: 'mock-1',
        prompt: 'say a',
        mock: { reply: 'one two three four five six seven eight nine ten eleven twelve thirteen', tokensPerSecond: 4 },
      },
    },
    { id: 'out', type: 'output', position: { x: 520, y: 100 }, config: { value: '{{nodes.a.output.text}}' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'a' },
    { id: 'e2', source: 'a', target: 'out' },
  ],
};

/** Where a count is read: the header, the run summary's and the inspector's stats, the card's run line. */
const PLACES = {
  header: sel('run-meta'),
  summary: `${sel('run-summary')} .insp-stats`,
  inspector: `${sel('inspector')} .insp-stats`,
  card: `${sel('run-view')} ${sel('node-a')} .sp-run-meta`,
  traceRun: `${sel('trace')} details[data-testid^="trace-run-"] > summary .trace-meta`,
};

/** The count each place shows, as its text reads (the number and its `≈`), read in one go. */
const counts = (page: Page, places: (keyof typeof PLACES)[]) =>
  page.evaluate(
    (selectors) =>
      selectors.map((s) => {
        const el = document.querySelector(s);
        // The place's part that reads `N tok…` (a span of the stats, or the header itself).
        const parts = el ? (el.children.length ? [...el.children] : [el]) : [];
        const text = parts.map((p) => p.textContent ?? '').find((t) => /^(≈ )?[\d,]+ tok/.test(t));
        return text ? /^(≈ )?[\d,]+/.exec(text)![0] : `none in "${el?.textContent ?? ''}"`;
      }),
    places.map((p) => PLACES[p]),
  );

describe('token counts', () => {
  it('the header, the run summary, the trace, the inspector and the card count the same tokens while a model streams, and after', async () => {
    const { page, errors } = await h.page();
    const path = join(h.dir, 'one-count.json');
    writeFileSync(path, JSON.stringify(graph, null, 2));
    await importFile(page, path);
    await page.click(sel('run'));
    await page.locator(`${sel('run-view')} ${sel('node-a')}[data-status="running"]`).waitFor({ timeout: 15_000 });
    await page.locator(sel('run-summary')).waitFor();
    const header = () => page.locator(sel('run-meta')).getAttribute('data-tokens').then(Number);
    await expect.poll(header, { timeout: 10_000 }).toBeGreaterThan(0);

    // While it streams: the header and the summary, the same estimate, marked alike.
    const [h1, s1] = await counts(page, ['header', 'summary']);
    expect(h1).toMatch(/^≈ \d+$/);
    expect(s1).toBe(h1);
    await shot(page, 'tokens-streaming');
    // The trace's run row: the same count again.
    await page.click(sel('rd-tab-trace'));
    await page.locator(sel('trace')).waitFor();
    const [ht, tt] = await counts(page, ['header', 'traceRun']);
    expect(ht).toMatch(/^≈ \d+$/);
    expect(tt).toBe(ht);
    await shot(page, 'tokens-trace');

    // The streaming node: its inspector and its card count it as the header counts the run.
    await page.locator(`${sel('run-view')} ${sel('node-a')} .sp-label`).click();
    await page.locator(`${sel('inspector')}[data-node="a"]`).waitFor();
    const [h2, i2, c2] = await counts(page, ['header', 'inspector', 'card']);
    expect(h2).toMatch(/^≈ \d+$/);
    expect(i2).toBe(h2);
    expect(c2).toBe(h2);
    await shot(page, 'tokens-streaming-node');

    // Ended: the reply's reported count, the same everywhere, no longer estimated.
    await runStatus(page, 'succeeded');
    const [h3, i3, c3] = await counts(page, ['header', 'inspector', 'card']);
    expect(h3).toMatch(/^\d+$/);
    expect([i3, c3]).toEqual([h3, h3]);
    await page.locator(`${sel('run-view')} .react-flow__pane`).click({ position: { x: 10, y: 10 } });
    await page.locator(sel('run-summary')).waitFor();
    expect(await counts(page, ['summary'])).toEqual([h3]);
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);
});
