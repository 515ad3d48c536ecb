/**
 * Authoring in the browser, as a person does it: import files, draw and connect nodes, type
 * into every field (Monaco included), undo and redo with the keyboard, save (the first save
 * asks for a name) and export. The document is read the way a person gets it: Export.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Graph } from '../src/core/graph/schema';
import { serializeGraph, validateGraph } from '../src/core/graph/validate';
import { StatepipeService } from '../src/host/service';
import {
  clickNode,
  connect,
  example,
  examplePath,
  EXAMPLES,
  exportedBytes,
  importFile,
  realErrors,
  harness,
  typeInEditor,
  typeText,
} from './harness';

const h = harness();

const node = (page: Page, id: string) => page.locator(`[data-testid="node-${id}"]`);

async function select(page: Page, id: string): Promise<void> {
  await clickNode(page, id);
  await page.locator(`[data-testid="node-panel"][aria-label="Node ${id}"]`).waitFor();
}

describe('authoring', () => {
  it('imports each example and shows every node; the exported file is the example', async () => {
    const { page, errors } = await h.page();
    page.on('dialog', (d) => void d.accept().catch(() => undefined));
    for (const name of EXAMPLES) {
      await importFile(page, examplePath(name));
      for (const n of example(name).nodes) await node(page, n.id).waitFor();
      for (const n of example(name).nodes) expect(await node(page, n.id).getAttribute('data-status')).toBe('idle');
      expect(await exportedBytes(page)).toBe(serializeGraph(validateGraph(example(name))));
    }
    expect(realErrors(errors)).toEqual([]);
  });

  it('marks a hand-drawn cycle on its nodes; undo and redo restore the exact graph', async () => {
    const { page } = await h.page();
    await importFile(page, examplePath('document-pipeline'));
    await node(page, 'aggregate').waitFor();
    const before = await exportedBytes(page);
    await connect(page, 'aggregate', 'extract');
    const after = await exportedBytes(page);
    expect(after).not.toBe(before);
    for (const id of ['extract', 'summary', 'aggregate'])
      await page.locator(`[data-testid="node-${id}"][data-invalid="true"]`).waitFor();
    expect(await node(page, 'start').getAttribute('data-invalid')).toBeNull();
    expect(await page.locator('[data-testid="graph-issues"]').textContent()).toMatch(/cycle/);
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+z');
    expect(await exportedBytes(page)).toBe(before);
    await page.locator('[data-testid="node-extract"]:not([data-invalid])').waitFor();
    await page.keyboard.press('Control+Shift+z');
    expect(await exportedBytes(page)).toBe(after);
    await page.click('[data-testid="undo"]');
    expect(await exportedBytes(page)).toBe(before);
    await page.keyboard.press('Control+y');
    expect(await exportedBytes(page)).toBe(after);
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
    expect(await exportedBytes(page)).toContain('"id": "e7"');
  });

  it('builds the document pipeline from an empty canvas by hand, saves it (asked for a name) and exports a file that runs headless', async () => {
    const { page, errors } = await h.page();
    page.setDefaultTimeout(8000);
    try {
      await buildPipeline(page);
    } catch (err) {
      await page.screenshot({ path: 'e2e/artifacts/build-failure.png' });
      throw err;
    }
    expect(realErrors(errors)).toEqual([]);
  }, 120_000);
});

async function buildPipeline(page: Page): Promise<void> {
  const ex = example('document-pipeline');
  const byId = new Map(ex.nodes.map((n) => [n.id, n]));
  // The graph's fields, and its input schema as fields.
  await typeText(page, 'graph-description', ex.description!);
  await page.click('[data-testid="schema-add-field"]');
  await typeText(page, 'schema-field-name-0', 'text');
  await page.keyboard.press('Enter');
  await page.selectOption('[data-testid="schema-field-type-0"]', 'string');
  await page.check('[data-testid="schema-field-required-0"]');
  // Zoom out a little so seven nodes fit side by side.
  await page.click('.react-flow__controls-zoomout');
  await page.click('.react-flow__controls-zoomout');
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
    await typeText(page, 'field-id', id);
    await page.keyboard.press('Enter');
    await node(page, id).waitFor();
    await page.locator(`[data-testid="node-panel"][aria-label="Node ${id}"]`).waitFor();
    const cfg = byId.get(id)!.config ?? {};
    // A long config is pasted, as a person would; short fields are typed.
    if (type === 'llm') await typeInEditor(page, 'config-json', JSON.stringify(cfg), { paste: true });
    if (type === 'code') await typeInEditor(page, 'field-code', String(cfg['code']));
    if (type === 'transform') await typeText(page, 'field-template', JSON.stringify(cfg['template']));
    if (type === 'output') await typeInEditor(page, 'field-value', String(cfg['value']));
  }
  for (const e of ex.edges) await connect(page, e.source, e.target);
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.locator('[data-testid="graph-validity"][data-valid="true"]').waitFor({ timeout: 5000 });
  // The first save asks for a name; the id follows it.
  await page.click('[data-testid="save"]');
  await page.locator('[data-testid="save-as-dialog"]').waitFor();
  await typeText(page, 'save-as-name', ex.name!);
  expect(await page.locator('[data-testid="save-as-id"]').inputValue()).toBe('document-pipeline');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid="toast-success"]').waitFor();
  await page.locator('[data-testid="dirty"]').waitFor({ state: 'detached' });
  expect(await page.locator('[data-testid="doc-version"]').textContent()).toContain('v1');
  const saved = await exportedBytes(page);
  // Saving again unchanged: no dialog, the same bytes.
  await page.click('[data-testid="save"]');
  expect(await page.locator('[data-testid="save-as-dialog"]').count()).toBe(0);
  expect(await exportedBytes(page)).toBe(saved);
  const built = validateGraph(JSON.parse(saved));
  expect(built.edges.map((e) => [e.source, e.target])).toEqual(ex.edges.map((e) => [e.source, e.target]));
  const strip = (g: Graph) => g.nodes.map(({ position: _p, ...n }) => n);
  expect(strip(built)).toEqual(strip(validateGraph(ex)));
  expect(built.input).toEqual(ex.input);
  // Both run headless on the engine to the same result.
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
