/** A node's config form, drawn from its kind's panel fields (the core descriptor's `panel`). */
import { useMemo, type JSX } from 'react';
import type { GraphNode } from '../../core/graph/schema';
import type { NodeKind, PanelField } from '../../core/nodes/kind';
import { expressionOf, kindUi } from '../doc/node-kinds';
import { ExpressionField } from './ExpressionField';
import { GraphRefInput } from './GraphRefInput';
import { Field, JsonTextArea, NumberInput, Select, TextArea, TextInput } from './fields';
import { codeMarkers } from './code-markers';
import { MonacoField } from './MonacoField';
import { setConfig } from './node-edit';

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

/** One-line text (a URL, a model, a reference) reads best in the code font; prose does not. */
const isMono = (f: PanelField): boolean =>
  f.input === 'expression' || f.input === 'code' || f.input === 'json' || (f.input === 'template' && !f.rows);

const oneLine = (f: PanelField): boolean =>
  f.input === 'number' || ((f.input === 'text' || f.input === 'template') && !f.rows);

/** JavaScript the host runs as a function body: its syntax error (the problem validation lists) is drawn under the text too. */
function CodeField(props: {
  testId: string;
  value: string;
  ariaLabel: string;
  checked: boolean;
  onChange(v: string): void;
}) {
  const { value, checked } = props;
  const markers = useMemo(() => (checked ? codeMarkers(value) : undefined), [value, checked]);
  return (
    <MonacoField
      testId={props.testId}
      language="javascript"
      value={value}
      height={200}
      ariaLabel={props.ariaLabel}
      markers={markers}
      onChange={props.onChange}
    />
  );
}

function One({
  node,
  kind,
  field: f,
  errors,
}: {
  node: GraphNode;
  kind: NodeKind;
  field: PanelField;
  errors: Record<string, string>;
}): JSX.Element | null {
  const c = node.config;
  const id = node.id;
  const testId = `field-${f.key}`;
  const error = errors[f.key];
  // An optional field left empty removes its key (the kind's default applies).
  const set = (v: unknown) => setConfig(id, f.key, f.optional && (v === '' || v === undefined) ? undefined : v);
  switch (f.input) {
    case 'select':
      return (
        <Field label={f.label} hint={f.hint} error={error}>
          <Select
            testId={testId}
            value={str(c[f.key])}
            options={[
              ...(f.optional ? [{ value: '', label: 'default' }] : []),
              ...(f.options ?? []).map((o) => ({ value: o, label: o })),
            ]}
            onChange={set}
          />
        </Field>
      );
    case 'number':
      return (
        <Field label={f.label} hint={f.hint} error={error}>
          <NumberInput testId={testId} value={c[f.key] as number | undefined} min={f.min} onChange={set} />
        </Field>
      );
    case 'code':
      return (
        <Field label={f.label} hint={f.hint} error={error} group>
          <CodeField
            testId={testId}
            value={str(c[f.key])}
            ariaLabel={`${f.label} of ${id}`}
            checked={kind.javascript?.includes(f.key) ?? false}
            onChange={set}
          />
        </Field>
      );
    case 'json':
      return (
        <Field label={f.label} hint={f.hint} error={error}>
          <JsonTextArea testId={testId} value={c[f.key]} rows={f.rows ?? 7} onChange={set} />
        </Field>
      );
    case 'text':
    case 'textarea':
    case 'template':
    case 'expression': {
      const expression = expressionOf(kind, f);
      if (expression)
        return (
          <Field label={f.label} hint={f.hint} error={error} group>
            <ExpressionField
              testId={testId}
              nodeId={id}
              kind={expression}
              value={str(c[f.key])}
              lines={f.rows ?? 1}
              mono={isMono(f)}
              ariaLabel={`${f.label} of ${id}`}
              onChange={set}
            />
          </Field>
        );
      return (
        <Field label={f.label} hint={f.hint} error={error}>
          {f.key === 'graph' && kind.childGraph ? (
            <GraphRefInput testId={testId} value={str(c[f.key])} onChange={set} />
          ) : oneLine(f) ? (
            <TextInput testId={testId} value={str(c[f.key])} mono={isMono(f)} onChange={set} />
          ) : (
            <TextArea testId={testId} value={str(c[f.key])} rows={f.rows ?? 3} mono={isMono(f)} onChange={set} />
          )}
        </Field>
      );
    }
  }
}

/** The fields shown, in rows: a choice and the one-line field after it share a line (provider and model, method and URL). */
function rowsOf(fields: readonly PanelField[], config: Record<string, unknown>): PanelField[][] {
  const shown = fields.filter((f) => !f.when || config[f.when.key] === f.when.equals);
  const rows: PanelField[][] = [];
  for (let i = 0; i < shown.length; i++) {
    const f = shown[i]!;
    const next = shown[i + 1];
    if (f.input === 'select' && next && oneLine(next)) {
      rows.push([f, next]);
      i++;
    } else rows.push([f]);
  }
  return rows;
}

export function ConfigFields({ node, errors }: { node: GraphNode; errors: Record<string, string> }): JSX.Element {
  const ui = kindUi(node.type);
  if (!ui) return <></>;
  return (
    <>
      {ui.note && <p className="muted small">{ui.note}</p>}
      {rowsOf(ui.fields, node.config).map((row) =>
        row.length === 1 ? (
          <One key={row[0]!.key} node={node} kind={ui.core} field={row[0]!} errors={errors} />
        ) : (
          <div className="field-row" key={row[0]!.key}>
            {row.map((f) => (
              <One key={f.key} node={node} kind={ui.core} field={f} errors={errors} />
            ))}
          </div>
        ),
      )}
    </>
  );
}
