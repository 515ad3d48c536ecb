/**
 * `GET /api/runs/:runId/events`: a run's events as Server-Sent Events (id = seq, event = type,
 * data = the event JSON): those after a seq from the log, then live, until the run ends.
 * A reconnecting EventSource sends `Last-Event-ID`, which wins over the `?after=` of the URL it
 * reconnects to. A run that has ended for good (succeeded, cancelled) and has nothing after the
 * given id answers 204, which tells an EventSource to stop reconnecting. A failed run has not:
 * a retry continues it, so its stream stays open for what comes next.
 */
import * as z from 'zod';
import { RunId } from '../contract/api.js';
import type { DispatchContext } from '../host/dispatch.js';
import type { EventFeed } from '../host/event-feed.js';
import { sendFailure } from './http-errors.js';
import { READ_ERRORS, responses } from './routes.js';
import { SECURITY_HEADERS, type ZodApp } from './zod-app.js';

/** Runs nothing continues (a failed run's retry does continue it). */
const ENDED = new Set(['succeeded', 'cancelled']);
const ENDING = new Set(['run.succeeded', 'run.cancelled']);
const Seq = z.coerce.number().int().min(0);

export function eventsRoute(app: ZodApp, ctx: DispatchContext, feed: EventFeed): void {
  // Streams open when the server closes end as streams do (their last chunk sent), not cut off.
  const open = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const stop of [...open]) stop();
    done();
  });
  app.route({
    method: 'GET',
    url: '/api/runs/:runId/events',
    exposeHeadRoute: false,
    schema: {
      operationId: 'runs_events_stream',
      summary: "a run's events after a seq, then live, as Server-Sent Events",
      description:
        'id = the event seq, event = its type, data = the event JSON (RunsEventsOutput.events items). ' +
        'The stream ends after the run succeeds or is cancelled (a failed run may be retried: its stream stays open); reconnecting with Last-Event-ID then answers 204.',
      tags: ['runs'],
      params: z.object({ runId: RunId }),
      querystring: z.object({ after: Seq.optional().describe('send the events after this seq (default 0)') }),
      headers: z
        .object({
          'last-event-id': z
            .string()
            .regex(/^\d*$/, 'must be an event seq (a non-negative integer)')
            .optional()
            .describe(
              'sent by a reconnecting EventSource; wins over `after` (empty: none, as the SSE standard has it)',
            ),
        })
        .passthrough(),
      response: {
        200: {
          description: 'an event stream',
          content: { 'text/event-stream': { schema: z.string().describe('id/event/data records') } },
        },
        204: z.null().describe('the run succeeded or was cancelled and every event after the given id was sent'),
        ...responses({}, [...READ_ERRORS, 404]),
      },
    },
    handler: async (req, reply) => {
      const { runId } = req.params;
      const lastEventId = req.headers['last-event-id'] || undefined;
      const after = lastEventId !== undefined ? Number(lastEventId) : (req.query.after ?? 0);
      const row = await ctx.service.store.getRunRow(runId);
      if (!row) return sendFailure(reply, 'not-found', `run ${runId} not found`);
      if (ENDED.has(row.status) && after >= row.lastSeq) return reply.code(204).send(null);
      reply.hijack();
      stream(reply.raw, ctx, feed, runId, after, open);
    },
  });
}

/** Writes the events after `after`, then live ones, until the run ends or the client goes. */
function stream(
  res: import('node:http').ServerResponse,
  ctx: DispatchContext,
  feed: EventFeed,
  runId: string,
  after: number,
  open: Set<() => void>,
): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 1000\n\n'); // reconnect after 1 s (a local server), not the browser's 3 s
  let last = after;
  let ended = false;
  let pumping = false;
  let again = false;
  const stop = (): void => {
    if (ended) return;
    ended = true;
    open.delete(stop);
    unsubscribe();
    clearInterval(ping);
    res.end();
  };
  // The feed only says "something was committed": the events come from the log, by seq, so
  // the stream has no gap and no duplicate whatever the feed coalesced.
  const pump = async (): Promise<void> => {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        let out = '';
        let done = false;
        for (const e of await ctx.service.events(runId, last)) {
          out += `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
          last = e.seq;
          if (ENDING.has(e.type)) done = true;
        }
        if (out && !ended) res.write(out);
        if (done) stop();
      } while (again && !ended);
    } catch {
      stop(); // the database went away (the server is closing): end the stream
    } finally {
      pumping = false;
    }
  };
  const unsubscribe = feed.subscribe((events) => {
    if (events.some((e) => e.runId === runId)) void pump();
  });
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  res.on('close', stop);
  open.add(stop);
  void pump().then(async () => {
    const row = await ctx.service.store.getRunRow(runId);
    if (row && ENDED.has(row.status) && last >= row.lastSeq) stop();
  });
}
