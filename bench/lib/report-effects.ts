/**
 * The effectful chains of the report: statepipe's `delay` 0, local `http` GET and `http` PUT chains
 * on SQLite FULL against a raw one-row FULL transaction per node, and against Restate on the same
 * chain.
 */
import type { RawResult, Target } from './cases.js';
import type { EffectResult } from './effect-case.js';
import type { RestateResult } from './restate-case.js';
import { COMMIT_LINGER_MS } from '../../src/host/commit-linger.js';
import { f, ratio } from './format.js';

export interface EffectsCollected {
  chains: EffectResult[];
  /** Raw one-row FULL transactions, as many as a chain's nodes, measured right after the chains. */
  raw?: RawResult;
  restate?: RestateResult;
}

const perSec = (us: number): number => 1e6 / us;

const CHAIN_NAMES = { delay: '`delay` ms: 0', http: '`http` GET 127.0.0.1', put: '`http` PUT 127.0.0.1' } as const;

/** Restate's step beside our node of the same chain: a no-op `ctx.run` beside `delay` 0, the GET beside `http`. */
function pairs(x: EffectsCollected) {
  const runs = x.restate?.available ? x.restate.runs : [];
  return hosts(x).flatMap((c) => {
    // Restate's GET step journals after its request, beside both of our request chains.
    const r = runs.find((run) => run.flavor === (c.flavor === 'delay' ? 'noop' : 'http'));
    return r ? [{ c, r, ratio: r.usPerStep / c.beyondUs }] : [];
  });
}

/** The chains as the hosts run them (their commit linger); the GET chain without one is reported beside. */
const hosts = (x: EffectsCollected) => x.chains.filter((c) => c.lingerMs > 0 || !x.chains.some((o) => o.lingerMs > 0));

export function effectTargets(x: EffectsCollected | undefined): Target[] {
  if (!x) return [];
  const raw = x.raw?.usPerTxn;
  // The target's chains (`delay` 0 and the GET); the PUT, whose start must be durable before its
  // request, is reported beside them against the floor that gives it (one commit per node).
  const worst = hosts(x)
    .filter((c) => c.flavor !== 'put')
    .sort((a, b) => b.beyondUs - a.beyondUs)[0];
  const put = hosts(x).find((c) => c.flavor === 'put');
  const commits = [...x.chains].sort((a, b) => b.commitsPerNode - a.commitsPerNode)[0];
  const http = pairs(x).find((p) => p.c.flavor === 'http');
  return [
    {
      name: 'Effectful node in a chain (SQLite FULL), beyond the effect itself, vs a raw one-row FULL transaction',
      goal: '≤ 1.3×',
      measured:
        worst && raw
          ? `worst ${ratio(worst.beyondUs / raw)} (${worst.flavor} chain: ${f(worst.beyondUs)} vs ${f(raw)} µs)`
          : 'n/a',
      met: worst && raw ? worst.beyondUs / raw <= 1.3 : null,
    },
    {
      name: 'Effectful node whose start must be durable before its effect (an `http` PUT chain), beyond the PUT, vs a raw one-row FULL transaction',
      goal: '(information: one commit per node is its floor)',
      measured: put && raw ? `${ratio(put.beyondUs / raw)} (${f(put.beyondUs)} vs ${f(raw)} µs)` : 'n/a',
      met: null,
    },
    {
      name: 'Store transactions per effectful node in a chain',
      goal: '≤ 1 (≤ 1.05)',
      measured: commits
        ? `at most ${commits.commitsPerNode.toFixed(2)} (${commits.flavor} chain, linger ${commits.lingerMs} ms)`
        : 'n/a',
      met: commits ? commits.commitsPerNode <= 1.05 : null,
    },
    {
      name: 'Effectful chain vs Restate, steps/s beyond the effect (the same local GET in each step)',
      goal: '≥ 3×',
      measured: http ? ratio(http.ratio) : (x.restate?.note ?? 'n/a'),
      met: http ? http.ratio >= 3 : null,
    },
  ];
}

export function renderEffects(x: EffectsCollected | undefined): string[] {
  if (!x) return [];
  const L: string[] = ['## Effectful chains (SQLite FULL)', ''];
  L.push(
    "A chain of `delay` nodes with `ms: 0` (a durable wait: its start commits with its end time, its timer is the effect), a chain of `http` GETs to a server on 127.0.0.1 in a process of its own (a read: its request goes out while its start is written) and a chain of `http` PUTs to it (idempotent but not a read: its start is durable before its request). `µs/node` = wall time of a run / nodes; `effect` = the effect alone measured from the same process after each run (100 `setTimeout(0)`; 100 raw GETs or PUTs; the median); `beyond` = `µs/node` − `effect` (the delay's timer and the GET run while their start is written); `vs raw` = `beyond` / one raw one-row FULL transaction (measured right after, as many as the chain's nodes). `linger` = the engine's commit linger (`commitLingerMs`: the hosts' is " +
      String(COMMIT_LINGER_MS) +
      " ms; what no one awaits is written together over that long, what an effect awaits at once); the GET chain is also run without one (a transaction per node). `CPU µs/node` is the bench process's (the engine, the store, the client's side of the request).",
    '',
    '| chain | linger ms | nodes | µs/node | effect µs | beyond µs | raw µs/tx | vs raw | commits/node | CPU µs/node | reps |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const c of x.chains)
    L.push(
      `| ${CHAIN_NAMES[c.flavor]} | ${c.lingerMs} | ${f(c.nodes)} | ${f(c.usPerNode)} | ${f(c.effectUs)} | ${f(c.beyondUs)} | ${f(x.raw?.usPerTxn)} | ${x.raw ? ratio(c.beyondUs / x.raw.usPerTxn) : 'n/a'} | ${c.commitsPerNode.toFixed(2)} | ${f(c.cpuUsPerNode)} | ${c.reps} |`,
    );
  L.push('');
  const r = x.restate;
  L.push('### Restate on the same chain', '');
  if (!r?.available) {
    L.push(`Restate: ${r?.note ?? 'not run'}.`, '');
    return L;
  }
  L.push(
    `${r.note}, single node on 127.0.0.1 (its defaults), the SDK's HTTP/2 endpoint in the bench's process; one invocation of ${f(r.steps)} durable \`ctx.run\` steps (a no-op, or the same local GET whose own time is subtracted). steps/s = 1 / µs per step beyond the effect.`,
    '',
    '| chain | Restate µs/step | Restate steps/s | statepipe µs/node | statepipe steps/s | statepipe / Restate |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const p of pairs(x))
    L.push(
      `| ${{ delay: 'no-op (statepipe: `delay` 0)', http: 'local GET', put: 'local GET (statepipe: a PUT, its start durable first)' }[p.c.flavor]} | ${f(p.r.usPerStep)} | ${f(perSec(p.r.usPerStep))} | ${f(p.c.beyondUs)} | ${f(perSec(p.c.beyondUs))} | ${ratio(p.ratio)} |`,
    );
  L.push('');
  return L;
}
