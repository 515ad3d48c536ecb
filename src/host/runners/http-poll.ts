/**
 * Long-running `http` nodes (config.poll): submit once, then poll durably until done.
 *
 *   "poll": { "url": "http://svc/jobs/{{response.body.id}}", "intervalMs": 2000,
 *             "until": "response.body.state = 'done'", "maxWaitMs": 600000 }
 *
 * The submit response is committed as a `node.poll` event before the first poll, and so is
 * each poll (with `nextPollAt`): a restart resumes polling from the record and never submits
 * again. `poll.url` is a template over `{ input, nodes, response }` (response: the submit's);
 * `until` is JSONata over `{ input, nodes, response }` (response: the latest poll's, or the
 * submit's before the first poll). Past `maxWaitMs` from the submit the node fails with kind
 * `timeout` (not retried). A transient failure of one poll (network, 5xx, 429) is logged and
 * polled again at the next interval; the node's own `timeoutMs` bounds each request only.
 */
import { NodeFailure } from '../../core/errors.js';
import type { PollRecord } from '../../core/events.js';
import { evaluateExpression, renderTemplates } from '../../core/graph/templates.js';
import type { NodeResult, NodeRunContext, NodeRunner, TemplateScope } from '../../core/ports.js';

export interface PollConfig {
  url: string;
  intervalMs: number;
  until: string;
  maxWaitMs: number;
  method?: 'GET' | 'POST';
}

function pollConfig(raw: unknown): PollConfig {
  const p = raw as Partial<PollConfig> | null;
  if (
    !p ||
    typeof p !== 'object' ||
    typeof p.url !== 'string' ||
    typeof p.until !== 'string' ||
    typeof p.intervalMs !== 'number' ||
    typeof p.maxWaitMs !== 'number'
  ) {
    throw new NodeFailure('template', 'http: config.poll needs url, intervalMs, until and maxWaitMs', {
      retryable: false,
    });
  }
  return p as PollConfig;
}

const scopeWith = (ctx: NodeRunContext, response: unknown): TemplateScope =>
  ({ ...ctx.scope, response }) as TemplateScope;

async function done(ctx: NodeRunContext, poll: PollConfig, response: unknown): Promise<boolean> {
  const v = await evaluateExpression(poll.until, scopeWith(ctx, response), `poll.until "${poll.until}"`).catch(
    (err: unknown) => {
      // A field that is not there yet (undefined) means "not done"; a broken expression fails.
      if (err instanceof NodeFailure && /evaluated to nothing/.test(err.message)) return false;
      throw err;
    },
  );
  return v === true;
}

function sleep(ctx: NodeRunContext, ms: number): Promise<void> {
  return ctx.clock.sleep(Math.max(0, ms), ctx.signal).catch(() => {
    const reason: unknown = ctx.signal.reason;
    throw reason instanceof NodeFailure
      ? reason
      : new NodeFailure('cancelled', 'http: polling cancelled', { retryable: false });
  });
}

/** Runs a polled http node; `request` is the plain http runner (one request, classified failures). */
export async function pollHttp(ctx: NodeRunContext, request: NodeRunner): Promise<NodeResult> {
  const poll = pollConfig(ctx.config['poll']);
  const record = async (r: Omit<PollRecord, 'attempt'>): Promise<void> => ctx.recordPoll?.(r);
  let rec: Omit<PollRecord, 'attempt'>;
  if (ctx.poll) {
    rec = ctx.poll;
    ctx.log('info', `http: resuming polling (submitted before, ${rec.polls} polls so far); not submitting again`);
  } else {
    const { poll: _p, ...submitConfig } = ctx.config;
    const submitted = await request({ ...ctx, config: submitConfig });
    const now = ctx.clock.now();
    rec = { submitted: submitted.output, since: now, polls: 0, nextPollAt: now + poll.intervalMs };
    await record(rec);
    if (await done(ctx, poll, submitted.output)) return { output: { ...(submitted.output as object), polls: 0 } };
  }
  const url = await renderTemplates(poll.url, scopeWith(ctx, rec.submitted));
  if (typeof url !== 'string' || url === '')
    throw new NodeFailure('template', 'http: poll.url must render to a non-empty string', { retryable: false });
  const pollConfigOut = {
    method: poll.method ?? 'GET',
    url,
    ...(ctx.config['headers'] ? { headers: ctx.config['headers'] } : {}),
  };
  for (;;) {
    await sleep(ctx, rec.nextPollAt - ctx.clock.now());
    const now = ctx.clock.now();
    if (now - rec.since > poll.maxWaitMs) {
      throw new NodeFailure(
        'timeout',
        `http: ${url} did not finish within poll.maxWaitMs (${poll.maxWaitMs} ms, ${rec.polls} polls)`,
        { retryable: false },
      );
    }
    let response: unknown;
    try {
      response = (await request({ ...ctx, config: pollConfigOut })).output;
    } catch (err) {
      if (!(err instanceof NodeFailure) || !err.retryable || ctx.signal.aborted) throw err;
      rec = { ...rec, nextPollAt: ctx.clock.now() + Math.max(poll.intervalMs, err.retryAfterMs ?? 0) };
      ctx.log(
        'warn',
        `http: poll ${rec.polls + 1} failed (${err.message}); polling again at ${new Date(rec.nextPollAt).toISOString()}`,
      );
      continue;
    }
    const finished = await done(ctx, poll, response);
    rec = { ...rec, polls: rec.polls + 1, last: response, nextPollAt: ctx.clock.now() + poll.intervalMs };
    if (finished) return { output: { ...(response as object), polls: rec.polls } };
    await record(rec);
  }
}
