import { describe, it, expect } from 'vitest';
import { NodeFailure } from '../errors.js';
import type { TemplateScope } from '../ports.js';
import {
  TEMPLATE_RE,
  evalCondition,
  parseTemplateString,
  renderConfig,
  renderTemplates,
  templateExpressions,
} from './templates.js';
import { expressionRefs, referencedNodes } from './expression-refs.js';

const scope: TemplateScope = {
  input: { vendor: 'Acme', n: 3, ok: true, nothing: null, items: [{ name: 'a' }, { name: 'b' }], tags: ['x', 'y'] },
  nodes: {
    extract: { output: { json: { entities: ['Alice', 'Bob'] }, text: 'hi' } },
    gate: { output: { approved: true } },
  },
};

async function failure(p: Promise<unknown>): Promise<NodeFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(NodeFailure);
    return err as NodeFailure;
  }
  throw new Error('expected a NodeFailure');
}

describe('template strings', () => {
  it('TEMPLATE_RE finds simple templates', () => {
    expect([...'a {{ input.x }} b {{nodes.y.output}}'.matchAll(TEMPLATE_RE)].map((m) => m[1])).toEqual([
      'input.x',
      'nodes.y.output',
    ]);
  });

  it('templateExpressions walks objects and arrays deep', () => {
    const value = {
      a: 'x {{input.a}}',
      b: [1, { c: '{{ nodes.n.output }} and {{$count(input.l)}}' }],
      d: null,
      e: 'plain',
    };
    expect(templateExpressions(value)).toEqual(['input.a', 'nodes.n.output', '$count(input.l)']);
  });

  it('splits expressions that hold braces and quotes', () => {
    expect(parseTemplateString('{{ {"a": {"b": "}}"}} }}!')).toEqual([{ expr: '{"a": {"b": "}}"}}' }, { text: '!' }]);
  });

  it('refuses an unterminated or empty template', () => {
    expect(() => parseTemplateString('hello {{input.x')).toThrow(/unterminated/);
    expect(() => parseTemplateString('hello {{  }}')).toThrow(/empty template/);
  });
});

describe('renderTemplates', () => {
  it('keeps the JSON type of a string that is exactly one template', async () => {
    const out = await renderTemplates(
      {
        n: '{{input.n}}',
        ok: '{{input.ok}}',
        nul: '{{input.nothing}}',
        arr: '{{nodes.extract.output.json.entities}}',
        obj: '{{nodes.gate.output}}',
        s: '{{input.vendor}}',
      },
      scope,
    );
    expect(out).toEqual({ n: 3, ok: true, nul: null, arr: ['Alice', 'Bob'], obj: { approved: true }, s: 'Acme' });
  });

  it('gives plain arrays and objects for JSONata sequences and constructors', async () => {
    const names = (await renderTemplates('{{input.items.name}}', scope)) as unknown[];
    expect(names).toEqual(['a', 'b']);
    expect(Object.keys(names)).toEqual(['0', '1']);
    const obj = (await renderTemplates('{{ {"k": {"v": input.n}} }}', scope)) as object;
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(obj).toEqual({ k: { v: 3 } });
  });

  it('renders a template inside a longer string as text', async () => {
    expect(await renderTemplates('Vendor {{input.vendor}} has {{input.n}} ({{input.ok}})', scope)).toBe(
      'Vendor Acme has 3 (true)',
    );
    expect(await renderTemplates('tags={{input.tags}} gate={{nodes.gate.output}} nul={{input.nothing}}', scope)).toBe(
      'tags=["x","y"] gate={"approved":true} nul=null',
    );
    expect(await renderTemplates(' {{input.n}}', scope)).toBe(' 3');
  });

  it('renders deep and leaves non-string leaves as they are', async () => {
    const inner = { keep: 1 };
    const out = await renderTemplates(
      { a: [1, '{{input.n}}', { b: 'x{{input.vendor}}' }], c: false, d: null, e: 2.5, f: 'plain' },
      scope,
    );
    expect(out).toEqual({ a: [1, 3, { b: 'xAcme' }], c: false, d: null, e: 2.5, f: 'plain' });
    expect(await renderTemplates(inner, scope)).toEqual(inner);
    expect(await renderTemplates(7, scope)).toBe(7);
  });

  it('supports defaults for optional references', async () => {
    const t = "{{$exists(nodes.approval.output.by) ? nodes.approval.output.by : 'n/a'}}";
    expect(await renderTemplates(t, scope)).toBe('n/a');
  });

  it('fails with kind template and the expression when a value is undefined', async () => {
    const err = await failure(renderTemplates({ x: 'Hello {{nodes.missing.output.text}}' }, scope));
    expect(err.kind).toBe('template');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('nodes.missing.output.text');
    expect(err.message).toMatch(/undefined/);
    expect((await failure(renderTemplates('{{input.nope}}', scope))).message).toContain('input.nope');
  });

  it('fails with kind template on a syntax or evaluation error', async () => {
    expect((await failure(renderTemplates('{{input.(}}', scope))).kind).toBe('template');
    const err = await failure(renderTemplates('{{$number("x") + $foo()}}', scope));
    expect(err.kind).toBe('template');
  });

  it('renderConfig passes untemplated fields as written', async () => {
    const config = {
      prompt: '{{input.vendor}}',
      code: 'return "{{input.vendor}}"',
      mock: { reply: '{{x}}' },
      outputSchema: { description: '{{y}}' },
    };
    expect(await renderConfig(config, scope)).toEqual({ ...config, prompt: 'Acme' });
  });
});

