import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.js';
import { chain, edge, node, rawGraph } from './fixtures.js';
import type { Graph } from './schema.js';
import { parseGraphText, serializeGraph, validateGraph, validateRunInput } from './validate.js';

/** The AppError('validation') thrown by `fn`. */
function refused(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('validation');
    expect((err as AppError).issues!.length).toBeGreaterThan(0);
    return err as AppError;
  }
  throw new Error('expected a validation error');
}

const refuse = (raw: unknown) => refused(() => validateGraph(raw, 'graph.json'));
const withNodes = (
  g: Record<string, unknown>,
  f: (nodes: Record<string, unknown>[], edges: Record<string, unknown>[]) => void,
) => {
  f(g['nodes'] as Record<string, unknown>[], g['edges'] as Record<string, unknown>[]);
  return g;
};

const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples', import.meta.url));

describe('example graphs', () => {
  for (const name of ['vendor-onboarding', 'document-pipeline']) {
    it(`${name}.json validates and saves to stable bytes`, () => {
      const text = readFileSync(`${EXAMPLES_DIR}/${name}.json`, 'utf8');
      const g = parseGraphText(text, `${name}.json`);
      expect(g.id).toBe(name);
      const bytes = serializeGraph(g);
      expect(serializeGraph(parseGraphText(bytes))).toBe(bytes);
      expect(JSON.parse(bytes)).toEqual(JSON.parse(text)); // nothing added or lost
      expect(Object.keys(JSON.parse(bytes))[0]).toBe('format');
    });
  }
});

describe('validateGraph: accepted graphs', () => {
  it('accepts a chain, gives input nodes an empty config and leaves the raw object alone', () => {
    const raw = chain();
    const g = validateGraph(raw);
    expect(g.nodes[0]!.config).toEqual({});
    expect((raw['nodes'] as Record<string, unknown>[])[0]!['config']).toBeUndefined();
  });

  it('accepts a root that is not an input node', () => {
    expect(() =>
      validateGraph(
        rawGraph([node.transform('t', { a: 1 }), node.output('o', '{{nodes.t.output}}')], [edge('e', 't', 'o')]),
      ),
    ).not.toThrow();
  });

  it('does not look for templates in code, mock, outputSchema or tools[*].inputSchema', () => {
    const g = rawGraph(
      [
        node.code('c', 'return "{{nodes.later.output}} {{ ( }}"'),
        node.llm('l', 'hi', {
          mock: { reply: '{{nodes.later.output}}' },
          outputSchema: { type: 'object', description: '{{nodes.later.output}}' },
        }),
        {
          id: 'ag',
          type: 'agent',
          config: {
            provider: 'mock',
            model: 'm',
            prompt: 'go',
            tools: [
              {
                name: 't',
                inputSchema: { type: 'object', description: '{{nodes.later.output}}' },
                run: { type: 'code', config: { code: 'return "{{nodes.later.output}}"' } },
              },
            ],
          },
        },
        node.transform('later', 1),
      ],
      [edge('e1', 'c', 'later'), edge('e2', 'l', 'later'), edge('e3', 'ag', 'later')],
    );
    expect(() => validateGraph(g)).not.toThrow();
  });

  it('lets a compensation read its own node output', () => {
    const g = chain();
    withNodes(g, (nodes) => {
      nodes[1]!['compensate'] = {
        type: 'http',
        config: { method: 'DELETE', url: 'https://x/{{nodes.extract.output.text}}/{{input.text}}' },
      };
    });
    expect(() => validateGraph(g)).not.toThrow();
  });
});

