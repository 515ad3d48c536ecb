// ESLint flat config for src/**.
//
// Besides typescript-eslint's recommended rules it enforces the layering of
// the code base with `no-restricted-imports`:
//
//   core      pure engine: no Node builtins, Electron, React, SQLite, ...; imports only core
//   contract  the renderer <-> host API: core and contract only
//   renderer  React UI: no Node builtins or Electron; renderer, contract, core only
//   preload   sandboxed bridge: `electron` and src/contract only
//   host      Node adapters: no Electron/React; host, core, contract
//   server    web host: no Electron/React; server, host, core, contract
//   cli       command line: no Electron/React; cli, server, host, core, contract
//   main      Electron main: no React; main, host, core, contract
//
// Relative imports are checked by where they land: for a file N folders below
// src/<layer>/, an import that climbs N+1 levels reaches src/ and must continue
// into an allowed layer. One config block per (layer, depth) does that.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [...new Set(builtinModules.filter((m) => !m.startsWith('node:')))];
const NODE_ONLY_PACKAGES = [
  'better-sqlite3',
  'bindings',
  'pg',
  'pg-connection-string',
  'ws',
  'commander',
  'cli-progress',
  'tsx',
  'fastify',
  '@fastify/static',
  '@fastify/swagger',
  '@fastify/websocket',
  'fastify-type-provider-zod',
];
const REACT = ['react', 'react-dom', 'react/jsx-runtime', 'react-dom/client'];
const MAX_DEPTH = 8;

/** Bare specifiers each layer may not import. */
const FORBIDDEN = {
  core: { node: true, packages: ['electron', ...REACT, ...NODE_ONLY_PACKAGES, 'vite', 'vitest', 'playwright-core'] },
  contract: { node: true, packages: ['electron', ...REACT, ...NODE_ONLY_PACKAGES] },
  renderer: { node: true, packages: ['electron', ...NODE_ONLY_PACKAGES] },
  preload: { node: true, onlyElectron: true, packages: [] },
  host: { node: false, packages: ['electron', ...REACT] },
  server: { node: false, packages: ['electron', ...REACT] },
  cli: { node: false, packages: ['electron', ...REACT] },
  main: { node: false, packages: [...REACT] },
};

/** Layers (folders of src/) that each layer may import from. */
const ALLOWED_LAYERS = {
  core: ['core'],
  contract: ['contract', 'core'],
  renderer: ['renderer', 'contract', 'core'],
  preload: ['preload', 'contract'],
  host: ['host', 'core', 'contract'],
  server: ['server', 'host', 'core', 'contract'],
  cli: ['cli', 'server', 'host', 'core', 'contract'],
  main: ['main', 'host', 'core', 'contract'],
};

/** Layers whose files may not reach outside src/ at all. */
const SEALED = new Set(['core', 'contract', 'renderer', 'preload']);

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const TEST_TOOLS = new Set(['vite', 'vitest', 'playwright-core']);

function restrictedImports(layer, depth, { forTests = false } = {}) {
  const rule = FORBIDDEN[layer];
  const sealedMsg = `src/${layer} may only import from src/{${ALLOWED_LAYERS[layer].join(',')}} (layering rule)`;
  const paths = [];
  const patterns = [];
  if (rule.node && !forTests) {
    patterns.push({ regex: '^node:', message: `src/${layer} must not import Node builtins (layering rule)` });
    patterns.push({
      regex: `^(?:${NODE_BUILTINS.map(escape).join('|')})(?:/|$)`,
      caseSensitive: true,
      message: `src/${layer} must not import Node builtins (layering rule)`,
    });
  }
  for (const name of rule.packages.filter((p) => !(forTests && TEST_TOOLS.has(p)))) {
    patterns.push({
      regex: `^${escape(name)}(?:/|$)`,
      caseSensitive: true,
      message: `src/${layer} must not import '${name}' (layering rule)`,
    });
  }
  if (rule.onlyElectron) {
    patterns.push({
      regex: forTests ? '^(?!electron$|vitest$|\\.)' : '^(?!electron$|\\.)',
      message: `src/${layer} may only import 'electron' and src/contract (layering rule)`,
    });
  }
  const up = `(?:\\.\\/)?(?:\\.\\.\\/){${depth + 1}}`;
  const allowed = ALLOWED_LAYERS[layer].join('|');
  // Non-sealed layers may reach files beside src/ (e.g. package.json).
  const outside = SEALED.has(layer) ? '' : '|\\.\\.(?:/|$)';
  patterns.push({ regex: `^${up}(?!(?:${allowed})(?:/|$)${outside})`, message: sealedMsg });
  patterns.push({ regex: `^${up}(?:${allowed})/\\.\\.(?:/|$)`, message: sealedMsg });
  return ['error', { paths, patterns }];
}

function layerBlocks() {
  const blocks = [];
  for (const layer of Object.keys(FORBIDDEN)) {
    for (let depth = 0; depth <= MAX_DEPTH; depth++) {
      const dir = `src/${layer}/${'*/'.repeat(depth)}`;
      blocks.push({
        name: `statepipe/layering/${layer}/${depth}`,
        files: [`${dir}*.{ts,tsx,mts,cts,js,mjs,cjs,jsx}`],
        rules: { 'no-restricted-imports': restrictedImports(layer, depth) },
      });
      // Tests may use Node builtins (temp files, fixtures) and test tools but keep the layer boundaries.
      blocks.push({
        name: `statepipe/layering/${layer}/${depth}/tests`,
        files: [`${dir}*.test.{ts,tsx}`],
        rules: { 'no-restricted-imports': restrictedImports(layer, depth, { forTests: true }) },
      });
    }
  }
  return blocks;
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', '.tmp/**'] },
  {
    files: ['{src,test,e2e,bench}/**/*.{ts,tsx,mts,cts}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.es2021 },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // Stylistic; reported but not fatal.
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // `import { z } from 'zod'` (the namespace as one binding) keeps every zod module in the CLI's
    // bundle (esbuild cannot see which parts are used); `import * as z` lets it drop the rest.
    files: ['src/{core,contract,host,server,cli,main}/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z']",
          message: "import * as z from 'zod' (a named `z` defeats tree-shaking in the CLI bundle)",
        },
      ],
    },
  },
  {
    files: ['src/{host,server,cli,main}/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.node } },
  },
  ...layerBlocks(),
);
