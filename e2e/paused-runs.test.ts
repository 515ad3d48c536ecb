/**
 * What a person sees of a run they paused (Chromium against `statepipe serve`, by hand): a
 * subgraph's and a map's cards say their child runs are paused with the run (not still running),
 * as the child run itself does when opened, and running again once resumed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { harness, importFile, realErrors, sel, shot } from './harness';

const h = harness();

const card = (page: Page, id: string) => page.locator(`${sel('run-view')} ${sel(`node-${id}`)}`);
const runStatus = (page: Page, status: string, timeout = 30_000) =>
  page.locator(`${sel('run-status')}[data-status="${status}"]`).waitFor({ timeout });
const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });

function writeGraph(name: string, graph: unknown): string {
  const path = join(h.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(graph, null, 2));
  return path;
}

/** The child: a mock model that streams for about a second. */
const slow = {
  format: 'statepipe.graph',
  version: 1,
  id: 'slow',
  name: 'Slow',
  nodes: [
    { id: 'in', type: 'input', position: { x: 0, y: 0 }, config: {} },
    {
      id: 'say',
      type: 'llm',
      position: { x: 260, y: 0 },
      config: {
        provider: 'mock',
        model: 'mock-1',
        prompt: 'go',
        mock: { reply: 'one two three four five six', tokensPerSecond: 6 },
      },
    },
    { id: 'r', type: 'output', position: { x: 520, y: 0 }, config: { value: '{{nodes.say.output.text}}' } },
  ],
  edges: [e('in', 'say'), e('say', 'r')],
};

const parent = {
  format: 'statepipe.graph',
  version: 1,
  id: 'paused-parent',
  graphs: { slow },
  nodes: [
    { id: 'in', type: 'input', position: { x: 0, y: 120 }, config: {} },
    { id: 'once', type: 'subgraph', position: { x: 300, y: 0 }, config: { graph: 'slow', input: {} } },
    {
      id: 'each',
      type: 'map',
      position: { x: 300, y: 240 },
      config: { graph: 'slow', items: '{{[1..4]}}', concurrency: 2 },
    },
  ],
  edges: [e('in', 'once'), e('in', 'each')],
};

describe('a paused run', () => {
  it("a subgraph's and a map's cards say their children are paused with it, as the child run does; resumed, they go on", async () => {
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('paused-parent', parent));
    await page.click(sel('run'));
    const once = card(page, 'once').locator(sel('node-progress-once'));
    const each = card(page, 'each').locator(sel('node-progress-each'));
    await expect.poll(() => once.textContent(), { timeout: 15_000 }).toContain('child running');
    await page.click(sel('pause'));
    await runStatus(page, 'paused');
    // The children's running models finish, then the children are paused: the cards say so.
    await expect.poll(() => once.textContent(), { timeout: 10_000 }).toContain('child paused');
    await expect.poll(() => each.textContent(), { timeout: 10_000 }).toMatch(/ \/ 4 items · [12] paused/);
    await page.waitForTimeout(1_500); // nothing changes while it stays paused
    expect(await once.textContent()).toContain('child paused');
    await shot(page, 'paused-children');

    // The map's items: those it started read paused, none running.
    await card(page, 'each').locator(sel('open-child-each')).click();
    const rows = page.locator(`${sel('child-list')} tbody tr`);
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    const statuses = await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-status')));
    expect(statuses).not.toContain('running');
    expect(statuses).toContain('paused');

    // The subgraph's child run, opened from its card: paused, as its parent's card said.
    const parentId = (await page.locator(sel('run-status')).getAttribute('data-run-id'))!;
    await card(page, 'once').locator(sel('open-child-once')).click();
    await page.locator(`${sel('run-view')}[data-run-id]:not([data-run-id="${parentId}"])`).waitFor();
    await runStatus(page, 'paused');
    await page.locator(sel('crumb-node-once')).click();
    await page.locator(`${sel('run-view')}[data-run-id="${parentId}"]`).waitFor();

    await page.click(sel('resume'));
    await runStatus(page, 'succeeded');
    await expect.poll(() => once.textContent()).toContain('child succeeded');
    expect(await each.textContent()).toContain('4 / 4 items');
    expect(await each.textContent()).not.toContain('paused');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);
});
