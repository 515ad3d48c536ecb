/** A node's config form, drawn from its kind's field specs (doc/node-kinds.ts). */
import type { JSX } from 'react';
import type { GraphNode } from '../../core/graph/schema';
import { kindOf, type FieldSpec } from '../doc/node-kinds';
import { ExpressionField } from './ExpressionField';
import { Field, JsonTextArea, NumberInput, Select, TextArea, TextInput } from './fields';
import { MonacoField } from './MonacoField';
import { setConfig } from './node-edit';

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

function One({
  node,
  spec,
  errors,
}: {
  node: GraphNode;
  spec: FieldSpec;
  errors: Record<string, string>;
}): JSX.Element | null {
  const c = node.config;
  const id = node.id;
  switch (spec.kind) {
    case 'note':
      return <p className="muted small">{spec.text}</p>;
    case 'row':
      return (
        <div className="field-row">
          {spec.fields.map((f, i) => (
            <One key={i} node={node} spec={f} errors={errors} />
          ))}
        </div>
      );
    case 'select':
      return (
        <Field label={spec.label} error={errors[spec.key]}>
          <Select
            testId={`field-${spec.key}`}
            value={str(c[spec.key])}
            options={spec.options.map((o) => ({ value: o, label: o }))}
            onChange={(v) => setConfig(id, spec.key, v)}
          />
        </Field>
      );
    case 'number':
      return (
        <Field label={spec.label} error={errors[spec.key]}>
          <NumberInput
            testId={`field-${spec.key}`}
            value={c[spec.key] as number | undefined}
            min={spec.min}
            onChange={(v) => setConfig(id, spec.key, v)}
          />
        </Field>
      );
    case 'code':
      return (
        <Field label={spec.label} hint={spec.hint} error={errors[spec.key]} group>
          <MonacoField
            testId={`field-${spec.key}`}
            language="javascript"
            value={str(c[spec.key])}
            height={200}
            ariaLabel={`${spec.label} of ${id}`}
            onChange={(v) => setConfig(id, spec.key, v)}
          />
        </Field>
      );
    case 'json':
      return (
        <Field label={spec.label} hint={spec.hint} error={errors[spec.key]}>
          <JsonTextArea
            testId={`field-${spec.key}`}
            value={c[spec.key]}
            rows={7}
            onChange={(v) => setConfig(id, spec.key, v)}
          />
        </Field>
      );
    case 'text': {
      if (spec.when && c[spec.when.key] !== spec.when.equals) return null;
      const set = (v: string) => setConfig(id, spec.key, spec.optional && v === '' ? undefined : v);
      if (spec.expression)
        return (
          <Field label={spec.label} hint={spec.hint} error={errors[spec.key]} group>
            <ExpressionField
              testId={`field-${spec.key}`}
              nodeId={id}
              kind={spec.expression}
              value={str(c[spec.key])}
              lines={spec.rows ?? 1}
              mono={spec.mono}
              ariaLabel={`${spec.label} of ${id}`}
              onChange={set}
            />
          </Field>
        );
      return (
        <Field label={spec.label} hint={spec.hint} error={errors[spec.key]}>
          {spec.rows ? (
            <TextArea
              testId={`field-${spec.key}`}
              value={str(c[spec.key])}
              rows={spec.rows}
              mono={spec.mono}
              onChange={set}
            />
          ) : (
            <TextInput testId={`field-${spec.key}`} value={str(c[spec.key])} mono={spec.mono} onChange={set} />
          )}
        </Field>
      );
    }
  }
}

export function ConfigFields({ node, errors }: { node: GraphNode; errors: Record<string, string> }): JSX.Element {
  return (
    <>
      {(kindOf(node.type)?.fields ?? []).map((f, i) => (
        <One key={i} node={node} spec={f} errors={errors} />
      ))}
    </>
  );
}