describe('validateGraph: refused graphs name the node, edge or field', () => {
  it('not JSON: names the file and the position', () => {
    const err = refused(() => parseGraphText('{\n  "format": "statepipe.graph",\n  "version": 1,\n}', 'broken.json'));
    expect(err.message).toMatch(/^broken\.json: not valid JSON: .* at line 4, column 1$/);
    expect(refused(() => parseGraphText('{\n  "a": tru\n}', 'tok.json')).message).toBe(
      "tok.json: not valid JSON: Unexpected token '\\n' at line 2, column 8",
    );
    expect(refused(() => parseGraphText('{"a": 1} x', 'x.json')).message).toMatch(/at line 1, column 10$/);
    expect(refused(() => parseGraphText('', 'empty.json')).message).toBe(
      'empty.json: not valid JSON: the file is empty',
    );
    expect(refused(() => parseGraphText('[1, 2]', 'arr.json')).message).toBe('arr.json: a graph must be a JSON object');
  });

  it('wrong format and version name the field', () => {
    expect(refuse({ ...chain(), format: 'other' }).message).toBe(
      'graph.json: format: must be "statepipe.graph", got "other"',
    );
    const err = refuse({ ...chain(), version: 2 });
    expect(err.message).toBe('graph.json: version: must be 1, got 2 (unsupported version)');
    expect(err.issues![0]!.path).toBe('version');
  });

  it('graph id pattern', () => {
    const err = refuse({ ...chain(), id: 'Bad Id' });
    expect(err.message).toMatch(/^graph\.json: id: graph id must match/);
  });

  it('node id pattern names the node', () => {
    const g = withNodes(chain(), (nodes) => (nodes[1]!['id'] = 'has space'));
    expect(refuse(g).message).toMatch(/^graph\.json: nodes\[has space\]\.id: node id must match/);
  });

  it('duplicate node id', () => {
    const g = withNodes(chain(), (nodes) => nodes.push(node.transform('extract', 1)));
    const err = refuse(g);
    expect(err.message).toBe('graph.json: nodes[extract].id: duplicate node id "extract"');
    expect(err.issues![0]!.nodeId).toBe('extract');
  });

  it('duplicate edge id', () => {
    const g = withNodes(chain(), (nodes, edges) => {
      nodes.push(node.transform('t', 1));
      edges.push(edge('e1', 'extract', 't'));
    });
    const err = refuse(g);
    expect(err.message).toBe('graph.json: edges[e1].id: duplicate edge id "e1"');
    expect(err.issues![0]!.edgeId).toBe('e1');
  });

  it('edge to or from a missing node', () => {
    const to = withNodes(chain(), (_n, edges) => edges.push(edge('e9', 'summary', 'ghost')));
    expect(refuse(to).message).toBe('graph.json: edges[e9].target: target node "ghost" does not exist');
    const from = withNodes(chain(), (_n, edges) => edges.push(edge('e9', 'ghost', 'summary')));
    const err = refuse(from);
    expect(err.message).toBe('graph.json: edges[e9].source: source node "ghost" does not exist');
    expect(err.issues![0]!.edgeId).toBe('e9');
  });

  it('a cycle lists the nodes on it', () => {
    const g = rawGraph(
      [node.input('start'), node.transform('a', 1), node.transform('b', 2), node.transform('c', 3)],
      [edge('e0', 'start', 'a'), edge('e1', 'a', 'b'), edge('e2', 'b', 'c'), edge('e3', 'c', 'a')],
    );
    const err = refuse(g);
    expect(err.message).toBe('graph.json: edges[e3]: the graph has a cycle: a -> b -> c -> a');
    expect(err.issues![0]).toMatchObject({ edgeId: 'e3', nodeId: 'a' });
    const self = rawGraph([node.transform('a', 1)], [edge('loop', 'a', 'a')]);
    expect(refuse(self).message).toContain('a -> a');
  });

  it('unknown node type', () => {
    const g = withNodes(chain(), (nodes) => (nodes[2]!['type'] = 'llmm'));
    const err = refuse(g);
    expect(err.message).toMatch(/^graph\.json: nodes\[summary\]\.type: unknown node type "llmm"/);
    expect(err.issues![0]!.nodeId).toBe('summary');
  });

  it('missing required config names the config field', () => {
    const g = withNodes(chain(), (nodes) => delete (nodes[1]!['config'] as Record<string, unknown>)['prompt']);
    expect(refuse(g).message).toBe('graph.json: nodes[extract].config.prompt: is required');
    const noConfig = rawGraph([{ id: 'wait', type: 'delay' }], []);
    expect(refuse(noConfig).message).toBe('graph.json: nodes[wait].config.ms: is required');
    const noTemplate = rawGraph([{ id: 't', type: 'transform', config: {} }], []);
    expect(refuse(noTemplate).issues![0]!.path).toBe('nodes[t].config.template');
  });

  it('invalid config values name the field', () => {
    const g = withNodes(chain(), (nodes) => ((nodes[1]!['config'] as Record<string, unknown>)['provider'] = 'skynet'));
    expect(refuse(g).message).toMatch(/^graph\.json: nodes\[extract\]\.config\.provider: expected one of/);
    const tool = rawGraph(
      [
        {
          id: 'ag',
          type: 'agent',
          config: {
            provider: 'mock',
            model: 'm',
            prompt: 'p',
            tools: [{ name: 't', run: { type: 'http', config: { method: 'GET' } } }],
          },
        },
      ],
      [],
    );
    expect(refuse(tool).message).toBe('graph.json: nodes[ag].config.tools[0].run.config.url: is required');
    const comp = withNodes(chain(), (nodes) => (nodes[1]!['compensate'] = { type: 'code', config: {} }));
    expect(refuse(comp).message).toBe('graph.json: nodes[extract].compensate.config.code: is required');
  });

  it("a code node's syntax error names the node, the field, the line and the column, without running it", () => {
    const broken = 'const x = input.items.map(i => i * 2\nreturn x;)';
    const code = rawGraph(
      [node.input('start'), { id: 'calc', type: 'code', config: { code: broken } }],
      [edge('e1', 'start', 'calc')],
    );
    expect(refuse(code).issues).toEqual([
      {
        path: 'nodes[calc].config.code',
        nodeId: 'calc',
        message: 'syntax error at line 2, column 1: Unexpected token',
      },
    ]);
    // The same in an agent's code tool and in a code compensation.
    const tool = rawGraph(
      [
        {
          id: 'ag',
          type: 'agent',
          config: {
            provider: 'mock',
            model: 'm',
            prompt: 'p',
            tools: [{ name: 't', run: { type: 'code', config: { code: 'return )' } } }],
          },
        },
      ],
      [],
    );
    expect(refuse(tool).message).toBe(
      'graph.json: nodes[ag].config.tools[0].run.config.code: syntax error at line 1, column 8: Unexpected token',
    );
    const comp = withNodes(chain(), (nodes) => (nodes[1]!['compensate'] = { type: 'code', config: { code: 'if (' } }));
    expect(refuse(comp).message).toMatch(
      /^graph\.json: nodes\[extract\]\.compensate\.config\.code: syntax error at line 1/,
    );
    const fixed = rawGraph(
      [node.input('start'), { id: 'calc', type: 'code', config: { code: 'return input;' } }],
      [edge('e1', 'start', 'calc')],
    );
    expect(() => validateGraph(fixed)).not.toThrow();
  });

  it('bounds read as words, not as the schema library says them', () => {
    const empty = withNodes(chain(), (nodes) => ((nodes[1]!['config'] as Record<string, unknown>)['model'] = ''));
    expect(refuse(empty).message).toBe('graph.json: nodes[extract].config.model: must not be empty');
    const negative = rawGraph([{ id: 'wait', type: 'delay', config: { ms: -5 } }], []);
    expect(refuse(negative).message).toBe('graph.json: nodes[wait].config.ms: must be at least 0');
  });

  it('a template path to a non-upstream node', () => {
    const g = withNodes(chain(), (nodes) => {
      (nodes[1]!['config'] as Record<string, unknown>)['prompt'] =
        'Use {{nodes.summary.output.text}} and {{nodes.summary.output.json}}';
    });
    const err = refuse(g);
    expect(err.message).toBe(
      'graph.json: nodes[extract].config.prompt: references node "summary", which is not upstream of "extract"',
    );
    expect(err.issues).toHaveLength(1);
    expect(err.issues![0]).toMatchObject({ nodeId: 'extract', path: 'nodes[extract].config.prompt' });
  });

  it('a template reading a sibling branch, itself, or a node that does not exist', () => {
    const g = rawGraph(
      [
        node.input('start'),
        node.transform('a', { deep: ['x {{nodes.b.output}}'] }),
        node.transform('b', '{{nodes.b.output}}'),
        node.output('o', '{{nodes.ghost.output}}'),
      ],
      [edge('e1', 'start', 'a'), edge('e2', 'start', 'b'), edge('e3', 'a', 'o'), edge('e4', 'b', 'o')],
    );
    const err = refuse(g);
    expect(err.message).toBe(
      'graph.json: nodes[a].config.template.deep[0]: references node "b", which is not upstream of "a" (+2 more)',
    );
    expect(err.issues!.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'nodes[a].config.template.deep[0]: references node "b", which is not upstream of "a"',
      'nodes[b].config.template: references node "b", which is not upstream of "b"',
      'nodes[o].config.value: references node "ghost", which does not exist',
    ]);
  });

  it('non-upstream references in condition.expression, tool run config and compensate.config', () => {
    const cond = withNodes(chain(), (nodes, edges) => {
      nodes.push(node.condition('check', "nodes.summary.output.text = 'x'"));
      edges.push(edge('e3', 'extract', 'check'));
    });
    expect(refuse(cond).message).toBe(
      'graph.json: nodes[check].config.expression: references node "summary", which is not upstream of "check"',
    );

    const comp = withNodes(chain(), (nodes) => {
      nodes[1]!['compensate'] = {
        type: 'http',
        config: { method: 'DELETE', url: 'https://x/{{nodes.summary.output.text}}' },
      };
    });
    expect(refuse(comp).message).toBe(
      'graph.json: nodes[extract].compensate.config.url: references node "summary", which is not upstream of "extract"',
    );

    const tool = withNodes(chain(), (nodes) => {
      nodes[1]!['type'] = 'agent';
      (nodes[1]!['config'] as Record<string, unknown>)['tools'] = [
        {
          name: 'lookup',
          run: { type: 'http', config: { method: 'GET', url: 'https://x/{{nodes.summary.output.text}}' } },
        },
      ];
    });
    expect(refuse(tool).message).toBe(
      'graph.json: nodes[extract].config.tools[0].run.config.url: references node "summary", which is not upstream of "extract"',
    );
  });

  it('http verify: templates and expressions checked like the others, only on unsafe nodes, not with poll', () => {
    const http = (id: string, config: Record<string, unknown>) => ({ id, type: 'http' as const, config });
    const verify = { url: 'http://shop/orders/{{idempotencyKey}}', expect: 'response.status = 200' };
    const graphOf = (...nodes: ReturnType<typeof http>[]) =>
      rawGraph(
        [node.input('start'), ...nodes, node.output('o', 'x')],
        [edge('e1', 'start', 'a'), edge('e2', 'a', 'o'), ...(nodes.length > 1 ? [edge('e3', 'a', 'b')] : [])],
      );
    const post = { method: 'POST', url: 'http://shop/orders' };
    expect(
      validateGraph(graphOf(http('a', { ...post, verify: { ...verify, output: 'response.body.order' } }))).nodes,
    ).toHaveLength(3);
    const bad = refuse(
      graphOf(
        http('a', {
          ...post,
          verify: {
            url: 'http://shop/{{nodes.b.output}}',
            expect: 'response.status =',
            headers: { x: '{{nodes.ghost.output}}' },
          },
        }),
        http('b', { method: 'GET', url: 'http://shop/x', verify }),
      ),
    );
    // Where it applies is checked with the config; its templates once the graph's shape is known.
    expect(bad.issues!.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'nodes[b].config.verify: applies to unsafe nodes only (POST, PATCH or sideEffect "unsafe"): this node is sent again after a crash',
      'nodes[a].config.verify.url: references node "b", which is not upstream of "a"',
      'nodes[a].config.verify.headers.x: references node "ghost", which does not exist',
      expect.stringMatching(/^nodes\[a\]\.config\.verify\.expect: invalid verify\.expect: /) as unknown as string,
    ]);
    const polled = refuse(
      graphOf(
        http('a', {
          ...post,
          verify,
          poll: { url: 'http://shop/jobs/1', intervalMs: 100, until: 'true', maxWaitMs: 1000 },
        }),
      ),
    );
    expect(polled.issues!.map((i) => i.message)).toEqual([
      'cannot be combined with poll (a polled node records its submit and polls on after a crash)',
    ]);
    const shape = refuse(graphOf(http('a', { ...post, verify: { url: 'http://shop', extra: 1 } })));
    expect(shape.issues!.map((i) => i.path).sort()).toEqual([
      'nodes[a].config.verify',
      'nodes[a].config.verify.expect',
    ]);
  });

  it('a template with a JSONata syntax error names the field', () => {
    const g = chain('Summarize {{nodes.extract.output.text +}}');
    const err = refuse(g);
    expect(err.message).toMatch(
      /^graph\.json: nodes\[summary\]\.config\.prompt: invalid template \{\{nodes\.extract\.output\.text \+\}\}: /,
    );
    const cond = withNodes(chain(), (nodes, edges) => {
      nodes.push(node.condition('check', 'nodes.extract.output.text = = 1'));
      edges.push(edge('e3', 'extract', 'check'));
    });
    expect(refuse(cond).message).toMatch(/^graph\.json: nodes\[check\]\.config\.expression: invalid expression: /);
    expect(refuse(chain('oops {{nodes.extract.output')).message).toMatch(
      /nodes\[summary\]\.config\.prompt: unterminated template/,
    );
  });

  it('"when" on an edge whose source is neither condition nor approval', () => {
    const g = withNodes(chain(), (_n, edges) => (edges[1]!['when'] = true));
    const err = refuse(g);
    expect(err.message).toBe(
      'graph.json: edges[e2].when: "when" is only allowed on edges leaving a condition or approval node; "extract" is a llm node',
    );
    expect(err.issues![0]!.edgeId).toBe('e2');
  });

  it('"when" that is not a boolean', () => {
    const g = rawGraph(
      [node.condition('c', 'true'), node.transform('t', 1)],
      [{ id: 'e1', source: 'c', target: 't', when: 'yes' as unknown as boolean }],
    );
    expect(refuse(g).message).toBe('graph.json: edges[e1].when: expected boolean, received string');
  });

  it('accepts "when" edges from condition and approval nodes', () => {
    const g = rawGraph(
      [node.condition('c', 'true'), node.approval('ok'), node.transform('t', 1), node.transform('u', 2)],
      [edge('e1', 'c', 'ok', true), edge('e2', 'c', 't', false), edge('e3', 'ok', 'u', false)],
    );
    expect(() => validateGraph(g)).not.toThrow();
  });

  it('an input that is not a valid JSON Schema', () => {
    const err = refuse({ ...chain(), input: { type: 'object', required: 'vendor' } });
    expect(err.message).toMatch(/^graph\.json: input: is not a valid JSON Schema: schema\/required must be array/);
    expect(refuse({ ...chain(), input: { type: 'strin' } }).issues![0]!.path).toBe('input');
  });

  it('an outputSchema that is not a valid JSON Schema', () => {
    const g = withNodes(
      chain(),
      (nodes) => ((nodes[1]!['config'] as Record<string, unknown>)['outputSchema'] = { type: 12 }),
    );
    const err = refuse(g);
    expect(err.message).toMatch(/^graph\.json: nodes\[extract\]\.config\.outputSchema: is not a valid JSON Schema/);
    expect(err.issues![0]!.nodeId).toBe('extract');
  });

  it('reports every issue and names the first with a count', () => {
    const g = rawGraph(
      [node.transform('a', '{{nodes.z.output}}'), { id: 'b', type: 'nope' }],
      [edge('e1', 'a', 'ghost'), edge('e2', 'a', 'b', true)],
    );
    const err = refuse(g);
    expect(err.message).toMatch(/^graph\.json: nodes\[b\]\.type: unknown node type "nope" .*\(\+3 more\)$/);
    expect(err.issues!.map((i) => i.path)).toEqual([
      'nodes[b].type',
      'edges[e1].target',
      'edges[e2].when',
      'nodes[a].config.template',
    ]);
  });
});

