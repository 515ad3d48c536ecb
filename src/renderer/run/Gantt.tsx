/** The run's timeline: one row per node, one bar per attempt (SVG), colored by outcome. */
import { useMemo, useRef, type JSX } from 'react';
import type { Graph } from '../../core/graph/schema';
import type { RunSnapshot } from '../run/fold';
import { attemptState } from './inspector-parts';
import { fmtMs } from '../ui/format';
import { useClientSize } from '../ui/use-client-size';

const ROW = 26;
const LABEL_W = 150;
const AXIS_H = 22;

interface Bar {
  nodeId: string;
  attempt: number;
  start: number;
  end: number;
  status: string;
  open: boolean;
}

export function Gantt({
  graph,
  state,
  now,
  onSelect,
  selected,
}: {
  graph: Graph;
  state: RunSnapshot;
  now: number;
  onSelect?(nodeId: string): void;
  selected?: string | null;
}): JSX.Element {
  const { rows, t0, t1 } = useMemo(() => {
    const rows: { nodeId: string; bars: Bar[] }[] = [];
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const g of graph.nodes) {
      const n = state.nodes[g.id];
      if (!n || n.attempts.length === 0) continue;
      const bars = n.attempts.map((a) => {
        const end = a.finishedAt ?? now;
        t0 = Math.min(t0, a.startedAt);
        t1 = Math.max(t1, end);
        return {
          nodeId: g.id,
          attempt: a.attempt,
          start: a.startedAt,
          end,
          status: attemptState(a.status),
          open: a.finishedAt === undefined,
        };
      });
      rows.push({ nodeId: g.id, bars });
    }
    if (state.startedAt) t0 = Math.min(t0, Date.parse(state.startedAt));
    if (state.finishedAt) t1 = Math.max(t1, Date.parse(state.finishedAt));
    return { rows, t0, t1 };
  }, [graph, state, now]);

  // Drawn 1:1 at the box's width (at least 360 px: the side panel's), so its text keeps its size.
  const box = useRef<HTMLDivElement>(null);
  const measured = useClientSize(box, { width: 900, height: 0 }, rows.length > 0).width;
  if (rows.length === 0)
    return (
      <div className="muted rd-empty" data-testid="gantt">
        No node has started yet.
      </div>
    );
  const span = Math.max(1, t1 - t0);
  const width = Math.max(360, Math.floor(measured));
  const plot = width - LABEL_W - 16;
  const x = (t: number) => LABEL_W + ((t - t0) / span) * plot;
  const ticks = Array.from({ length: 5 }, (_, i) => (span * i) / 4);
  const height = AXIS_H + rows.length * ROW + 6;
  return (
    <div ref={box} className="gantt-box" tabIndex={0} role="region" aria-label="Timeline (scrolls sideways)">
      <svg
        className="gantt"
        data-testid="gantt"
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-label="Timeline of node attempts"
      >
        {ticks.map((t) => (
          <g key={t}>
            <line x1={x(t0 + t)} x2={x(t0 + t)} y1={AXIS_H - 4} y2={height} className="gantt-grid" />
            <text
              x={x(t0 + t)}
              y={12}
              className="gantt-tick"
              textAnchor={t === 0 ? 'start' : t === span ? 'end' : 'middle'}
            >
              {fmtMs(t)}
            </text>
          </g>
        ))}
        {rows.map((r, i) => {
          const y = AXIS_H + i * ROW;
          return (
            <g
              key={r.nodeId}
              className={`gantt-row${selected === r.nodeId ? ' is-selected' : ''}`}
              onClick={() => onSelect?.(r.nodeId)}
            >
              <rect x={0} y={y} width={width} height={ROW} className="gantt-band" />
              <text x={8} y={y + ROW / 2 + 4} className="gantt-label">
                {r.nodeId}
              </text>
              {r.bars.map((b) => (
                <rect
                  key={b.attempt}
                  x={x(b.start)}
                  y={y + 5}
                  width={Math.max(3, x(b.end) - x(b.start))}
                  height={ROW - 10}
                  rx={3}
                  className={`gantt-bar status-${b.status}${b.open ? ' is-open' : ''}`}
                  data-testid={`gantt-bar-${b.nodeId}-${b.attempt}`}
                  data-status={b.status}
                >
                  <title>{`${b.nodeId} · attempt ${b.attempt} · ${b.status} · ${fmtMs(b.end - b.start)}`}</title>
                </rect>
              ))}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
