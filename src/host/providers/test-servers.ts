/**
 * Test support: local HTTP servers on 127.0.0.1 (port 0) speaking the real wire formats of
 * OpenAI chat completions (SSE) and Anthropic messages (SSE). Each records the requests it
 * got; replies come from a queue of scripted turns (else the default turn).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Turn =
  | { text: string; pieces?: number; delayMs?: number; usage?: { input: number; output: number }; model?: string }
  | {
      toolCall: { id?: string; name: string; args: unknown };
      delayMs?: number;
      usage?: { input: number; output: number };
    }
  | { status: number; headers?: Record<string, string>; body: unknown };

export interface SeenRequest {
  /** When it arrived (ms since epoch). */
  at: number;
  url: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeServer {
  url: string;
  seen: SeenRequest[];
  /** Replies to the next requests, in order. */
  queue: Turn[];
  /** Used when the queue is empty. */
  defaultTurn: Turn;
  /** When set, decides every reply from the request (the queue is not used). */
  respond?: (req: SeenRequest) => Turn;
  /** Requests in flight beyond this get 429 (Retry-After: 1). */
  maxConcurrent?: number;
  inFlight: number;
  peak: number;
  rejected: number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Splits text into `n` pieces that join back to it. */
export function pieces(text: string, n: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

type Writer = (
  res: ServerResponse,
  turn: Exclude<Turn, { status: number }>,
  body: Record<string, unknown>,
) => Promise<void>;

async function start(path: string, write: Writer): Promise<FakeServer> {
  const fake: FakeServer = {
    url: '',
    seen: [],
    queue: [],
    defaultTurn: { text: 'ok' },
    inFlight: 0,
    peak: 0,
    rejected: 0,
    close: async () => undefined,
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          body = {};
        }
        const seen: SeenRequest = { at: Date.now(), url: req.url ?? '', headers: req.headers, body };
        fake.seen.push(seen);
        if (req.method !== 'POST' || !(req.url ?? '').endsWith(path)) {
          res.writeHead(404, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
        }
        fake.inFlight++;
        fake.peak = Math.max(fake.peak, fake.inFlight);
        let counted = true;
        const release = () => {
          if (counted) fake.inFlight--;
          counted = false;
        };
        res.on('close', release);
        res.on('finish', release);
        if (fake.maxConcurrent !== undefined && fake.inFlight > fake.maxConcurrent) {
          fake.rejected++;
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
          return res.end(
            JSON.stringify({ error: { type: 'rate_limit_error', message: 'Too many concurrent requests' } }),
          );
        }
        const turn = fake.respond ? fake.respond(seen) : (fake.queue.shift() ?? fake.defaultTurn);
        if ('status' in turn) {
          res.writeHead(turn.status, { 'content-type': 'application/json', ...(turn.headers ?? {}) });
          return res.end(JSON.stringify(turn.body));
        }
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
        await write(res, turn, body);
        res.end();
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** OpenAI chat completions: `POST /v1/chat/completions`, `data: {choices:[{delta}]}` … `data: [DONE]`. */
export function openAiServer(): Promise<FakeServer> {
  return start('/chat/completions', async (res, turn, body) => {
    const model = ('model' in turn && turn.model) || String(body['model'] ?? 'gpt-4o-mini');
    const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model };
    const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    let finish = 'stop';
    if ('toolCall' in turn) {
      finish = 'tool_calls';
      if (turn.delayMs) await sleep(turn.delayMs);
      const args = JSON.stringify(turn.toolCall.args);
      const id = turn.toolCall.id ?? `call_${Math.random().toString(36).slice(2, 8)}`;
      send({
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [{ index: 0, id, type: 'function', function: { name: turn.toolCall.name, arguments: '' } }],
            },
            finish_reason: null,
          },
        ],
      });
      for (const p of pieces(args, 2))
        send({
          ...base,
          choices: [
            { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: p } }] }, finish_reason: null },
          ],
        });
    } else {
      for (const p of pieces(turn.text, turn.pieces ?? 4)) {
        if (turn.delayMs) await sleep(turn.delayMs);
        send({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] });
      }
    }
    send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }] });
    const so = body['stream_options'] as { include_usage?: boolean } | undefined;
    if (so?.include_usage) {
      const u = turn.usage ?? { input: 10, output: 5 };
      send({
        ...base,
        choices: [],
        usage: { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output },
      });
    }
    res.write('data: [DONE]\n\n');
  });
}

/** Anthropic messages: `POST /v1/messages`, `message_start` … `message_stop`. */
export function anthropicServer(): Promise<FakeServer> {
  return start('/messages', async (res, turn, body) => {
    const model = ('model' in turn && turn.model) || String(body['model'] ?? 'claude-sonnet-4-5');
    const send = (event: string, o: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(o)}\n\n`);
    const u = turn.usage ?? { input: 12, output: 7 };
    send('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: u.input, output_tokens: 1 },
      },
    });
    let stop = 'end_turn';
    if ('toolCall' in turn) {
      stop = 'tool_use';
      if (turn.delayMs) await sleep(turn.delayMs);
      const id = turn.toolCall.id ?? `toolu_${Math.random().toString(36).slice(2, 8)}`;
      send('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id, name: turn.toolCall.name, input: {} },
      });
      for (const p of pieces(JSON.stringify(turn.toolCall.args), 2)) {
        send('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'input_json_delta', partial_json: p },
        });
      }
    } else {
      send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
      for (const p of pieces(turn.text, turn.pieces ?? 4)) {
        if (turn.delayMs) await sleep(turn.delayMs);
        send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } });
      }
    }
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: u.output },
    });
    send('message_stop', { type: 'message_stop' });
  });
}
