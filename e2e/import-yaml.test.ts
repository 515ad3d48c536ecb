/**
 * A YAML graph file (the CLI's other format) imported as a person does: Import, the file chooser,
 * the file; its nodes on the canvas. A broken one is refused with the file and line, the canvas
 * left as it was.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileChooser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { harness, realErrors, shot } from './harness';

const h = harness();
const dir = mkdtempSync(join(tmpdir(), 'statepipe-yaml-'));

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** Clicks Import and gives the chooser `path`. */
async function chooseImport(page: Page, path: string): Promise<void> {
  const chooser: Promise<FileChooser> = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await (await chooser).setFiles(path);
}

const GREET = `# the CLI's greet example, in YAML
format: statepipe.graph
version: 1
id: greet-yaml
name: Greet (YAML)
nodes:
  - id: start
    type: input
  - id: hello
    type: transform
    config:
      template: "Hello {{input.name}}"
edges:
  - { id: e1, source: start, target: hello }
`;

describe('importing a YAML graph', () => {
  it('puts its nodes on the canvas; a broken file is refused with its line, the canvas kept', async () => {
    const { page, errors } = await h.page();
    page.on('dialog', (d) => void d.accept()); // discard the unsaved document
    await chooseImport(page, file('greet.yaml', GREET));
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(2);
    await expect
      .poll(() => page.locator('[data-testid="toast-info"]').last().textContent())
      .toContain('Imported greet.yaml');
    await expect
      .poll(() => page.locator('.react-flow__node').allTextContents())
      .toEqual(expect.arrayContaining([expect.stringContaining('hello')]));
    await shot(page, 'import-yaml');

    await chooseImport(page, file('broken.yml', 'format: statepipe.graph\nnodes: [\n'));
    await expect
      .poll(() => page.locator('[data-testid="toast-error"]').last().textContent())
      .toMatch(/broken\.yml:\d+: not valid YAML/);
    expect(await page.locator('.react-flow__node').count()).toBe(2);
    expect(realErrors(errors)).toEqual([]);
  });
});
