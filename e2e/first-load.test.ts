/**
 * The studio's first load carries the editor alone: the JavaScript parsed before the editor is
 * interactive stays within 800 kB; Monaco loads when a code/JSON field first opens, elk when
 * Layout is first used. (Bytes, not time: `npm run bench` times the load next to a blank page.)
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { clickNode, examplePath, importFile, harness } from './harness';

const h = harness();

/** Scripts loaded so far: [file name, bytes, loaded at (ms since navigation)]. */
const scripts = (page: Page) =>
  page.evaluate(() =>
    (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((r) => /\.js(\?|$)/.test(r.name))
      .map((r) => [r.name.split('/').pop()!.split('?')[0]!, r.decodedBodySize, r.responseEnd] as const),
  );

describe('first load', () => {
  it('parses ≤ 800 kB of JavaScript before the editor is interactive; Monaco and elk load when first used', async () => {
    const { page } = await h.page();
    const tti = await page
      .waitForFunction(() => performance.getEntriesByName('statepipe:interactive')[0]?.startTime)
      .then((x) => x.jsonValue() as Promise<number>);
    const before = (await scripts(page)).filter(([, , at]) => at <= tti);
    const bytes = before.reduce((s, [, b]) => s + b, 0);
    expect(bytes, before.map(([n, b]) => `${n} ${b}`).join(', ')).toBeLessThanOrEqual(800_000);
    expect(bytes).toBeGreaterThan(100_000); // the measure sees the bundle at all
    await page.waitForTimeout(1500); // the validator loads after the first paint
    const idle = (await scripts(page)).map(([n]) => n);
    expect(idle.some((n) => n.startsWith('editor.api'))).toBe(false);
    expect(idle.some((n) => n.startsWith('elk'))).toBe(false);
    expect(idle.some((n) => n.startsWith('issues'))).toBe(true);
    await importFile(page, examplePath('document-pipeline'));
    expect((await scripts(page)).some(([n]) => n.startsWith('editor.api'))).toBe(false);
    await clickNode(page, 'keywords');
    await page.locator('[data-testid="field-code"][data-ready="true"]').waitFor();
    expect((await scripts(page)).some(([n]) => n.startsWith('editor.api'))).toBe(true);
    expect((await scripts(page)).some(([n]) => n.startsWith('elk'))).toBe(false);
    await page.click('[data-testid="auto-layout"]');
    await expect.poll(async () => (await scripts(page)).some(([n]) => n.startsWith('elk'))).toBe(true);
  });
});
