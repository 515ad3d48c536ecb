/**
 * The docs in docs/ stay true to the code. Each list is read from the code itself (the CLI's
 * commander program, the graph schema, the RunEvent union, the error kinds, the API contract),
 * never from the help text, so a flag, node type, config field, event, data field, error kind or
 * API method added without its documentation fails here. Also: every relative link of README.md
 * and docs/*.md leads to a file (and heading) that exists, and the code cites its docs by
 * `docs/<page>.md "Heading"`, never the spec files that are not part of the repository.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import { EXIT } from '../src/cli/exit.js';
import { API_METHOD_NAMES, ERROR_CODES } from '../src/contract/api.js';
import { nodeMachine, runMachine } from '../src/core/engine/machines.js';
import { ERROR_KINDS } from '../src/core/errors.js';
import { RUN_EVENT_TYPES } from '../src/core/events.js';
import * as schema from '../src/core/graph/schema.js';
import { FallbackSchema, MockSchema } from '../src/core/nodes/llm/index.js';
import { PollSchema } from '../src/core/nodes/http/index.js';
import { ToolSchema } from '../src/core/nodes/agent/index.js';
import { NODE_KINDS, NODE_TYPES } from '../src/core/nodes/registry.js';
import {
  anchors,
  hasField,
  hasFlag,
  headings,
  mustSection,
  plain,
  proseLines,
  row,
  rowKeys,
  subsections,
} from './markdown.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');

const DOCS = readdirSync(join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);
const cliMd = read('docs/cli.md');
const graphMd = read('docs/graph-format.md');
const runtimeMd = read('docs/runtime.md');
const httpMd = read('docs/http-api.md');

// ---------------------------------------------------------------- the code's own lists

/** Long flag of an option, else its short one (`-n`). */
const flagOf = (o: { long?: string; short?: string }): string => (o.long ?? o.short)!;

function shapeKeys(s: z.ZodType): string[] {
  if (!(s instanceof z.ZodObject)) throw new Error('not a zod object schema');
  return Object.keys(s.shape);
}

/** The members of an interface (or of the type literals of its members) in a TypeScript file, by parsing it. */
function interfaceMembers(file: string, name: string): ts.TypeElement[] {
  const src = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest, true);
  const decl = src.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name,
  );
  if (!decl) throw new Error(`${file} declares no interface ${name}`);
  return [...decl.members];
}

const memberName = (m: ts.TypeElement): string =>
  m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) ? m.name.text : '';

/** The data fields of every event type, read from `RunEventData` in events.ts: `[name, optional]`. */
function eventFields(): Map<string, [string, boolean][]> {
  const file = 'src/core/events.ts';
  const out = new Map<string, [string, boolean][]>();
  for (const m of interfaceMembers(file, 'RunEventData')) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    let members: readonly ts.TypeElement[] = [];
    if (ts.isTypeLiteralNode(m.type)) members = m.type.members;
    else if (ts.isTypeReferenceNode(m.type) && ts.isIdentifier(m.type.typeName) && m.type.typeName.text !== 'Record')
      members = interfaceMembers(file, m.type.typeName.text);
    out.set(
      memberName(m),
      members.map((x) => [memberName(x), x.questionToken !== undefined]),
    );
  }
  return out;
}

// ---------------------------------------------------------------- tests

describe('docs/cli.md', () => {
  const program = buildProgram(() => undefined);
  const commands = program.commands as Command[];

  it('documents every command, with every flag of the command in its section', () => {
    expect(commands.length).toBeGreaterThan(10);
    for (const cmd of commands) {
      const sec = mustSection(cliMd, 'docs/cli.md', `statepipe ${cmd.name()}`);
      for (const opt of cmd.options) {
        const flag = flagOf(opt);
        expect(hasFlag(sec, flag), `docs/cli.md "statepipe ${cmd.name()}" does not mention ${flag}`).toBe(true);
      }
    }
  });

  it('documents no command the program does not have', () => {
    const names = new Set(commands.map((c) => `statepipe ${c.name()}`));
    for (const title of subsections(cliMd, 'Commands')) expect(names, `docs/cli.md "${title}"`).toContain(title);
  });

  it('documents every global option and every flag shared by the run-driving commands', () => {
    const global = mustSection(cliMd, 'docs/cli.md', 'Global options');
    for (const opt of program.options) expect(hasFlag(global, flagOf(opt)), flagOf(opt)).toBe(true);
    const shared = mustSection(cliMd, 'docs/cli.md', 'Run flags');
    const run = commands.find((c) => c.name() === 'run')!;
    const own = new Set(['--input', '--inputs', '--concurrency', '--detach', '--priority', '--queue']);
    for (const opt of run.options.filter((o) => !own.has(flagOf(o))))
      expect(hasFlag(shared, flagOf(opt)), `docs/cli.md "Run flags" does not explain ${flagOf(opt)}`).toBe(true);
  });

  it('documents every exit code', () => {
    const sec = mustSection(cliMd, 'docs/cli.md', 'Exit codes');
    for (const [what, code] of Object.entries(EXIT))
      expect(row(sec, String(code)), `exit code ${code} (${what})`).toBeDefined();
  });
});

