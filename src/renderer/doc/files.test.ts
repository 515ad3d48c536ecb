// Graph files as the studio reads them: YAML (the CLI's other format) read as the CLI reads it,
// in its words; JSON as before.
import { describe, expect, it } from 'vitest';
import { isYamlName, readGraphText, readYamlGraph } from './files';

const YAML = `format: statepipe.graph
version: 1
id: greet
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

describe('graph files', () => {
  it('reads a YAML graph as the same graph its JSON is', async () => {
    const graph = await readYamlGraph(YAML, 'greet.yaml');
    expect(graph.nodes.map((n) => n.id)).toEqual(['start', 'hello']);
    expect(graph.nodes[1]!.config).toEqual({ template: 'Hello {{input.name}}' });
    expect(readGraphText(JSON.stringify(graph), 'greet.json')).toEqual(graph);
  });

  it('names the file and the line of a YAML syntax error, a duplicate key, an empty file', async () => {
    await expect(readYamlGraph('format: statepipe.graph\nnodes: [\n', 'broken.yml')).rejects.toThrow(
      /^broken\.yml:\d+: not valid YAML: /,
    );
    await expect(readYamlGraph(`${YAML}id: again\n`, 'twice.yaml')).rejects.toThrow(
      /^twice\.yaml:13: not valid YAML: Map keys must be unique/,
    );
    await expect(readYamlGraph('  \n', 'empty.yaml')).rejects.toThrow('empty.yaml: not valid YAML: the file is empty');
  });

  it('refuses a YAML file that is not a graph, naming the field', async () => {
    await expect(
      readYamlGraph('format: statepipe.graph\nversion: 1\nid: x\nnodes: 3\nedges: []\n', 'x.yaml'),
    ).rejects.toThrow(/^x\.yaml: nodes: /);
  });

  it('bounds aliases (a YAML bomb is refused, not expanded)', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    await expect(readYamlGraph(lines.join('\n'), 'bomb.yaml')).rejects.toThrow(/^bomb\.yaml: not valid YAML: .*alias/i);
  });

  it('knows a YAML file by its name', () => {
    expect(['g.yaml', 'g.YML', 'g.yml'].map(isYamlName)).toEqual([true, true, true]);
    expect(['g.json', 'yaml.json', 'g.yaml.txt'].map(isYamlName)).toEqual([false, false, false]);
  });
});
