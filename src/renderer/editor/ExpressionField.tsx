/**
 * An expression field (a template, or a condition): Monaco with completion of `input.*` and
 * `nodes.<upstream>.output.*`, problems underlined and listed under it, and a live preview of
 * the value against the last run's values or the node's pinned inputs.
 */
import { useEffect, useMemo, useRef, useState, type JSX } from 'react';
import type { TemplateScope } from '../../core/ports';
import type { ExpressionKind } from '../doc/node-kinds';
import { useDoc } from '../doc/store';
import { registerExprContext } from './expr-registry';
import { analyze, piecesOf, preview, type ExprContext } from './expressions';
import { useLastRunScope } from './last-run';
import { MonacoField } from './MonacoField';
import { usePins } from './pins';

const LINE_PX = 18;

function pinnedScope(p: { input: unknown; outputs: Record<string, unknown> }): TemplateScope {
  return { input: p.input, nodes: Object.fromEntries(Object.entries(p.outputs).map(([k, v]) => [k, { output: v }])) };
}

const isEmpty = (v: unknown) =>
  v === undefined || v === null || (typeof v === 'object' && Object.keys(v as object).length === 0);

const show = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v, null, 1) ?? 'undefined'));

export function ExpressionField({
  testId,
  nodeId,
  kind,
  value,
  lines,
  ariaLabel,
  onChange,
}: {
  testId: string;
  nodeId: string;
  kind: ExpressionKind;
  value: string;
  lines: number;
  mono?: boolean;
  ariaLabel: string;
  onChange(v: string): void;
}): JSX.Element {
  const graph = useDoc((s) => s.graph);
  const lastRun = useLastRunScope();
  const pins = usePins(graph.id);
  const [from, setFrom] = useState<'run' | 'pins'>('run');
  const fromRun = from === 'run' && lastRun !== null;
  const scope = useMemo(() => (fromRun ? lastRun : pinnedScope(pins)), [fromRun, lastRun, pins]);
  const noValues = !fromRun && Object.keys(pins.outputs).length === 0 && isEmpty(pins.input);
  const key = `${nodeId}:${testId}`;
  const ctx = useRef<ExprContext>({ graph, nodeId, scope });
  ctx.current = { graph, nodeId, scope };
  useEffect(() => registerExprContext(key, () => ctx.current), [key]);
  const markers = useMemo(() => analyze(value, kind, { graph, nodeId, scope: null }), [value, kind, graph, nodeId]);
  const hasExpr = useMemo(() => piecesOf(value, kind).pieces.length > 0, [value, kind]);
  const [result, setResult] = useState<Awaited<ReturnType<typeof preview>> | null>(null);
  useEffect(() => {
    if (!hasExpr || markers.some((m) => m.severity === 'error')) return setResult(null);
    let live = true;
    const t = setTimeout(() => void preview(value, kind, scope).then((r) => live && setResult(r)), 120);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [value, kind, scope, hasExpr, markers]);
  return (
    <div className="expr-field">
      <MonacoField
        testId={testId}
        language={kind === 'template' ? 'statepipe-template' : 'statepipe-condition'}
        value={value}
        onChange={onChange}
        height={Math.max(1, lines) * LINE_PX + 12}
        compact
        ariaLabel={ariaLabel}
        contextKey={key}
        markers={markers}
      />
      {markers.length > 0 && (
        <ul className="expr-problems" data-testid={`${testId}-problems`}>
          {markers.map((m, i) => (
            <li key={i} className={`expr-${m.severity}`}>
              {m.message}
            </li>
          ))}
        </ul>
      )}
      {hasExpr && noValues && (
        <div className="expr-preview muted" data-testid={`${testId}-preview`}>
          Run the graph once, or pin inputs in the Test tab, to preview this with values.
        </div>
      )}
      {hasExpr && !noValues && result && (
        <div className={`expr-preview${result.ok ? '' : ' is-error'}`} data-testid={`${testId}-preview`}>
          <span className="expr-preview-head">
            Preview with{' '}
            <select
              className="expr-from"
              aria-label="Values for the preview"
              value={fromRun ? 'run' : 'pins'}
              onChange={(e) => setFrom(e.target.value as 'run' | 'pins')}
            >
              {lastRun && <option value="run">the last run</option>}
              <option value="pins">the pinned inputs</option>
            </select>
          </span>
          <code className="expr-preview-value">{result.ok ? show(result.value) : result.message}</code>
        </div>
      )}
    </div>
  );
}
