/**
 * The graph's input schema edited as fields (name, type, required, description), the raw JSON
 * Schema one toggle away. Keywords the fields do not show (enum, default, bounds, …) are kept.
 */
import { useState, type JSX } from 'react';
import { Icon } from '../ui/icons';
import { SegmentedRadio } from '../ui/SegmentedRadio';
import { CommitInput, JsonTextArea } from './fields';

type Prop = Record<string, unknown>;
type Schema = { type?: unknown; properties?: Record<string, Prop>; required?: string[]; [k: string]: unknown };

const TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array'] as const;
const NAME_RE = /^[A-Za-z_$][\w$-]*$/;

/** The schema made of these properties (none: no schema at all, any input is accepted). */
function rebuild(base: Schema, entries: [string, Prop][], required: string[]): Schema | undefined {
  if (entries.length === 0 && Object.keys(base).every((k) => ['type', 'properties', 'required'].includes(k)))
    return undefined;
  const names = new Set(entries.map(([n]) => n));
  const req = required.filter((r) => names.has(r));
  const { required: _r, properties: _p, ...rest } = base;
  return {
    ...rest,
    type: 'object',
    properties: Object.fromEntries(entries),
    ...(req.length ? { required: req } : {}),
  };
}

export function InputSchemaEditor({
  schema,
  onChange,
}: {
  schema: Record<string, unknown> | undefined;
  onChange(next: Record<string, unknown> | undefined): void;
}): JSX.Element {
  const [raw, setRaw] = useState(false);
  const s = (schema ?? {}) as Schema;
  const entries = Object.entries(s.properties ?? {});
  const required = Array.isArray(s.required) ? s.required : [];
  const set = (next: [string, Prop][], req = required) => onChange(rebuild(s, next, req));
  const patch = (i: number, p: Prop) => set(entries.map((e, j) => (j === i ? [e[0], p] : e)));
  const fieldsPossible = s.type === undefined || s.type === 'object';
  return (
    <div className="field" role="group" aria-labelledby="input-schema-label">
      <div className="field-label" id="input-schema-label">
        Input schema <span className="field-hint">what a run takes</span>
        <span className="spacer" />
        <SegmentedRadio
          inline
          label="Edit the input schema as"
          value={raw ? 'json' : 'fields'}
          options={[
            { value: 'fields', label: 'Fields', disabled: !fieldsPossible },
            { value: 'json', label: 'JSON' },
          ]}
          testId={(m) => `schema-mode-${m}`}
          onChange={(m) => setRaw(m === 'json')}
        />
      </div>
      {raw || !fieldsPossible ? (
        <JsonTextArea
          testId="graph-input-schema"
          value={schema ?? {}}
          rows={8}
          onChange={(v) => onChange(v && typeof v === 'object' && Object.keys(v).length ? (v as Schema) : undefined)}
        />
      ) : (
        <div className="schema-fields" data-testid="schema-fields">
          {entries.length === 0 && <p className="muted small">No fields: a run takes any input.</p>}
          {entries.map(([name, p], i) => (
            <div className="schema-field-block" key={`${i}:${name}`} data-testid={`schema-field-${name}`}>
              <div className="schema-field schema-field-main">
                <CommitInput
                  testId={`schema-field-name-${i}`}
                  mono
                  ariaLabel={`Name of field ${i + 1}`}
                  value={name}
                  check={(v) =>
                    !NAME_RE.test(v)
                      ? 'letters, digits, _ or -'
                      : v !== name && entries.some(([n]) => n === v)
                        ? `"${v}" is taken`
                        : null
                  }
                  onCommit={(v) =>
                    set(
                      entries.map((e, j) => (j === i ? [v, e[1]] : e)),
                      required.map((r) => (r === name ? v : r)),
                    )
                  }
                />
                <select
                  className="input select"
                  aria-label={`Type of ${name}`}
                  data-testid={`schema-field-type-${i}`}
                  value={typeof p['type'] === 'string' ? p['type'] : ''}
                  onChange={(e) => patch(i, { ...p, type: e.target.value || undefined })}
                >
                  <option value="">any</option>
                  {TYPES.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              </div>
              <div className="schema-field schema-field-more">
                <input
                  className="input schema-field-desc"
                  placeholder="Description (run form)"
                  aria-label={`Description of ${name}`}
                  data-testid={`schema-field-desc-${i}`}
                  value={typeof p['description'] === 'string' ? p['description'] : ''}
                  onChange={(e) => patch(i, { ...p, description: e.target.value || undefined })}
                />
                <label className="check-inline">
                  <input
                    type="checkbox"
                    data-testid={`schema-field-required-${i}`}
                    checked={required.includes(name)}
                    onChange={(e) =>
                      set(entries, e.target.checked ? [...required, name] : required.filter((r) => r !== name))
                    }
                  />{' '}
                  required
                </label>
                <button
                  type="button"
                  className="btn btn-icon btn-ghost"
                  data-testid={`schema-field-remove-${i}`}
                  aria-label={`Remove field ${name}`}
                  onClick={() => set(entries.filter((_, j) => j !== i))}
                >
                  <Icon name="close" size={13} />
                </button>
              </div>
            </div>
          ))}
          <button
            type="button"
            className="btn btn-sm"
            data-testid="schema-add-field"
            onClick={() => {
              let n = entries.length + 1;
              while (entries.some(([k]) => k === `field${n}`)) n++;
              set([...entries, [`field${n}`, { type: 'string' }]]);
            }}
          >
            <Icon name="plus" size={12} /> Add a field
          </button>
        </div>
      )}
    </div>
  );
}