describe('validateGraph: every problem at once', () => {
  it("a node's config error does not hide the composition problems (a missing graph, a library graph's own error)", () => {
    const g = rawGraph(
      [
        node.input('in'),
        { id: 'bad', type: 'http', config: { method: 'GET' } },
        { id: 'each', type: 'map', config: { graph: 'nope', items: '{{input.xs}}' } },
        { id: 'sub', type: 'subgraph', config: { graph: 'child' } },
      ],
      [edge('e1', 'in', 'bad'), edge('e2', 'in', 'each'), edge('e3', 'in', 'sub')],
      { graphs: { child: rawGraph([{ id: 'x', type: 'transform', config: {} }], []) } },
    );
    const err = refused(() => validateGraph(g, 'graph.json', { missing: 'refuse' }));
    expect(err.issues!.map((i) => i.path)).toEqual(['nodes[bad].config.url', 'graphs[child].nodes[x].config.template']);
    // The library repaired, the missing graph shows beside the node's error.
    const lib = { graphs: { child: rawGraph([node.input('x')], []) } };
    const again = refused(() => validateGraph({ ...g, ...lib }, 'graph.json', { missing: 'refuse' }));
    expect(again.issues!.map((i) => i.path)).toEqual(['nodes[bad].config.url', 'nodes[each].config.graph']);
  });
});

