// Guards the layering rule of eslint.config.js: src/core is the pure engine and
// must not import Node builtins, Electron, React, SQLite or other layers.
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterEach, describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const coreDir = join(repoRoot, 'src/core');
const PROBE_PREFIX = '__layering_probe_';
const RULE = 'no-restricted-imports';

const probes: string[] = [];

function writeProbe(subdir: string, code: string): string {
  const file = join(coreDir, subdir, `${PROBE_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}.ts`);
  probes.push(file);
  writeFileSync(file, code);
  return file;
}

async function layeringMessages(file: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const results = await eslint.lintFiles([file]);
  return results.flatMap((r) => r.messages.filter((m) => m.ruleId === RULE).map((m) => m.message));
}

afterEach(() => {
  for (const file of probes.splice(0)) rmSync(file, { force: true });
});

describe('layering (eslint no-restricted-imports)', () => {
  it('reports a Node builtin imported from src/core', async () => {
    const file = writeProbe('', "import fs from 'node:fs';\nexport const probe = fs;\n");
    const messages = await layeringMessages(file);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/src\/core must not import Node builtins/);
  });

  it('reports bare builtins, electron, react, better-sqlite3 and other layers from a nested core file', async () => {
    const file = writeProbe(
      'engine',
      [
        "import path from 'path';",
        "import { Worker } from 'worker_threads';",
        "import { app } from 'electron';",
        "import React from 'react';",
        "import Database from 'better-sqlite3';",
        "import * as store from '../../host/store/types';",
        "import * as errors from '../errors';",
        'export const probe = [path, Worker, app, React, Database, store, errors];',
        '',
      ].join('\n'),
    );
    const messages = await layeringMessages(file);
    // Six violations; the core-internal '../errors' is fine.
    expect(messages).toHaveLength(6);
    expect(messages.join('\n')).toMatch(/may only import from src\/\{core\}/);
  });

  it('finds no layering violation in src/core as it stands', async () => {
    const eslint = new ESLint({ cwd: repoRoot });
    const results = await eslint.lintFiles(['src/core']);
    const violations = results
      .filter((r) => !r.filePath.includes(PROBE_PREFIX))
      .flatMap((r) => r.messages.filter((m) => m.ruleId === RULE).map((m) => `${r.filePath}:${m.line}: ${m.message}`));
    expect(violations).toEqual([]);
  });
});
