/**
 * One run of a chaos campaign: driven to its end through this very CLI in child processes, each
 * killed where the kill plan says, then continued the way a person would (resume, approve, retry).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { isTerminalRun } from '../../core/engine/machines.js';
import { CHAOS_KILL_ENV, CHAOS_TRACE_ENV, KILL_WHERE, type ChaosTraceLine, type KillWhere } from '../../host/chaos.js';
import { checkKill, personDecision, runIds, snapshot } from './chaos-check.js';

export type Cmd = 'run' | 'resume' | 'approve' | 'retry';

export interface Step {
  cmd: Cmd;
  appends: number;
  kill?: ChaosTraceLine;
  code: number | null;
}

export interface Drive {
  runId?: string;
  steps: Step[];
  problems: string[];
}

const STEP_LIMIT = 40;
const CHILD_TIMEOUT_MS = 120_000;

/** mulberry32: a small seeded PRNG so a seed repeats a campaign exactly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The node arguments that start this CLI again (bundle, bin through tsx, or main.ts). */
export const self = (): string[] => [...process.execArgv, process.argv[1]!];

function child(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...self(), ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    const timer = setTimeout(() => p.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr: signal === 'SIGKILL' && !stderr ? '' : stderr });
    });
  });
}

function readTrace(file: string): ChaosTraceLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ChaosTraceLine);
}

/** What to do next with the run: start it, or continue it the way a person would. */
export async function nextCommand(
  dbFile: string,
  runId: string | undefined,
): Promise<{ cmd: Cmd; args: string[] } | 'done'> {
  if (runId === undefined) return { cmd: 'run', args: [] };
  const { state } = await snapshot(dbFile, runId);
  if (isTerminalRun(state.status)) return 'done';
  const d = state.status === 'waiting' ? personDecision(runId, state) : undefined;
  // The parent's record of where its children wait is as of its last write: a process killed after
  // a child moved on and before the parent wrote it leaves the record behind. A person told "not
  // waiting" there resumes the parent, which reads its children again.
  if (d && d.runId !== runId && !(await stillWaits(dbFile, d.runId, d.nodeId))) return { cmd: 'resume', args: [runId] };
  if (d?.act === 'retry') return { cmd: 'retry', args: [d.runId, d.nodeId] };
  if (d) return { cmd: 'approve', args: [d.runId, d.nodeId, '--by', 'chaos', '--comment', 'ok'] };
  return { cmd: 'resume', args: [runId] };
}

/** The child run's own record has `nodeId` waiting (or in doubt) for a person. */
async function stillWaits(dbFile: string, runId: string, nodeId: string): Promise<boolean> {
  const status = (await snapshot(dbFile, runId)).state.nodes.get(nodeId)?.status;
  return status === 'waiting' || status === 'in-doubt';
}

/** Decides where (if anywhere) the next child process dies. */
export type KillPlan = (cmd: Cmd, killsSoFar: number) => { at: number; where: KillWhere } | undefined;

/** Drives one run to its end in `dbFile`, killing children as `plan` says and checking each kill. */
export async function driveRun(graphFile: string, input: string, dbFile: string, plan: KillPlan): Promise<Drive> {
  const d: Drive = { steps: [], problems: [] };
  let kills = 0;
  for (let i = 0; i < STEP_LIMIT; i++) {
    const next = await nextCommand(dbFile, d.runId);
    if (next === 'done') return d;
    const kill = plan(next.cmd, kills);
    const trace = `${dbFile}.${i}.trace`;
    const args = next.cmd === 'run' ? ['run', graphFile, '--input', input] : [next.cmd, ...next.args];
    const env = { [CHAOS_KILL_ENV]: kill ? `${kill.at}:${kill.where}` : 'never', [CHAOS_TRACE_ENV]: trace };
    const r = await child([...args, '--db', dbFile], env);
    const lines = readTrace(trace);
    fs.rmSync(trace, { force: true });
    const killed = lines.find((l) => l.kill);
    d.steps.push({ cmd: next.cmd, appends: lines.length, code: r.code, ...(killed ? { kill: killed } : {}) });
    if (r.signal === 'SIGKILL' && !killed) {
      d.problems.push(`${next.cmd} did not finish within ${CHILD_TIMEOUT_MS / 1000} s`);
      return d;
    }
    if (killed) {
      kills++;
      d.problems.push(...(await checkKill(killed, dbFile)));
    } else if (r.code !== 0 && r.code !== 1 && r.code !== 3) {
      d.problems.push(`${next.cmd} exited ${r.code}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
      return d;
    }
    d.runId ??= (await runIds(dbFile))[0];
  }
  d.problems.push(`the run did not end within ${STEP_LIMIT} commands`);
  return d;
}

/**
 * Run `i`'s kill plan: the first command dies at a random one of the reference's first appends,
 * later ones (a resume after a kill, an approval) half the time, early in their work.
 */
export function killPlan(
  random: () => number,
  limits: { maxKills: number; firstAppends: number; laterAppends: number },
): KillPlan {
  const where = (): KillWhere => KILL_WHERE[Math.floor(random() * KILL_WHERE.length)] ?? 'after';
  return (cmd, kills) => {
    if (kills >= limits.maxKills) return undefined;
    if (cmd === 'run' || (cmd === 'resume' && kills === 0))
      return { at: 1 + Math.floor(random() * limits.firstAppends), where: where() };
    return random() < 0.5 ? { at: 1 + Math.floor(random() * limits.laterAppends), where: where() } : undefined;
  };
}
