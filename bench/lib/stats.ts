/** Small measuring helpers: percentiles, memory peaks, the machine. */
import os from 'node:os';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** A query's timing: its first run (cold), then p50/p95 of `reps` more; `rows` is what the first returned. */
export async function timeQuery(
  name: string,
  reps: number,
  fn: () => number | Promise<number>,
): Promise<{
  name: string;
  rows: number;
  firstMs: number;
  p50Ms: number;
  p95Ms: number;
  /** CPU time of the call (user + system): what the query costs, whatever else runs on the machine. */
  cpuP50Ms: number;
  cpuP95Ms: number;
}> {
  const s = performance.now();
  const rows = await fn();
  const firstMs = performance.now() - s;
  const xs: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const a = performance.now();
    const c = process.cpuUsage();
    await fn();
    const d = process.cpuUsage(c);
    xs.push(performance.now() - a);
    cpu.push((d.user + d.system) / 1000);
  }
  xs.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    name,
    rows,
    firstMs,
    p50Ms: percentile(xs, 50),
    p95Ms: percentile(xs, 95),
    cpuP50Ms: percentile(cpu, 50),
    cpuP95Ms: percentile(cpu, 95),
  };
}

export function queryTimer<O>(reps: number) {
  const queries: Awaited<ReturnType<typeof timeQuery>>[] = [];
  const time = async (name: string, fn: () => number | Promise<number>): Promise<void> => {
    queries.push(await timeQuery(name, reps, fn));
  };
  const lists = async (
    store: { listRuns(o: O & { limit: number }): Promise<unknown[]> },
    cases: [string, O][],
  ): Promise<void> => {
    for (const [name, opts] of cases)
      await time(`listRuns ${name}`, async () => (await store.listRuns({ limit: 50, ...opts })).length);
  };
  return { queries, time, lists };
}

export function median(xs: readonly number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

export interface Latency {
  count: number;
  p50Us: number;
  p95Us: number;
  p99Us: number;
  meanUs: number;
}

/** Latency summary of samples given in milliseconds, reported in microseconds. */
export function latency(samplesMs: readonly number[]): Latency {
  const s = [...samplesMs].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    count: s.length,
    p50Us: percentile(s, 50) * 1000,
    p95Us: percentile(s, 95) * 1000,
    p99Us: percentile(s, 99) * 1000,
    meanUs: s.length ? (sum / s.length) * 1000 : NaN,
  };
}

const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
};

export interface MemoryPeak {
  /** Peak RSS minus RSS before the measured run (MiB). */
  rssDeltaMiB: number;
  /** Peak sampled heapUsed minus heapUsed before the measured run (MiB). */
  heapDeltaMiB: number;
  /** Whole-process peak RSS (MiB, getrusage maxrss): includes the runtime and module loading. */
  maxRssMiB: number;
}

const MiB = 1024 * 1024;

/** Samples RSS and heapUsed whenever `sample()` is called (cheap enough to call every few hundred commits). */
export class MemoryTracker {
  private rss0 = 0;
  private heap0 = 0;
  private peakRss = 0;
  private peakHeap = 0;

  begin(): void {
    gc();
    const m = process.memoryUsage();
    this.rss0 = this.peakRss = m.rss;
    this.heap0 = this.peakHeap = m.heapUsed;
  }

  sample(): void {
    const m = process.memoryUsage();
    if (m.rss > this.peakRss) this.peakRss = m.rss;
    if (m.heapUsed > this.peakHeap) this.peakHeap = m.heapUsed;
  }

  end(): MemoryPeak {
    this.sample();
    return {
      rssDeltaMiB: (this.peakRss - this.rss0) / MiB,
      heapDeltaMiB: (this.peakHeap - this.heap0) / MiB,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  }
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  sqlite: string;
  /** 1/5/15-minute load averages when the bench started. */
  loadAvg?: number[];
}

export function machineInfo(sqliteVersion: string): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    sqlite: sqliteVersion,
    loadAvg: os.loadavg(),
  };
}

/** How many times to repeat a measurement: at least minReps, and until minMs passed (at most maxReps). */
export interface Reps {
  minReps: number;
  maxReps: number;
  minMs: number;
}

/** Repeats `fn` at least `minReps` times and until `minMs` have passed (at most `maxReps`). */
export async function repeat(
  minReps: number,
  maxReps: number,
  minMs: number,
  fn: (i: number) => Promise<void>,
): Promise<number> {
  const t0 = performance.now();
  let i = 0;
  while (i < maxReps && (i < minReps || performance.now() - t0 < minMs)) await fn(i++);
  return i;
}
