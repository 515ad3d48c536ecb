/** The composition cases in the report: a map of N children vs the same nodes as one graph, and resume of a map. */
import type { MapResult, MapResumeBuildResult, MapResumeResult } from './cases.js';
import { f } from './format.js';

export interface MapBench {
  runs: MapResult[];
  resumeBuild?: MapResumeBuildResult;
  resume?: MapResumeResult;
}

interface MapTarget {
  name: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

const find = (m: MapBench, items: number, flat: boolean) =>
  m.runs.find((r) => r.items === items && r.flat === flat && r.status === 'succeeded');

export function mapTargets(m: MapBench | undefined): MapTarget[] {
  if (!m) return [];
  const out: MapTarget[] = [];
  const sizes = [...new Set(m.runs.map((r) => r.items))].sort((a, b) => a - b);
  const largest = sizes.at(-1);
  const map = largest === undefined ? undefined : find(m, largest, false);
  const flat = largest === undefined ? undefined : find(m, largest, true);
  const r = map && flat ? map.nodesPerSec / flat.nodesPerSec : NaN;
  out.push({
    name: `Map of ${f(largest)} children of a 3-node pure graph vs the same nodes as one graph (nodes/s, SQLite FULL)`,
    goal: '≥ 50 %',
    measured: Number.isFinite(r) ? `${f(r * 100)} %` : 'n/a',
    met: Number.isFinite(r) ? r >= 0.5 : null,
  });
  const small = sizes.length > 1 ? find(m, sizes[0]!, false) : undefined;
  const rss = small && map ? map.maxRssMiB / small.maxRssMiB : NaN;
  out.push({
    name: `Parent process peak RSS, map of ${f(sizes.at(-1))} vs ${f(sizes[0])} items`,
    goal: '≤ 1.5×',
    measured: Number.isFinite(rss) ? `${rss.toFixed(2)}× (${f(map!.maxRssMiB)} / ${f(small!.maxRssMiB)} MiB)` : 'n/a',
    met: Number.isFinite(rss) ? rss <= 1.5 : null,
  });
  out.push({
    name: `Resume of a map interrupted at ${f(m.resumeBuild?.childrenFinished)} items: to the next child start`,
    goal: '< 1 s',
    measured: m.resume ? `${f(m.resume.firstChildMs)} ms` : 'n/a',
    met: m.resume ? m.resume.firstChildMs < 1000 : null,
  });
  return out;
}

export function renderMap(m: MapBench | undefined): string[] {
  if (!m) return [];
  const L = ['## Composition: a map of child runs', ''];
  L.push(
    'A `map` whose child is a 3-node pure graph (each item a child run: created, leased, driven and recorded in its parent), next to the same 3·N nodes as one graph of N parallel 3-node chains; both on SQLite synchronous=FULL, each in a fresh process. Memory: the process peak RSS and the peak delta over the run.',
    '',
    '| items | shape | status | wall ms | nodes/s | peak RSS MiB | RSS delta MiB |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of m.runs)
    L.push(
      `| ${f(r.items)} | ${r.flat ? 'one flat graph' : 'map of child runs'} | ${r.status} | ${f(r.wallMs)} | ${f(r.nodesPerSec)} | ${f(r.maxRssMiB)} | ${f(r.peakRssDeltaMiB)} |`,
    );
  if (m.resume && m.resumeBuild)
    L.push(
      '',
      `Resume of a map interrupted after ${f(m.resumeBuild.childrenFinished)} finished children (parent log ${f(m.resumeBuild.parentEvents)} events): next child started after ${f(m.resume.firstChildMs)} ms; the rest of the map took ${f(m.resume.totalMs)} ms (${m.resume.status}).`,
    );
  L.push('');
  return L;
}