describe('docs/graph-format.md', () => {
  it('documents every node type, with every config field of the type in its section', () => {
    expect(subsections(graphMd, 'Node types').sort()).toEqual([...NODE_TYPES].sort());
    for (const kind of NODE_KINDS) {
      const sec = mustSection(graphMd, 'docs/graph-format.md', kind.type);
      for (const field of shapeKeys(kind.configSchema))
        expect(hasField(sec, field), `docs/graph-format.md "${kind.type}" does not mention config.${field}`).toBe(true);
    }
  });

  it('documents every field of the graph, its nodes, edges, retries, polls, tools, fallbacks and the mock', () => {
    const fields: [string, z.ZodType][] = [
      ['Top level', schema.GraphSchema],
      ['Nodes', schema.NodeSchema],
      ['Edges and skips', schema.EdgeSchema],
      ['Retries', schema.RetrySchema],
      ['Compensation', schema.CompensateSchema],
      ['http', PollSchema],
      ['agent', ToolSchema],
      ['llm', FallbackSchema],
      ['The mock provider', MockSchema],
    ];
    for (const [title, s] of fields) {
      const sec = mustSection(graphMd, 'docs/graph-format.md', title);
      for (const field of shapeKeys(s)) expect(hasField(sec, field), `"${title}" does not mention ${field}`).toBe(true);
    }
    const effects = mustSection(graphMd, 'docs/graph-format.md', 'Side effects');
    for (const v of schema.SideEffectSchema.options) expect(row(effects, v), `side effect ${v}`).toBeDefined();
  });
});

describe('docs/runtime.md', () => {
  it('documents every run and node status', () => {
    const runs = mustSection(runtimeMd, 'docs/runtime.md', 'Run states');
    for (const s of Object.keys(runMachine.config.states ?? {})) expect(row(runs, s), `run status ${s}`).toBeDefined();
    const nodes = mustSection(runtimeMd, 'docs/runtime.md', 'Node states');
    for (const s of Object.keys(nodeMachine.config.states ?? {}))
      expect(row(nodes, s), `node status ${s}`).toBeDefined();
  });

  it('documents every event type with every field of its data', () => {
    const sec = mustSection(runtimeMd, 'docs/runtime.md', 'Events');
    const fields = eventFields();
    expect([...fields.keys()].sort()).toEqual([...RUN_EVENT_TYPES].sort());
    for (const [type, data] of fields) {
      const line = row(sec, type);
      expect(line, `docs/runtime.md "Events" has no row for ${type}`).toBeDefined();
      const cells = line!.split(/(?<!\\)\|/);
      for (const [name, optional] of data)
        expect(cells[2], `${type}: data.${name}${optional ? '?' : ''}`).toContain(`\`${name}${optional ? '?' : ''}\``);
    }
    const known = new Set<string>(RUN_EVENT_TYPES);
    for (const k of rowKeys(sec)) expect(known, `docs/runtime.md "Events" documents ${k}`).toContain(k);
  });

  it('documents every error kind and every hook', () => {
    const kinds = mustSection(runtimeMd, 'docs/runtime.md', 'Error kinds');
    for (const k of ERROR_KINDS) expect(row(kinds, k), `error kind ${k}`).toBeDefined();
    const hooks = mustSection(runtimeMd, 'docs/runtime.md', 'Hooks');
    for (const m of interfaceMembers('src/core/ports.ts', 'RunHooks')) expect(row(hooks, memberName(m))).toBeDefined();
  });
});

describe('docs/http-api.md', () => {
  it('documents every contract method and every error code', () => {
    const methods = mustSection(httpMd, 'docs/http-api.md', 'Methods');
    for (const m of API_METHOD_NAMES) expect(row(methods, m), `API method ${m}`).toBeDefined();
    expect(rowKeys(methods).sort()).toEqual([...API_METHOD_NAMES].sort());
    const errors = mustSection(httpMd, 'docs/http-api.md', 'Errors');
    for (const c of ERROR_CODES) expect(row(errors, c), `API error code ${c}`).toBeDefined();
  });
});

describe('links and citations', () => {
  it('every relative link of README.md and docs/*.md leads to a file and heading that exist', () => {
    const broken: string[] = [];
    for (const file of ['README.md', ...DOCS]) {
      const text = proseLines(read(file))
        .join('\n')
        .replace(/`[^`\n]*`/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const abs = path === '' ? join(root, file) : resolve(dirname(join(root, file)), path);
        if (!existsSync(abs)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && extname(abs) === '.md' && !anchors(readFileSync(abs, 'utf8')).has(anchor))
          broken.push(`${file}: ${target} (no such heading in ${relative(root, abs)})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the code cites docs/<page>.md "Heading" that exist, and never the spec files outside the repository', () => {
    const self = fileURLToPath(import.meta.url);
    const problems: string[] = [];
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) return name === 'node_modules' || name === 'results' ? [] : walk(p);
        return /\.(ts|tsx|js|mjs|cjs|md)$/.test(name) && p !== self ? [p] : [];
      });
    const files = ['src', 'test', 'e2e', 'bench', 'scripts'].flatMap((d) => walk(join(root, d)));
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const at = relative(root, file);
      if (/shared\/spec/.test(text)) problems.push(`${at}: cites shared/spec`);
      for (const m of text.matchAll(/(?<![\w/.-])(?:runtime|graph-format|cli|studio|scale-out|composition)\.md\b/g))
        if (!text.slice(0, m.index).endsWith('docs/')) problems.push(`${at}: cites ${m[0]} (write docs/${m[0]})`);
      for (const m of text.matchAll(/docs\/([\w-]+\.md)(?:\s+"([^"\n]+)")?/g)) {
        const page = `docs/${m[1]}`;
        if (!DOCS.includes(page)) problems.push(`${at}: cites ${page}, which does not exist`);
        else if (m[2] !== undefined && !headings(read(page)).some((h) => plain(h.text) === plain(m[2]!)))
          problems.push(`${at}: cites ${page} "${m[2]}", which has no such heading`);
      }
    }
    expect(problems).toEqual([]);
  });
});
