/**
 * CLI start-up, paired against bare Node: every round runs, for each command, `node -e 0` and right
 * after it the command through bin/statepipe.js (as a user runs it), so both sides of a pair see
 * the same machine load. A command's figure is the median over the rounds of its wall time divided
 * by its pair's `node -e 0`; its CPU time (user + system, from a preloaded probe that the baseline
 * carries too) likewise.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mockLlmGraph } from './graphs.js';
import { median } from './stats.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'statepipe.js');
const PROBE = path.join(ROOT, 'bench', 'lib', 'cpu-probe.cjs');

export interface CliSpec {
  kind: 'cli';
  rounds: number;
  /** A database of 10 000 runs (the scale generator's). */
  listDb: string;
  /** The scale database, for `list` and `inspect` at 100 000 runs. */
  scale?: { file: string; runs: number; events: number; sampleRunId: string };
  dir: string;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export interface CliCommand {
  name: string;
  args: string[];
  /** The target: at most this many times `node -e 0`. */
  target: number;
  wallMs: Spread;
  /** Wall time / the same round's `node -e 0`. */
  ratio: Spread;
  cpuMs: number;
  cpuRatio: number;
}

export interface CliResult {
  kind: 'cli';
  rounds: number;
  baseline: { wallMs: Spread; cpuMs: number };
  commands: CliCommand[];
  failures: string[];
}

/** A 3-node graph (input → mock llm → output) whose mock answers at once. */
const THREE_NODES = mockLlmGraph('bench-three', 'Summarise {{input.text}}', {
  reply: 'a short summary',
  tokensPerSecond: 0,
});

const spread = (xs: number[]): Spread => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });

interface Timing {
  wallMs: number;
  cpuMs: number;
  error?: string;
}

function time(args: string[]): Timing {
  const env = { ...process.env };
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'STATEPIPE_DB', 'STATEPIPE_CLI_SOURCE']) delete env[k];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-r', PROBE, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - t0;
  const cpuMs = Number(String(r.output[3] ?? '').trim()) / 1000;
  const error =
    r.status === 0
      ? undefined
      : `exit ${r.status ?? r.signal}: ${String(r.stderr).trim().split('\n').slice(-2).join(' | ')}`;
  return { wallMs, cpuMs, ...(error ? { error } : {}) };
}

export async function cliCase(spec: CliSpec): Promise<CliResult> {
  const graph = path.join(spec.dir, 'three-nodes.json');
  fs.writeFileSync(graph, JSON.stringify(THREE_NODES));
  const runDb = path.join(spec.dir, 'run.db');
  const commands: Omit<CliCommand, 'wallMs' | 'ratio' | 'cpuMs' | 'cpuRatio'>[] = [
    { name: '`--version`', args: ['--version'], target: 1.5 },
    {
      name: '`validate examples/document-pipeline.json`',
      args: ['validate', 'examples/document-pipeline.json'],
      target: 2.5,
    },
    { name: '`list`, 10 000-run database', args: ['list', '--db', spec.listDb], target: 3 },
    {
      name: '`run` of a 3-node mock graph (`tokensPerSecond: 0`)',
      args: ['run', graph, '--input', '{"text":"hi"}', '--db', runDb],
      target: 4,
    },
  ];
  if (spec.scale) {
    const at = `${(spec.scale.runs / 1000).toLocaleString('en-US')}k runs / ${(spec.scale.events / 1e6).toLocaleString('en-US')}M events`;
    commands.push(
      { name: `\`list\`, ${at}`, args: ['list', '--db', spec.scale.file], target: 3 },
      {
        name: `\`inspect\` a run, ${at}`,
        args: ['inspect', spec.scale.sampleRunId, '--db', spec.scale.file],
        target: 3,
      },
    );
  }
  const failures: string[] = [];
  // One unmeasured round: brings the bundle up to date, creates run.db, warms the file cache.
  time(['-e', '0']);
  for (const c of commands) {
    const t = time([BIN, ...c.args]);
    if (t.error) failures.push(`${c.name}: ${t.error}`);
  }
  // Each command right after its own `node -e 0`: a pair sees the same moment of the machine's load.
  const pairs: { base: Timing; cmd: Timing }[][] = commands.map(() => []);
  for (let i = 0; i < spec.rounds; i++)
    commands.forEach((c, j) => pairs[j]!.push({ base: time(['-e', '0']), cmd: time([BIN, ...c.args]) }));
  const base = pairs.flat().map((p) => p.base);
  const baseCpu = median(base.map((b) => b.cpuMs));
  return {
    kind: 'cli',
    rounds: spec.rounds,
    baseline: { wallMs: spread(base.map((b) => b.wallMs)), cpuMs: baseCpu },
    commands: commands.map((c, j) => {
      const ps = pairs[j]!;
      const cpuMs = median(ps.map((p) => p.cmd.cpuMs));
      return {
        ...c,
        wallMs: spread(ps.map((p) => p.cmd.wallMs)),
        ratio: spread(ps.map((p) => p.cmd.wallMs / p.base.wallMs)),
        cpuMs,
        cpuRatio: median(ps.map((p) => p.cmd.cpuMs / p.base.cpuMs)),
      };
    }),
    failures,
  };
}