describe('validateRunInput', () => {
  const g = validateGraph({
    ...chain(),
    input: {
      type: 'object',
      properties: { vendor: { type: 'string' }, items: { type: 'array', items: { type: 'number' } } },
      required: ['vendor'],
      additionalProperties: false,
    },
  });

  it('accepts valid input and graphs without an input schema', () => {
    expect(() => validateRunInput(g, { vendor: 'Acme', items: [1] })).not.toThrow();
    const { input: _input, ...noSchema } = g;
    expect(() => validateRunInput(noSchema as Graph, 42)).not.toThrow();
  });

  it('handles recursive schemas, $id reuse and ignores unknown formats', () => {
    const tree = {
      $id: 'https://example.com/tree',
      type: 'object',
      properties: { kids: { type: 'array', items: { $ref: '#' } }, mail: { type: 'string', format: 'email' } },
    };
    const a = validateGraph({ ...chain(), input: tree });
    const b = validateGraph({ ...chain(), input: JSON.parse(JSON.stringify(tree)) });
    expect(() => validateRunInput(a, { kids: [{ kids: [], mail: 'not-a-mail' }] })).not.toThrow();
    expect(refused(() => validateRunInput(b, { kids: [{ kids: 3 }] })).message).toBe(
      'input.kids[0].kids: must be array',
    );
  });

  it('names the JSON path of what is wrong', () => {
    expect(refused(() => validateRunInput(g, {})).message).toBe("input: must have required property 'vendor'");
    expect(refused(() => validateRunInput(g, { vendor: 'x', items: [1, 'two'] })).message).toBe(
      'input.items[1]: must be number',
    );
    const err = refused(() => validateRunInput(g, { vendor: 1, extra: true }));
    expect(err.message).toMatch(/\(\+1 more\)$/);
    expect(err.issues!.map((i) => i.path).sort()).toEqual(['input', 'input.vendor']);
  });
});

