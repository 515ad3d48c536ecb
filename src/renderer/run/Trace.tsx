/** The hierarchical trace: run → node → attempt → model or tool call, each with its fields. */
import { useState, type JSX } from 'react';
import { StateIcon } from '../ui/icons';
import { fmtCost, fmtMs } from '../ui/format';
import type { TraceField, TraceItem } from './trace';
import { tokensText } from '../ui/spend';

const MAX_TEXT = 20_000;

export function JsonBlock({ value, testId, error }: { value: unknown; testId?: string; error?: boolean }): JSX.Element {
  const text = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? 'undefined');
  return (
    <pre className={`json-block${error ? ' is-error' : ''}`} data-testid={testId}>
      {text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n… (${text.length - MAX_TEXT} more characters)` : text}
    </pre>
  );
}

function Field({ f }: { f: TraceField }): JSX.Element {
  // An error's stack is long: shown folded under the error.
  const { stack, ...rest } =
    f.error && f.value && typeof f.value === 'object' ? (f.value as { stack?: unknown }) : { stack: undefined };
  return (
    <div className="trace-field">
      <div className="trace-field-label">{f.label}</div>
      <JsonBlock
        value={f.error ? rest : f.value}
        error={f.error ?? false}
        {...(f.error ? { testId: 'trace-error' } : {})}
      />
      {typeof stack === 'string' && (
        <details className="trace-stack">
          <summary className="small muted">stack</summary>
          <JsonBlock value={stack} />
        </details>
      )}
    </div>
  );
}

/** An item's tokens, written as the run view writes them everywhere (spend.ts). */
function TraceTokens({ tokens, estimating }: { tokens: number; estimating?: boolean | undefined }): JSX.Element {
  const t = tokensText(tokens, estimating === true);
  return <span title={t.title ?? 'tokens'}>{t.text} tok</span>;
}

function Meta({ item }: { item: TraceItem }): JSX.Element {
  return (
    <span className="trace-meta">
      {item.model && <span className="chip">{item.model}</span>}
      {item.tokens !== undefined && item.tokens > 0 && (
        <TraceTokens tokens={item.tokens} estimating={item.estimating} />
      )}
      {item.costUsd !== undefined && item.costUsd > 0 && <span title="cost">{fmtCost(item.costUsd)}</span>}
      {item.ms !== undefined && <span title="latency">{fmtMs(item.ms)}</span>}
    </span>
  );
}

function Item({ item, depth, focus }: { item: TraceItem; depth: number; focus?: string | null }): JSX.Element {
  const interesting =
    item.status === 'failed' ||
    item.status === 'retrying' ||
    item.kind === 'run' ||
    (item.kind === 'node' && focus === item.id);
  const [open, setOpen] = useState(interesting);
  const empty = item.fields.length === 0 && item.children.length === 0;
  return (
    <details
      className={`trace-item trace-${item.kind}`}
      open={open || (item.kind === 'node' && focus === item.id)}
      onToggle={(e) => setOpen(e.currentTarget.open)}
      data-testid={`trace-${item.kind}-${item.id}`}
      data-status={item.status}
    >
      <summary className={empty ? 'is-leaf' : ''}>
        {item.status && (
          <span className={`trace-status status-${item.status}`} title={item.status}>
            <StateIcon state={item.status} size={12} />
          </span>
        )}
        <span className="trace-kind">{item.kind}</span>
        <span className="trace-title">{item.title}</span>
        <Meta item={item} />
      </summary>
      <div className="trace-body">
        {item.fields.map((f) => (
          <Field key={f.label} f={f} />
        ))}
        {item.children.map((c) => (
          <Item key={c.id} item={c} depth={depth + 1} focus={focus ?? null} />
        ))}
      </div>
    </details>
  );
}

export function Trace({ root, focus }: { root: TraceItem; focus?: string | null }): JSX.Element {
  return (
    <div className="trace" data-testid="trace">
      <Item item={root} depth={0} focus={focus ?? null} />
    </div>
  );
}
