/**
 * The run input form, generated from the graph's input JSON Schema: one field per property
 * (string → text, number/integer → number, boolean → checkbox, enum → select, object/array or
 * no type → JSON), required fields marked, each value checked before the run starts with a
 * message beside the field; a raw JSON mode for everything else. The host checks it again.
 */
import { useState, type JSX } from 'react';
import { DialogActions } from '../ui/Modal';

export type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
  enum?: unknown[];
  default?: unknown;
  title?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
};
type Values = Record<string, string | boolean>;

export function inputFields(schema: unknown): { name: string; schema: Schema; required: boolean }[] {
  const s = (schema ?? {}) as Schema;
  return Object.entries(s.properties ?? {}).map(([name, p]) => ({
    name,
    schema: p ?? {},
    required: (s.required ?? []).includes(name),
  }));
}

export const fieldKind = (s: Schema): 'enum' | 'string' | 'number' | 'integer' | 'boolean' | 'json' => {
  if (Array.isArray(s.enum)) return 'enum';
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  return t === 'string' || t === 'number' || t === 'integer' || t === 'boolean' ? t : 'json';
};

function initial(schema: unknown): Values {
  const out: Values = {};
  for (const f of inputFields(schema)) {
    const d = f.schema.default;
    const k = fieldKind(f.schema);
    if (k === 'boolean') out[f.name] = d === true;
    else if (k === 'enum')
      out[f.name] =
        d === undefined ? '' : String(f.schema.enum!.findIndex((o) => JSON.stringify(o) === JSON.stringify(d)));
    else
      out[f.name] =
        d === undefined
          ? ''
          : typeof d === 'string' && k === 'string'
            ? d
            : JSON.stringify(d, null, k === 'json' ? 2 : undefined);
  }
  return out;
}

