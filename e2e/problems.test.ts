/**
 * Problems the editor finds before a run, driven as a person does (clicks and keys): a Subgraph
 * node added from the palette names no graph, then a graph that exists nowhere, then a saved
 * graph (its problem goes away, Run is enabled, and Save keeps it); code typed with a bracket
 * Monaco closed on the wrong line is a syntax error with its line, squiggled in the editor, until
 * it is typed right.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { serializeGraph } from '../src/core/graph/serialize';
import { clickNode, editorText, example, harness, realErrors, sel, shot, typeInEditor, typeText } from './harness';

const h = harness();

async function select(page: Page, id: string): Promise<void> {
  await clickNode(page, id);
  await page.locator(`[data-testid="node-panel"][aria-label="Node ${id}"]`).waitFor();
}

/** Clicks the empty canvas: no node selected, the graph panel (with every problem) shows. */
async function deselect(page: Page): Promise<void> {
  await page.locator(`${sel('canvas')} .react-flow__pane`).click({ position: { x: 10, y: 10 } });
  await page.locator(sel('graph-panel')).waitFor();
}

const text = (page: Page, id: string) => page.locator(sel(id)).textContent();
const invalid = (page: Page, id: string) => page.locator(sel(`node-${id}`)).getAttribute('data-invalid');

describe('problems found while editing', () => {
  it('a Subgraph node: "choose the graph", then a graph found nowhere is an error, then a saved graph is fine', async () => {
    const saved = example('document-pipeline');
    await h.server.service.store.saveGraph(saved, serializeGraph(saved));
    const { page, errors } = await h.page();
    await page.click(sel('palette-subgraph'));
    await page.locator(sel('node-subgraph_1')).waitFor();
    await deselect(page);
    // A new node names no graph: a problem on its card and in the list, Run disabled.
    await expect.poll(() => page.locator(sel('graph-validity')).getAttribute('data-valid')).toBe('false');
    expect(await text(page, 'graph-issues')).toContain('nodes[subgraph_1].config.graph choose the graph to run');
    expect(await invalid(page, 'subgraph_1')).toBe('true');
    expect(await page.locator(sel('run')).isDisabled()).toBe(true);

    // A graph saved nowhere (the old default): an error, not a warning.
    await select(page, 'subgraph_1');
    await typeText(page, 'field-graph', 'my-graph');
    await expect.poll(() => text(page, 'node-issues')).toContain('graph "my-graph" not found');
    await shot(page, 'subgraph-graph-not-found');
    await deselect(page);
    await expect.poll(() => text(page, 'graph-issues')).toContain('nodes[subgraph_1].config.graph graph "my-graph"');
    expect(await page.locator(sel('graph-warnings')).count()).toBe(0);
    expect(await invalid(page, 'subgraph_1')).toBe('true');
    expect(await page.locator(sel('run')).isDisabled()).toBe(true);

    // A saved graph's id, typed: no problem, no warning, Run enabled.
    await select(page, 'subgraph_1');
    await typeText(page, 'field-graph', 'document-pipeline');
    await expect.poll(() => page.locator(sel('node-issues')).count()).toBe(0);
    await deselect(page);
    await expect.poll(() => text(page, 'graph-validity')).toBe('Valid graph');
    expect(await page.locator(sel('graph-warnings')).count()).toBe(0);
    expect(await invalid(page, 'subgraph_1')).toBeNull();
    expect(await page.locator(sel('run')).isDisabled()).toBe(false);
    // Saved as it is: the host finds the saved graph as a run does.
    await page.click(sel('save'));
    await page.locator(sel('save-as-dialog')).waitFor();
    await typeText(page, 'save-as-name', 'Runs the pipeline');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator(sel('toast-success')).textContent()).toContain('Saved runs-the-pipeline');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);

  it('a code node with a bracket Monaco closed on the wrong line: a syntax error with its line, until typed right', async () => {
    const { page, errors } = await h.page();
    await page.click(sel('palette-code'));
    await select(page, 'code_1');
    await typeInEditor(page, 'field-code', 'const x = input.items.map(i => i * 2');
    await page.keyboard.press('Enter');
    await page.keyboard.type('return x;');
    // Monaco closed the bracket after what was typed: it now ends the second line.
    await expect.poll(() => editorText(page, 'field-code')).toMatch(/i \* 2\s*return x;\)$/);
    await expect
      .poll(() => text(page, 'node-issues'))
      .toMatch(/config\.code syntax error at line 2, column \d+: Unexpected token/);
    // Monaco draws it too: a squiggle under `return`, on the second line, that says the same.
    const squiggle = page.locator(`${sel('field-code')} .squiggly-error`);
    await expect.poll(() => squiggle.count(), { message: 'a squiggle under the error' }).toBe(1);
    const line2 = (await page
      .locator(`${sel('field-code')} .view-line`)
      .nth(1)
      .boundingBox())!;
    const wavy = (await squiggle.boundingBox())!;
    expect(Math.abs(wavy.y - line2.y), 'on the second line').toBeLessThan(line2.height / 2);
    expect(wavy.width, 'under a word (`return`), not a point').toBeGreaterThan(20);
    await squiggle.hover({ force: true });
    await expect
      .poll(() => page.locator('.monaco-hover').allTextContents())
      .toContainEqual(expect.stringMatching(/syntax error at line 2, column 1: Unexpected token/));
    await shot(page, 'code-syntax-error');
    await deselect(page);
    expect(await text(page, 'graph-issues')).toMatch(
      /nodes\[code_1\]\.config\.code syntax error at line 2, column \d+/,
    );
    expect(await invalid(page, 'code_1')).toBe('true');
    expect(await page.locator(sel('run')).isDisabled()).toBe(true);

    // Typed right (the `)` typed over the one Monaco put in): no problem.
    await select(page, 'code_1');
    await typeInEditor(page, 'field-code', 'const x = input.items.map(i => i * 2);');
    await page.keyboard.press('Enter');
    await page.keyboard.type('return x;');
    await expect.poll(() => page.locator(sel('node-issues')).count()).toBe(0);
    await expect.poll(() => squiggle.count(), { message: 'the squiggle goes with the error' }).toBe(0);
    await deselect(page);
    await expect.poll(() => text(page, 'graph-validity')).toBe('Valid graph');
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);
});
