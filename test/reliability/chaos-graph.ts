/** The graph the chaos test runs: every kind of node that crosses a durability boundary. */
export function chaosGraph(serverUrl: string): Record<string, unknown> {
  return {
    format: 'statepipe.graph',
    version: 1,
    id: 'chaos',
    input: {
      type: 'object',
      properties: { text: { type: 'string' }, id: { type: 'string' } },
      required: ['text', 'id'],
    },
    concurrency: 2,
    nodes: [
      { id: 'start', type: 'input' },
      {
        id: 'draft',
        type: 'llm',
        config: {
          provider: 'mock',
          model: 'mock-1',
          prompt: 'Draft {{input.text}}',
          mock: {
            reply: 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen',
            tokensPerSecond: 50,
          },
        },
      },
      // Idempotent: a PUT keyed by the attempt's Idempotency-Key (the server dedups), safe to re-send.
      {
        id: 'store',
        type: 'http',
        config: { method: 'PUT', url: `${serverUrl}/items/{{input.id}}`, body: { text: '{{input.text}}' } },
      },
      // Unsafe (POST): never re-sent after a crash; in-doubt until a person decides (chaos retries it).
      {
        id: 'notify',
        type: 'http',
        config: { method: 'POST', url: `${serverUrl}/notify`, body: { draft: '{{nodes.draft.output.text}}' } },
      },
      // Unsafe too, but it checks its own effect after a crash (verify): done, retried safely, never in-doubt.
      {
        id: 'order',
        type: 'http',
        config: {
          method: 'POST',
          url: `${serverUrl}/orders`,
          body: { id: '{{input.id}}' },
          verify: { url: `${serverUrl}/orders/{{idempotencyKey}}`, expect: 'response.status = 200' },
        },
      },
      { id: 'pause', type: 'delay', config: { ms: 150 } },
      { id: 'gate', type: 'approval', config: { title: 'Publish {{input.id}}?' } },
      {
        id: 'count',
        type: 'code',
        config: { code: 'return input.text.split(" ").length + Object.keys(nodes).length' },
      },
      {
        id: 'result',
        type: 'output',
        config: {
          value: {
            draft: '{{nodes.draft.output.text}}',
            stored: '{{nodes.store.output.body.ok}}',
            notified: '{{nodes.notify.output.body.path}}',
            approved: '{{nodes.gate.output.approved}}',
            words: '{{nodes.count.output}}',
            ordered: '{{nodes.order.output.body.path}}',
          },
        },
      },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'draft' },
      { id: 'e2', source: 'start', target: 'store' },
      { id: 'e3', source: 'draft', target: 'notify' },
      { id: 'e4', source: 'store', target: 'pause' },
      { id: 'e5', source: 'notify', target: 'gate' },
      { id: 'e6', source: 'pause', target: 'gate' },
      { id: 'e7', source: 'gate', target: 'count' },
      { id: 'e8', source: 'count', target: 'result' },
      { id: 'e9', source: 'draft', target: 'result' },
      { id: 'e10', source: 'store', target: 'result' },
      { id: 'e11', source: 'notify', target: 'result' },
      { id: 'e12', source: 'start', target: 'order' },
      { id: 'e13', source: 'order', target: 'result' },
    ],
  };
}
