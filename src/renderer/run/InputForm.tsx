/** The run input form, generated from the graph's input JSON Schema (with a raw JSON fallback). */
import { useState, type JSX } from 'react';

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; description?: string; enum?: unknown[]; default?: unknown; title?: string };

export function inputFields(schema: unknown): { name: string; schema: Schema; required: boolean }[] {
  const s = (schema ?? {}) as Schema;
  return Object.entries(s.properties ?? {}).map(([name, p]) => ({ name, schema: p ?? {}, required: (s.required ?? []).includes(name) }));
}

const kind = (s: Schema) => (Array.isArray(s.type) ? s.type[0] : s.type) ?? 'json';

function initial(schema: unknown): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const f of inputFields(schema)) {
    const d = f.schema.default;
    out[f.name] = kind(f.schema) === 'boolean' ? Boolean(d) : d === undefined ? '' : typeof d === 'string' ? d : JSON.stringify(d);
  }
  return out;
}

export function buildInput(schema: unknown, values: Record<string, string | boolean>): unknown {
  const out: Record<string, unknown> = {};
  for (const f of inputFields(schema)) {
    const v = values[f.name];
    if (v === '' || v === undefined) continue;
    const k = kind(f.schema);
    if (k === 'boolean') out[f.name] = v === true;
    else if (k === 'number' || k === 'integer') out[f.name] = Number(v);
    else if (k === 'string') out[f.name] = String(v);
    else out[f.name] = JSON.parse(String(v));
  }
  return out;
}

export function InputForm({ schema, onRun, onCancel }: { schema: unknown; onRun(input: unknown): void; onCancel(): void }): JSX.Element {
  const fields = inputFields(schema);
  const [values, setValues] = useState(() => initial(schema));
  const [raw, setRaw] = useState<string | null>(fields.length ? null : '{}');
  const [error, setError] = useState<string | null>(null);
  const submit = () => {
    try {
      onRun(raw !== null ? JSON.parse(raw) : buildInput(schema, values));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form
      className="run-form"
      data-testid="run-input-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {raw === null ? (
        fields.map((f) => {
          const k = kind(f.schema);
          const set = (v: string | boolean) => setValues({ ...values, [f.name]: v });
          return (
            <label key={f.name} className="field">
              <span className="field-label">
                {f.schema.title ?? f.name}
                {f.required && <span className="required">required</span>}
                {f.schema.description && <span className="field-hint">{f.schema.description}</span>}
              </span>
              {k === 'boolean' ? (
                <input type="checkbox" data-testid={`run-input-${f.name}`} checked={values[f.name] === true} onChange={(e) => set(e.target.checked)} />
              ) : f.schema.enum ? (
                <select className="input" data-testid={`run-input-${f.name}`} value={String(values[f.name] ?? '')} onChange={(e) => set(e.target.value)}>
                  <option value="" />
                  {f.schema.enum.map((o) => (
                    <option key={String(o)} value={String(o)}>
                      {String(o)}
                    </option>
                  ))}
                </select>
              ) : k === 'string' ? (
                <textarea className="input textarea" rows={3} data-testid={`run-input-${f.name}`} value={String(values[f.name] ?? '')} required={f.required} onChange={(e) => set(e.target.value)} />
              ) : (
                <input className={`input${k === 'number' || k === 'integer' ? '' : ' mono'}`} type={k === 'number' || k === 'integer' ? 'number' : 'text'} data-testid={`run-input-${f.name}`} value={String(values[f.name] ?? '')} required={f.required} onChange={(e) => set(e.target.value)} placeholder={k === 'json' || k === 'object' || k === 'array' ? 'JSON' : ''} />
              )}
            </label>
          );
        })
      ) : (
        <label className="field">
          <span className="field-label">Input (JSON)</span>
          <textarea className="input textarea mono" rows={8} data-testid="run-input-json" value={raw} onChange={(e) => setRaw(e.target.value)} />
        </label>
      )}
      {error && <div className="field-message">{error}</div>}
      <div className="dialog-actions">
        {fields.length > 0 && (
          <button type="button" className="btn btn-ghost" onClick={() => setRaw(raw === null ? JSON.stringify(buildInputSafe(schema, values), null, 2) : null)}>
            {raw === null ? 'Edit as JSON' : 'Back to form'}
          </button>
        )}
        <span className="spacer" />
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" data-testid="run-submit">
          Run
        </button>
      </div>
    </form>
  );
}

function buildInputSafe(schema: unknown, values: Record<string, string | boolean>): unknown {
  try {
    return buildInput(schema, values);
  } catch {
    return {};
  }
}