describe('serializeGraph', () => {
  it('writes a stable key order and keeps unknown keys', () => {
    const g = validateGraph({
      edges: [{ target: 'b', custom: 1, source: 'a', id: 'e1' }],
      nodes: [
        { config: { template: { z: 1, a: 2 } }, x: 1, type: 'transform', id: 'a', position: { y: 2, x: 1 } },
        { type: 'transform', id: 'b', config: { template: 2 } },
      ],
      extra: { keep: true },
      concurrency: 2,
      id: 'ordered',
      version: 1,
      format: 'statepipe.graph',
    });
    const text = serializeGraph(g);
    const back = JSON.parse(text);
    expect(Object.keys(back)).toEqual(['format', 'version', 'id', 'concurrency', 'nodes', 'edges', 'extra']);
    expect(Object.keys(back.nodes[0])).toEqual(['id', 'type', 'position', 'config', 'x']);
    expect(Object.keys(back.nodes[0].config.template)).toEqual(['z', 'a']);
    expect(Object.keys(back.nodes[0].position)).toEqual(['y', 'x']);
    expect(Object.keys(back.edges[0])).toEqual(['id', 'source', 'target', 'custom']);
    expect(text.endsWith('}\n')).toBe(true);
    expect(serializeGraph(parseGraphText(text))).toBe(text);
  });

  it('leaves out an empty config', () => {
    const text = serializeGraph(validateGraph(chain()));
    expect(JSON.parse(text).nodes[0]).toEqual({ id: 'start', type: 'input' });
  });
});
