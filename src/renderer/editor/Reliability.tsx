/** A node's reliability settings: retries, backoff, timeout, jitter and side effect. */
import type { JSX } from 'react';
import type { GraphNode } from '../../core/graph/schema';
import { findKind } from '../../core/nodes/registry';
import { Field, NumberInput, Select } from './fields';
import { patchNode } from './node-edit';

export function Reliability({ node }: { node: GraphNode }): JSX.Element {
  const retry = node.retry ?? {};
  const setRetry = (key: string, v: unknown) => {
    const next: Record<string, unknown> = { ...retry, [key]: v };
    if (v === undefined || v === '') delete next[key];
    patchNode(node.id, { retry: Object.keys(next).length ? (next as GraphNode['retry']) : undefined }, `retry.${key}`);
  };
  return (
    <details className="section">
      <summary>Reliability</summary>
      <div className="field-row">
        <Field label="Max attempts">
          <NumberInput
            testId="field-retry-maxAttempts"
            value={retry.maxAttempts}
            min={1}
            placeholder="default"
            onChange={(v) => setRetry('maxAttempts', v)}
          />
        </Field>
        <Field label="Backoff (ms)">
          <NumberInput
            testId="field-retry-backoffMs"
            value={retry.backoffMs}
            placeholder="default"
            onChange={(v) => setRetry('backoffMs', v)}
          />
        </Field>
      </div>
      <div className="field-row">
        <Field label="Strategy">
          <Select
            testId="field-retry-strategy"
            value={retry.strategy ?? ''}
            options={[
              { value: '', label: 'default' },
              ...['exponential', 'linear', 'fixed'].map((s) => ({ value: s, label: s })),
            ]}
            onChange={(v) => setRetry('strategy', v || undefined)}
          />
        </Field>
        <Field label="Timeout (ms)">
          <NumberInput
            testId="field-timeoutMs"
            value={node.timeoutMs}
            min={1}
            placeholder="default"
            onChange={(v) => patchNode(node.id, { timeoutMs: v }, 'timeoutMs')}
          />
        </Field>
      </div>
      <div className="field-row">
        <label className="check">
          <input
            type="checkbox"
            checked={retry.jitter ?? true}
            onChange={(e) => setRetry('jitter', e.target.checked ? undefined : false)}
          />{' '}
          Jitter
        </label>
        <Field label="Side effect">
          <Select
            testId="field-sideEffect"
            value={node.sideEffect ?? ''}
            options={[
              {
                value: '',
                label: `default (${findKind(node.type)?.defaultSideEffect(node.config ?? {}) ?? 'unsafe'})`,
              },
              ...['pure', 'idempotent', 'unsafe'].map((s) => ({ value: s, label: s })),
            ]}
            onChange={(v) =>
              patchNode(node.id, { sideEffect: (v || undefined) as GraphNode['sideEffect'] }, 'sideEffect')
            }
          />
        </Field>
      </div>
    </details>
  );
}
