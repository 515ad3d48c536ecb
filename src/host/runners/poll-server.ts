/** Test support: a local long-running job API on 127.0.0.1 (submit, then poll until done). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JobServer {
  url: string;
  submits: number;
  polls: number;
  /** The poll (1-based) that reports done; Infinity: never. */
  doneAt: number;
  keys: string[];
  close(): Promise<void>;
}

/** `POST /jobs` → 202 `{ id, state: 'pending' }`; `GET /jobs/:id` → `{ id, state, result? }`. */
export async function jobServer(doneAt = 3): Promise<JobServer> {
  const job: JobServer = { url: '', submits: 0, polls: 0, doneAt, keys: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url === '/jobs') {
        job.submits++;
        job.keys.push(String(req.headers['idempotency-key']));
        res.writeHead(202).end(JSON.stringify({ id: 'job-1', state: 'pending' }));
      } else if (req.method === 'GET' && req.url === '/jobs/job-1') {
        job.polls++;
        const done = job.polls >= job.doneAt;
        res
          .writeHead(200)
          .end(JSON.stringify({ id: 'job-1', state: done ? 'done' : 'pending', ...(done ? { result: 42 } : {}) }));
      } else res.writeHead(404).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  job.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  job.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return job;
}

/** A graph with one polled http node against `url`. */
export function pollGraph(
  url: string,
  poll: { intervalMs: number; maxWaitMs: number },
  extra: Record<string, unknown> = {},
) {
  return {
    format: 'statepipe.graph' as const,
    version: 1 as const,
    id: 'long-job',
    nodes: [
      { id: 'start', type: 'input' as const, config: {} },
      {
        id: 'job',
        type: 'http' as const,
        config: {
          method: 'POST',
          url: `${url}/jobs`,
          body: { n: '{{input.n}}' },
          poll: { url: `${url}/jobs/{{response.body.id}}`, until: "response.body.state = 'done'", ...poll },
        },
        ...extra,
      },
      { id: 'result', type: 'output' as const, config: { value: '{{nodes.job.output.body.result}}' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'job' },
      { id: 'e2', source: 'job', target: 'result' },
    ],
  };
}
