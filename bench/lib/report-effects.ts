/**
 * The effectful chains of the report: statepipe's `delay` 0 and local `http` GET chains on SQLite
 * FULL against a raw one-row FULL transaction per node, and against Restate on the same chain.
 */
import type { RawResult, Target } from './cases.js';
import type { EffectResult } from './effect-case.js';
import type { RestateResult } from './restate-case.js';
import { f, ratio } from './format.js';

export interface EffectsCollected {
  chains: EffectResult[];
  /** Raw one-row FULL transactions, as many as a chain's nodes, measured right after the chains. */
  raw?: RawResult;
  restate?: RestateResult;
}

const perSec = (us: number): number => 1e6 / us;

/** Restate's step beside our node of the same chain: a no-op `ctx.run` beside `delay` 0, the GET beside `http`. */
function pairs(x: EffectsCollected) {
  const runs = x.restate?.available ? x.restate.runs : [];
  return x.chains.flatMap((c) => {
    const r = runs.find((run) => run.flavor === (c.flavor === 'http' ? 'http' : 'noop'));
    return r ? [{ c, r, ratio: r.usPerStep / c.beyondUs }] : [];
  });
}

export function effectTargets(x: EffectsCollected | undefined): Target[] {
  if (!x) return [];
  const raw = x.raw?.usPerTxn;
  const worst = [...x.chains].sort((a, b) => b.beyondUs - a.beyondUs)[0];
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
      name: 'Store transactions per effectful node in a chain',
      goal: '≈ 1 (≤ 1.05)',
      measured: commits ? `${commits.commitsPerNode.toFixed(2)} (${commits.flavor} chain)` : 'n/a',
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
    "A chain of `delay` nodes with `ms: 0` (a durable wait: its start commits with its end time, its timer is the effect) and a chain of `http` GETs to a server on 127.0.0.1 in the same process (each node's start is durable before its request). `µs/node` = wall time of a run / nodes; `effect` = the effect alone measured from the same process after each run (100 `setTimeout(0)`; 100 raw GETs; the median); `beyond` = `µs/node` − `effect` (the delay's timer runs while its start is written, so its `beyond` is the lower bound); `vs raw` = `beyond` / one raw one-row FULL transaction (measured right after, as many as the chain's nodes). `CPU µs/node` counts both ends of the GET (same process).",
    '',
    '| chain | nodes | µs/node | effect µs | beyond µs | raw µs/tx | vs raw | commits/node | CPU µs/node | reps |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const c of x.chains)
    L.push(
      `| ${c.flavor === 'delay' ? '`delay` ms: 0' : '`http` GET 127.0.0.1'} | ${f(c.nodes)} | ${f(c.usPerNode)} | ${f(c.effectUs)} | ${f(c.beyondUs)} | ${f(x.raw?.usPerTxn)} | ${x.raw ? ratio(c.beyondUs / x.raw.usPerTxn) : 'n/a'} | ${c.commitsPerNode.toFixed(2)} | ${f(c.cpuUsPerNode)} | ${c.reps} |`,
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
      `| ${p.c.flavor === 'http' ? 'local GET' : 'no-op (statepipe: `delay` 0)'} | ${f(p.r.usPerStep)} | ${f(perSec(p.r.usPerStep))} | ${f(p.c.beyondUs)} | ${f(perSec(p.c.beyondUs))} | ${ratio(p.ratio)} |`,
    );
  L.push('');
  return L;
}
