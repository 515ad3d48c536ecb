/** Authoring in the browser: import, build a graph from scratch, validation, undo/redo, save/export. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Graph } from '../src/core/graph/schema';
import { serializeGraph, validateGraph } from '../src/core/graph/validate';
import { StatepipeService } from '../src/host/service';
import {
  bytes,
  connect,
  example,
  examplePath,
  EXAMPLES,
  importFile,
  realErrors,
  startHarness,
  type Harness,
} from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const node = (page: Page, id: string) => page.locator(`[data-testid="node-${id}"]`);

async function select(page: Page, id: string): Promise<void> {
  await node(page, id).locator('.sp-label').click();
  await page.locator(`[data-testid="node-panel"][aria-label="Node ${id}"]`).waitFor();
}

/** Sets a Monaco editor's text through the test API (typing long text is slow). */
async function setEditor(page: Page, testId: string, text: string): Promise<void> {
  await page.locator(`[data-testid="${testId}"][data-ready="true"]`).waitFor();
  await page.evaluate(
    ([k, v]) =>
      (window as unknown as { __statepipeEditors: Record<string, { setValue(s: string): void }> }).__statepipeEditors[
        k!
      ]!.setValue(v!),
    [testId, text],
  );
}

describe('authoring', () => {
  it('imports each example and shows every node', async () => {
    const { page, errors } = await h.page();
    page.on('dialog', (d) => void d.accept().catch(() => undefined));
    for (const name of EXAMPLES) {
      await importFile(page, examplePath(name));
      for (const n of example(name).nodes) await node(page, n.id).waitFor();
      for (const n of example(name).nodes) expect(await node(page, n.id).getAttribute('data-status')).toBe('idle');
      expect(await bytes(page)).toBe(serializeGraph(validateGraph(example(name))));
    }
    expect(realErrors(errors)).toEqual([]);
  });

  it('marks a hand-drawn cycle on its nodes; undo and redo restore the exact graph', async () => {
    const { page } = await h.page();
    await importFile(page, examplePath('document-pipeline'));
    await node(page, 'aggregate').waitFor();
    const before = await bytes(page);
    await connect(page, 'aggregate', 'extract');
    const after = await bytes(page);
    expect(after).not.toBe(before);
    for (const id of ['extract', 'summary', 'aggregate'])
      await page.locator(`[data-testid="node-${id}"][data-invalid="true"]`).waitFor();
    expect(await node(page, 'start').getAttribute('data-invalid')).toBeNull();
    expect(await page.locator('[data-testid="graph-issues"]').textContent()).toMatch(/cycle/);
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+z');
    expect(await bytes(page)).toBe(before);
    await page.locator('[data-testid="node-extract"]:not([data-invalid])').waitFor();
    await page.keyboard.press('Control+Shift+z');
    expect(await bytes(page)).toBe(after);
    await page.click('[data-testid="undo"]');
    expect(await bytes(page)).toBe(before);
    await page.keyboard.press('Control+y');
    expect(await bytes(page)).toBe(after);
  });

  it('deletes, copies and pastes with the keyboard', async () => {
    const { page } = await h.page();
    await importFile(page, examplePath('vendor-onboarding'));
    await select(page, 'docs_collect');
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await node(page, 'llm_1').waitFor();
    await page.keyboard.press('Delete');
    await node(page, 'llm_1').waitFor({ state: 'detached' });
    await select(page, 'result');
    await page.keyboard.press('Delete');
    await node(page, 'result').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+z');
    await node(page, 'result').waitFor();
    expect(await bytes(page)).toContain('"id": "e7"');
  });

  it('builds the document pipeline from an empty canvas, saves and exports a file that runs headless', async () => {
    const { page, errors } = await h.page();
    page.setDefaultTimeout(8000);
    try {
      await buildPipeline(page);
    } catch (err) {
      await page.screenshot({ path: 'e2e/artifacts/build-failure.png' });
      throw err;
    }
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);
});

async function buildPipeline(page: Page): Promise<void> {
  {
    const ex = example('document-pipeline');
    const byId = new Map(ex.nodes.map((n) => [n.id, n]));
    // graph fields through the graph panel
    await page.fill('[data-testid="graph-id"]', 'document-pipeline');
    await page.press('[data-testid="graph-id"]', 'Enter');
    await page.fill('[data-testid="graph-name"]', ex.name!);
    await page.fill('[data-testid="graph-description"]', ex.description!);
    await page.fill('[data-testid="graph-input-schema"]', JSON.stringify(ex.input));
    // zoom out a little so seven nodes fit side by side
    await page.click('.react-flow__controls-zoomout');
    await page.click('.react-flow__controls-zoomout');
    const canvas = (await page.locator('[data-testid="canvas"]').boundingBox())!;
    const plan: [string, string, number, number][] = [
      ['input', 'start', 0, 1],
      ['llm', 'extract', 1, 1],
      ['llm', 'sentiment', 2, 0],
      ['code', 'keywords', 2, 1],
      ['llm', 'summary', 2, 2],
      ['transform', 'aggregate', 3, 1],
      ['output', 'result', 4, 1],
    ];
    for (const [type, id, col, row] of plan) {
      const target = { x: 110 + col * 180, y: 160 + row * 170 };
      await page.dragAndDrop(`[data-testid="palette-${type}"]`, '[data-testid="canvas"] .react-flow__pane', {
        targetPosition: target,
      });
      const newId = `${type}_1`; // the smallest free suffix: earlier ones were renamed
      await node(page, newId).waitFor();
      await select(page, newId);
      await page.fill('[data-testid="field-id"]', id);
      await page.press('[data-testid="field-id"]', 'Enter');
      await node(page, id).waitFor();
      await page.locator(`[data-testid="node-panel"][aria-label="Node ${id}"]`).waitFor();
      const cfg = byId.get(id)!.config ?? {};
      if (type === 'llm') await setEditor(page, 'config-json', JSON.stringify(cfg, null, 2));
      if (type === 'code') await setEditor(page, 'field-code', String(cfg['code']));
      if (type === 'transform')
        await page.fill('[data-testid="field-template"]', JSON.stringify(cfg['template'], null, 2));
      if (type === 'output') await page.fill('[data-testid="field-value"]', String(cfg['value']));
    }
    expect(canvas.width).toBeGreaterThan(600);
    for (const e of ex.edges) await connect(page, e.source, e.target);
    await page
      .locator('[data-testid="graph-validity"][data-valid="true"]')
      .waitFor({ timeout: 5000 })
      .catch(async () => {
        await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
        await page.locator('[data-testid="graph-validity"][data-valid="true"]').waitFor({ timeout: 5000 });
      });
    await page.click('[data-testid="save"]');
    await page.locator('[data-testid="toast-success"]').waitFor();
    await page.locator('[data-testid="dirty"]').waitFor({ state: 'detached' });
    const saved = await bytes(page);
    // saving again unchanged gives identical bytes
    await page.click('[data-testid="save"]');
    expect(await bytes(page)).toBe(saved);
    const download = page.waitForEvent('download');
    await page.click('[data-testid="export-graph"]');
    const file = await download;
    expect(file.suggestedFilename()).toBe('document-pipeline.json');
    const text = readFileSync((await file.path())!, 'utf8');
    expect(text).toBe(saved);
    const built = validateGraph(JSON.parse(text));
    expect(built.edges.map((e) => [e.source, e.target])).toEqual(ex.edges.map((e) => [e.source, e.target]));
    const strip = (g: Graph) => g.nodes.map(({ position: _p, ...n }) => n);
    expect(strip(built)).toEqual(strip(validateGraph(ex)));
    // both run headless on the engine to the same result
    const service = await StatepipeService.open({ dbPath: join(h.dir, 'headless.db') });
    try {
      const input = { text: 'Alice runs ProjectX in Berlin and Alice is happy' };
      const a = await service.startRun(built, input);
      const b = await service.startRun(validateGraph(ex), input);
      expect(a.status).toBe('succeeded');
      expect(a.result).toEqual(b.result);
    } finally {
      await service.close();
    }
  }
}