describe('evalCondition', () => {
  it('gives a boolean', async () => {
    expect(await evalCondition("input.vendor = 'Acme'", scope)).toBe(true);
    expect(await evalCondition('input.n > 5', scope)).toBe(false);
    expect(await evalCondition('$exists(nodes.nope.output)', scope)).toBe(false);
  });

  it('fails with kind template for a non-boolean or nothing', async () => {
    const err = await failure(evalCondition('input.vendor', scope));
    expect(err.kind).toBe('template');
    expect(err.message).toMatch(/input\.vendor.*boolean/);
    expect((await failure(evalCondition('nodes.nope.output.x = 1 ? nodes.nope.output : undefined', scope))).kind).toBe(
      'template',
    );
    expect((await failure(evalCondition('input.nope', scope))).message).toContain('input.nope');
  });
});

describe('referencedNodes (syntax tree)', () => {
  const refs = (e: string) => [...referencedNodes(e)].sort();

  it('finds plain paths', () => {
    expect(refs('nodes.extract.output.json.entities[0]')).toEqual(['extract']);
    expect(refs('input.vendor & nodes.a.output.text & nodes.b.output')).toEqual(['a', 'b']);
    expect(refs('input.vendor')).toEqual([]);
  });

  it('looks inside function arguments, conditionals and $exists', () => {
    expect(refs('$count(nodes.extract.output.json.entities)')).toEqual(['extract']);
    expect(refs("$exists(nodes.gate.output.by) ? nodes.gate.output.by : 'n/a'")).toEqual(['gate']);
    expect(refs("$exists(nodes.a.output) ? 'x' : $string(nodes.b.output)")).toEqual(['a', 'b']);
    expect(refs('$join($map(input.items, function($v) { $v & nodes.m.output }), ",")')).toEqual(['m']);
  });

  it('looks inside predicates, blocks, object constructors and sort/group', () => {
    expect(refs('nodes.a.output.items[id = $$.nodes.b.output.id]')).toEqual(['a', 'b']);
    expect(refs('nodes.a.output[x = nodes.b.output]')).toEqual(['a', 'b']);
    expect(refs('input.items.(nodes.c.output)')).toEqual(['c']);
    expect(refs('{"k": nodes.d.output, "l": [nodes.e.output]}')).toEqual(['d', 'e']);
    expect(refs('input.items{name: nodes.f.output}')).toEqual(['f']);
    expect(refs('($x := nodes.g.output; $x.y)')).toEqual(['g']);
  });

  it('handles $$, $, backtick ids and $lookup with a literal id', () => {
    expect(refs('$$.nodes.root.output')).toEqual(['root']);
    expect(refs('$.nodes.here.output')).toEqual(['here']);
    expect(refs('nodes.`weird-id`.output')).toEqual(['weird-id']);
    expect(refs('$lookup(nodes, "z").output')).toEqual(['z']);
  });

  it('ignores look-alikes that are not reads of nodes', () => {
    expect(refs('input.nodes.q')).toEqual([]);
    expect(refs('"nodes.fake.output"')).toEqual([]);
    expect(refs('$nodes.x')).toEqual([]);
    expect(refs('input.x.nodes')).toEqual([]);
  });

  it('flags dynamic reads of nodes', () => {
    expect(expressionRefs('nodes.*.output').dynamic).toBe(true);
    expect(expressionRefs('$keys(nodes)').dynamic).toBe(true);
    expect(expressionRefs('nodes[0]').dynamic).toBe(true);
    expect(expressionRefs('$lookup(nodes, input.id)').dynamic).toBe(true);
    expect(expressionRefs('nodes.a.output').dynamic).toBe(false);
  });

  it('throws a template failure for an unparsable expression', () => {
    let caught: unknown;
    try {
      referencedNodes('nodes.a.output +');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NodeFailure);
    expect((caught as NodeFailure).kind).toBe('template');
    expect((caught as NodeFailure).message).toContain('nodes.a.output +');
  });
});
