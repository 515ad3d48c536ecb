/**
 * Editing defects found by trying the studio as a person (issue 18: 1, 2, 3, 7, 8, 12), each
 * driven by hand: keys into Monaco fields, clicks on toolbar buttons and dialogs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { serializeGraph } from '../src/core/graph/serialize';
import {
  clickNode,
  editorText,
  example,
  examplePath,
  exportedBytes,
  importFile,
  realErrors,
  shot,
  harness,
  typeInEditor,
  typeText,
  sel,
} from './harness';

const h = harness();

async function select(page: Page, id: string): Promise<void> {
  await clickNode(page, id);
  await page.locator(`[data-testid="node-panel"][aria-label="Node ${id}"]`).waitFor();
}

/** Saves the document under a name (the first save asks for one). */
async function saveAs(page: Page, name: string): Promise<void> {
  await page.click(sel('save'));
  await page.locator(sel('save-as-dialog')).waitFor();
  await typeText(page, 'save-as-name', name);
  await page.keyboard.press('Enter');
}

describe('editing by hand', () => {
  it('1: a space typed into a Monaco field is a space (not a pan of the canvas); Backspace there edits the text, not the graph', async () => {
    const { page, errors } = await h.page();
    await importFile(page, examplePath('vendor-onboarding'));
    await select(page, 'approval');
    await typeInEditor(page, 'config-json', '{"title": "Approve this vendor now"}');
    await page.keyboard.press('Backspace'); // Backspace in the editor deletes a character, not the node
    await page.keyboard.type('}');
    expect(await page.locator(sel('node-approval')).count()).toBe(1);
    await expect.poll(() => editorText(page, 'config-json')).toBe('{"title": "Approve this vendor now"}');
    await page.waitForTimeout(900); // past the coalescing of one field's typing
    expect(await exportedBytes(page)).toContain('"title": "Approve this vendor now"');
    // The expression editor of a template takes spaces too.
    await typeInEditor(page, 'field-title', 'Approve {{input.vendor}} now');
    await expect.poll(async () => exportedBytes(page)).toContain('"title": "Approve {{input.vendor}} now"');
    expect(realErrors(errors)).toEqual([]);
  });

  it('a config typed as broken JSON says it is not applied (the node keeps its config) until it is fixed', async () => {
    const { page, errors } = await h.page();
    await importFile(page, examplePath('vendor-onboarding'));
    await select(page, 'approval');
    const unapplied = page.locator(sel('config-json-unapplied'));
    await typeInEditor(page, 'config-json', '{"title": "Approve it",');
    await expect
      .poll(() => unapplied.textContent())
      .toMatch(/^Not applied: not valid JSON .*keeps its last valid config/);
    await page.keyboard.press('Backspace'); // the comma (Monaco closed the brace as it was typed)
    await expect.poll(() => editorText(page, 'config-json')).toBe('{"title": "Approve it"}');
    await unapplied.waitFor({ state: 'detached' });
    await expect.poll(() => exportedBytes(page)).toContain('"title": "Approve it"');
    await typeInEditor(page, 'config-json', '[1, 2]');
    await expect.poll(() => unapplied.textContent()).toContain('a config is a JSON object');
    expect(realErrors(errors)).toEqual([]);
  });

  it('the graph panel keeps its fields together and field names whole; an expression problem is said once; a disabled primary action is grey', async () => {
    const { page, errors } = await h.page();
    await importFile(page, examplePath('vendor-onboarding'));
    const box = async (testId: string) => (await page.locator(sel(testId)).boundingBox())!;
    // Name, Description and the input schema follow each other (they used to stretch down the panel).
    const name = await box('graph-name');
    const description = await box('graph-description');
    expect(description.y - (name.y + name.height)).toBeLessThan(40);
    // A field's name is shown whole ("country" was cut to "countr").
    const fieldName = page.locator(sel('schema-field-name-1'));
    expect(await fieldName.inputValue()).toBe('country');
    expect(await fieldName.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);

    await page.click(sel('palette-llm'));
    await page.locator(sel('node-llm_1')).waitFor();
    await select(page, 'llm_1');
    await typeInEditor(page, 'field-system', 'Say {{nodes.final_decision.output.decision');
    const problems = page.locator(sel('field-system-problems'));
    await expect.poll(() => problems.textContent()).toContain('final_decision is not upstream of llm_1');
    // The validator's line under the field would say it a second time.
    const field = page.locator('.field', { has: page.locator(sel('field-system')) });
    expect(await field.locator('.field-message:visible').count()).toBe(0);

    const run = page.locator(sel('run'));
    await expect.poll(() => run.isDisabled()).toBe(true); // the graph is invalid
    const accent = await page.evaluate(() => {
      const probe = document.createElement('div');
      probe.style.color = 'var(--accent)';
      document.body.append(probe);
      const out = getComputedStyle(probe).color;
      probe.remove();
      return out;
    });
    // Not a faded call to action: grey (polled: the button's colours ease in).
    await expect.poll(() => run.evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe(accent);
    expect(realErrors(errors)).toEqual([]);
  });

  it('2: the Code node editor can be clicked into and typed in', async () => {
    const { page, errors } = await h.page();
    await page.click(sel('palette-code'));
    await page.locator(sel('node-code_1')).waitFor();
    await select(page, 'code_1');
    await typeInEditor(page, 'field-code', 'return { doubled: input.n * 2 };');
    await expect.poll(() => exportedBytes(page)).toContain('"code": "return { doubled: input.n * 2 };"');
    await shot(page, 'code-node-typed');
    expect(realErrors(errors)).toEqual([]);
  });

  it('3, 7: the first save asks for a name, refuses an id that is taken unless confirmed; Open and the header show versions', async () => {
    const { page, errors } = await h.page();
    page.on('dialog', (d) => void d.accept());
    await page.click(sel('palette-input'));
    await saveAs(page, 'Alpha flow');
    await page.locator(sel('toast-success')).waitFor();
    await expect.poll(() => page.locator(sel('doc-version')).textContent()).toContain('alpha-flow · v1');
    // A new graph, saved: it asks for a name again; "Alpha flow" is taken, so it is refused.
    await page.click(sel('new-graph'));
    await page.click(sel('palette-llm'));
    await page.click(sel('palette-output'));
    await page.click(sel('save'));
    await page.locator(sel('save-as-dialog')).waitFor();
    expect(await page.locator(sel('save-as-id')).inputValue()).toBe('');
    await typeText(page, 'save-as-name', 'Alpha flow');
    expect(await page.locator(sel('save-as-id')).inputValue()).toBe('alpha-flow');
    await page.keyboard.press('Enter');
    await page.locator(sel('save-as-taken')).waitFor();
    expect(await page.locator(sel('save-as-taken')).textContent()).toMatch(
      /alpha-flow exists.*"Alpha flow", version 1/,
    );
    await shot(page, 'save-id-taken');
    // Another name: a graph of its own; the first is untouched.
    await typeText(page, 'save-as-name', 'Beta flow');
    await page.keyboard.press('Enter');
    await page.locator(sel('save-as-dialog')).waitFor({ state: 'detached' });
    await expect.poll(() => page.locator(sel('doc-version')).textContent()).toContain('beta-flow · v1');
    // Saved again after an edit: version 2, no question.
    await page.click(sel('palette-delay'));
    await page.click(sel('save'));
    await expect.poll(() => page.locator(sel('doc-version')).textContent()).toContain('beta-flow · v2');
    await page.click(sel('open-graph'));
    await page.locator(sel('open-alpha-flow')).waitFor();
    expect(await page.locator(sel('open-version-alpha-flow')).textContent()).toBe('v1');
    expect(await page.locator(sel('open-version-beta-flow')).textContent()).toBe('v2');
    await shot(page, 'open-dialog-versions');
    await page.click(sel('open-alpha-flow'));
    await expect.poll(() => page.locator(sel('doc-version')).textContent()).toContain('alpha-flow · v1');
    expect(await page.locator('.react-flow__node').count()).toBe(1);
    // Saving over a taken id is possible when confirmed: it becomes that graph's next version.
    await page.click(sel('new-graph'));
    await page.click(sel('palette-transform'));
    await page.click(sel('save'));
    await typeText(page, 'save-as-name', 'Alpha flow');
    await page.keyboard.press('Enter');
    await page.click(sel('save-as-overwrite'));
    await expect.poll(() => page.locator(sel('doc-version')).textContent()).toContain('alpha-flow · v2');
    expect(realErrors(errors)).toEqual([]);
  });

  it('8: an imported graph without positions is laid out (no card on another)', async () => {
    const graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'no-positions',
      nodes: [
        { id: 'start', type: 'input' },
        { id: 'a', type: 'transform', config: { template: { x: 1 } } },
        { id: 'b', type: 'transform', config: { template: { y: 2 } } },
        { id: 'c', type: 'delay', config: { ms: 10 } },
        { id: 'out', type: 'output', config: { value: '{{nodes.c.output}}' } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'a' },
        { id: 'e2', source: 'start', target: 'b' },
        { id: 'e3', source: 'a', target: 'c' },
        { id: 'e4', source: 'b', target: 'c' },
        { id: 'e5', source: 'c', target: 'out' },
      ],
    };
    const file = join(h.dir, 'no-positions.json');
    writeFileSync(file, JSON.stringify(graph));
    const { page, errors } = await h.page();
    await importFile(page, file);
    await page.locator(sel('node-out')).waitFor();
    const boxes = await Promise.all(graph.nodes.map((n) => page.locator(sel(`node-${n.id}`)).boundingBox()));
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [p, q] = [boxes[i]!, boxes[j]!];
        const apart = p.x + p.width <= q.x || q.x + q.width <= p.x || p.y + p.height <= q.y || q.y + q.height <= p.y;
        expect(apart, `${graph.nodes[i]!.id} and ${graph.nodes[j]!.id} overlap`).toBe(true);
      }
    // Laid out left to right along the edges.
    expect(boxes[0]!.x).toBeLessThan(boxes[3]!.x);
    expect(boxes[3]!.x).toBeLessThan(boxes[4]!.x);
    await shot(page, 'import-laid-out');
    expect(realErrors(errors)).toEqual([]);
  });

  it('12: a template of an optional input with no fallback is a warning, marked in the run form; the example runs without it', async () => {
    const { page, errors } = await h.page();
    await importFile(page, examplePath('vendor-onboarding'));
    // The example as shipped runs with country left empty.
    await page.click(sel('run'));
    await typeText(page, 'run-input-vendor', 'Acme');
    expect(await page.locator(sel('run-input-warn-country')).count()).toBe(0);
    await page.click(sel('run-submit'));
    await page.locator(`${sel('run-status')}[data-status="waiting"]`).waitFor({ timeout: 15_000 });
    expect(await page.locator(`${sel('node-policy_screen')}:visible`).getAttribute('data-status')).toBe('succeeded');
    await page.click(sel('run-back'));
    // A bare {{input.country}}: warned in the field, in the graph panel, and in the run form.
    await select(page, 'policy_screen');
    await typeInEditor(page, 'field-prompt', 'Screen {{input.vendor}} from {{input.country');
    await page.keyboard.press('End');
    await expect
      .poll(() => page.locator(sel('field-prompt-problems')).textContent())
      .toContain('input.country is optional and has no default');
    await shot(page, 'optional-input-warning');
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await expect.poll(() => page.locator(sel('graph-warnings')).textContent()).toContain('policy_screen');
    await page.click(sel('run'));
    await page.locator(sel('run-input-warn-country')).waitFor();
    expect(await page.locator(sel('run-input-warn-country')).textContent()).toContain('policy_screen');
    await shot(page, 'run-form-optional-marked');
    expect(realErrors(errors)).toEqual([]);
  });

  it('the composition kinds are in the palette and their panels: a map offers the saved graphs to run and takes its items', async () => {
    const saved = example('document-pipeline');
    await h.server.service.store.saveGraph(saved, serializeGraph(saved));
    const { page, errors } = await h.page();
    await page.click(sel('palette-input'));
    for (const type of ['subgraph', 'map', 'loop']) expect(await page.locator(sel(`palette-${type}`)).count()).toBe(1);
    await page.click(sel('palette-map'));
    await select(page, 'map_1');
    for (const key of ['graph', 'items', 'itemInput', 'concurrency', 'onItemError'])
      await page.locator(sel(`field-${key}`)).waitFor();
    await expect
      .poll(() =>
        page
          .locator(`${sel('field-graph-options')} option`)
          .evaluateAll((os) => os.map((o) => o.getAttribute('value'))),
      )
      .toContain('document-pipeline');
    await typeText(page, 'field-graph', 'document-pipeline');
    await typeInEditor(page, 'field-items', '{{input.docs}}');
    await page.selectOption(sel('field-onItemError'), 'continue');
    await expect.poll(() => page.locator(`${sel('node-map_1')} .chip-strong`).textContent()).toBe('document-pipeline');
    const bytes = await exportedBytes(page);
    expect(JSON.parse(bytes).nodes[1].config).toMatchObject({
      graph: 'document-pipeline',
      items: '{{input.docs}}',
      onItemError: 'continue',
    });
    // A loop's panel: its until is evaluated over { previous, iteration }, a plain field.
    await page.click(sel('palette-loop'));
    await select(page, 'loop_1');
    expect(await page.locator(`textarea${sel('field-until')}`).count()).toBe(1);
    await shot(page, 'composition-panels');
    expect(realErrors(errors)).toEqual([]);
  });
});