/** Builds the input object; `errors` names each field whose value is missing or wrong. */
export function buildInput(
  schema: unknown,
  values: Values,
): { input: Record<string, unknown>; errors: Record<string, string> } {
  const input: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of inputFields(schema)) {
    const v = values[f.name];
    const k = fieldKind(f.schema);
    const s = f.schema;
    if (k === 'boolean') {
      input[f.name] = v === true;
      continue;
    }
    const text = typeof v === 'string' ? v : '';
    if (text === '' || (k === 'json' && text.trim() === '')) {
      if (f.required) errors[f.name] = 'required';
      continue;
    }
    if (k === 'enum') input[f.name] = s.enum![Number(text)];
    else if (k === 'string') {
      if (s.minLength !== undefined && text.length < s.minLength) errors[f.name] = `at least ${s.minLength} characters`;
      else if (s.maxLength !== undefined && text.length > s.maxLength)
        errors[f.name] = `at most ${s.maxLength} characters`;
      else if (s.pattern !== undefined && !safeTest(s.pattern, text)) errors[f.name] = `must match ${s.pattern}`;
      input[f.name] = text;
    } else if (k === 'number' || k === 'integer') {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) errors[f.name] = 'must be a number';
      else if (k === 'integer' && !Number.isInteger(n)) errors[f.name] = 'must be a whole number';
      else if (s.minimum !== undefined && n < s.minimum) errors[f.name] = `must be ≥ ${s.minimum}`;
      else if (s.maximum !== undefined && n > s.maximum) errors[f.name] = `must be ≤ ${s.maximum}`;
      input[f.name] = n;
    } else {
      try {
        const parsed: unknown = JSON.parse(text);
        const t = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
        const actual = parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed;
        if (t.length && !t.includes(actual)) errors[f.name] = `must be ${t.join(' or ')} (got ${actual})`;
        input[f.name] = parsed;
      } catch (err) {
        errors[f.name] = `not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  }
  return { input, errors };
}

function safeTest(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(text);
  } catch {
    return true;
  }
}

function Field({
  name,
  schema,
  required,
  value,
  error,
  readBy,
  first,
  set,
}: {
  name: string;
  schema: Schema;
  required: boolean;
  value: string | boolean | undefined;
  error?: string;
  /** Nodes whose templates read this optional field with no fallback: empty, the run fails there. */
  readBy?: string[];
  /** The form's first field: focused when the dialog opens. */
  first?: boolean;
  set(v: string | boolean): void;
}): JSX.Element {
  const k = fieldKind(schema);
  const tid = `run-input-${name}`;
  const warn = readBy && readBy.length > 0 && !required;
  const common = {
    'data-testid': tid,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': warn ? `${tid}-warn` : undefined,
    id: tid,
    autoFocus: first,
  };
  let control: JSX.Element;
  if (k === 'boolean')
    control = <input type="checkbox" {...common} checked={value === true} onChange={(e) => set(e.target.checked)} />;
  else if (k === 'enum')
    control = (
      <select className="input" {...common} value={String(value ?? '')} onChange={(e) => set(e.target.value)}>
        <option value="">{required ? 'choose…' : '—'}</option>
        {schema.enum!.map((o, i) => (
          <option key={i} value={String(i)}>
            {typeof o === 'string' ? o : JSON.stringify(o)}
          </option>
        ))}
      </select>
    );
  else if (k === 'string')
    control = (
      <textarea
        className="input textarea"
        rows={2}
        {...common}
        value={String(value ?? '')}
        onChange={(e) => set(e.target.value)}
      />
    );
  else if (k === 'number' || k === 'integer')
    control = (
      <input
        className="input"
        type="number"
        step={k === 'integer' ? 1 : 'any'}
        {...common}
        value={String(value ?? '')}
        onChange={(e) => set(e.target.value)}
      />
    );
  else
    control = (
      <textarea
        className="input textarea mono"
        rows={3}
        {...common}
        placeholder={`JSON${schema.type ? ` ${String(schema.type)}` : ''}`}
        value={String(value ?? '')}
        onChange={(e) => set(e.target.value)}
      />
    );
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <label className="field-label" htmlFor={tid}>
        {schema.title ?? name}
        <span className="field-type mono">{k === 'enum' ? 'one of' : k}</span>
        {required ? <span className="required">required</span> : <span className="optional">optional</span>}
      </label>
      {schema.description && <span className="field-hint">{schema.description}</span>}
      {warn && (
        <span className="field-warn" id={`${tid}-warn`} data-testid={`run-input-warn-${name}`}>
          {readBy!.join(', ')} {readBy!.length === 1 ? 'reads' : 'read'} it with no fallback: left empty, the run fails
          there.
        </span>
      )}
      {control}
      {error && (
        <div className="field-message" data-testid={`run-input-error-${name}`}>
          {error}
        </div>
      )}
    </div>
  );
}

export function InputForm({
  schema,
  optionalReads,
  onRun,
  onCancel,
}: {
  schema: unknown;
  /** Optional fields that templates read with no fallback, and the nodes that read them. */
  optionalReads?: Record<string, string[]>;
  onRun(input: unknown): Promise<void> | void;
  onCancel(): void;
}): JSX.Element {
  const fields = inputFields(schema);
  const [values, setValues] = useState(() => initial(schema));
  const [raw, setRaw] = useState<string | null>(fields.length ? null : '{}');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setError(null);
    let input: unknown;
    if (raw !== null) {
      try {
        input = JSON.parse(raw);
      } catch (err) {
        setError(`Not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    } else {
      const built = buildInput(schema, values);
      setErrors(built.errors);
      if (Object.keys(built.errors).length) return;
      input = built.input;
    }
    setBusy(true);
    try {
      await onRun(input);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="run-form"
      data-testid="run-input-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      // Ctrl+Enter (⌘+Enter) runs from any field: Enter alone is a new line in a text field.
      onKeyDown={(e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          if (!busy) void submit();
        }
      }}
    >
      {raw === null ? (
        fields.map((f, i) => (
          <Field
            key={f.name}
            {...f}
            first={i === 0}
            value={values[f.name]}
            error={errors[f.name]}
            readBy={optionalReads?.[f.name]}
            set={(v) => setValues((old) => ({ ...old, [f.name]: v }))}
          />
        ))
      ) : (
        <label className="field">
          <span className="field-label">Input (JSON)</span>
          <textarea
            className="input textarea mono"
            rows={8}
            data-testid="run-input-json"
            value={raw}
            autoFocus
            onChange={(e) => setRaw(e.target.value)}
          />
        </label>
      )}
      {error && (
        <div className="field-message" role="alert" data-testid="run-input-error">
          {error}
        </div>
      )}
      <DialogActions
        onCancel={onCancel}
        lead={
          <>
            {fields.length > 0 && (
              <button
                type="button"
                className="btn btn-ghost"
                onClick={() => setRaw(raw === null ? JSON.stringify(buildInput(schema, values).input, null, 2) : null)}
              >
                {raw === null ? 'Edit as JSON' : 'Back to form'}
              </button>
            )}
            <span className="muted small" data-testid="run-input-hint">
              Ctrl+Enter runs
            </span>
          </>
        }
      >
        <button type="submit" className="btn btn-primary" data-testid="run-submit" title="Ctrl+Enter" disabled={busy}>
          Run
        </button>
      </DialogActions>
    </form>
  );
}
