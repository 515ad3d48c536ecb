/** Small form controls of the side panel. */
import { useEffect, useId, useState, type JSX, type ReactNode } from 'react';

/**
 * A labelled field. Native controls sit inside the <label>; an editor that is not a native
 * control (Monaco) is a `group` named by the label instead: inside a <label>, a click would be
 * sent to the first labelable element (Monaco's hidden textarea) and typing would go nowhere.
 */
export function Field({
  label,
  hint,
  error,
  children,
  group,
}: {
  label: string;
  hint?: string;
  error?: string | undefined;
  children: ReactNode;
  group?: boolean;
}): JSX.Element {
  const id = useId();
  const head = (
    <span className="field-label" id={id}>
      {label}
      {hint && <span className="field-hint">{hint}</span>}
    </span>
  );
  const message = error && <span className="field-message">{error}</span>;
  return group ? (
    <div className={`field${error ? ' field-error' : ''}`} role="group" aria-labelledby={id}>
      {head}
      {children}
      {message}
    </div>
  ) : (
    <label className={`field${error ? ' field-error' : ''}`}>
      {head}
      {children}
      {message}
    </label>
  );
}

type TextProps = { value: string; onChange(v: string): void; testId: string; placeholder?: string; mono?: boolean };

/** `list`: the id of a <datalist> of suggested values. */
type TextInputProps = TextProps & { list?: string };

export function TextInput({ value, onChange, testId, placeholder, mono, list }: TextInputProps): JSX.Element {
  return (
    <input
      className={mono ? 'input mono' : 'input'}
      data-testid={testId}
      value={value}
      placeholder={placeholder}
      list={list}
      spellCheck={false}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

export function TextArea({
  value,
  onChange,
  testId,
  placeholder,
  mono,
  rows = 4,
}: TextProps & { rows?: number }): JSX.Element {
  return (
    <textarea
      className={mono ? 'input textarea mono' : 'input textarea'}
      data-testid={testId}
      value={value}
      rows={rows}
      placeholder={placeholder}
      spellCheck={false}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

export function Select<T extends string>({
  value,
  options,
  onChange,
  testId,
}: {
  value: T | '';
  options: readonly { value: T | ''; label: string }[];
  onChange(v: T | ''): void;
  testId: string;
}): JSX.Element {
  return (
    <select
      className="input select"
      data-testid={testId}
      value={value}
      onChange={(e) => onChange(e.target.value as T | '')}
    >
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/** A number field that accepts partial input; empty gives undefined. */
export function NumberInput({
  value,
  onChange,
  testId,
  placeholder,
  min = 0,
}: {
  value: number | undefined;
  onChange(v: number | undefined): void;
  testId: string;
  placeholder?: string;
  min?: number;
}): JSX.Element {
  const [text, setText] = useState(value === undefined ? '' : String(value));
  useEffect(() => {
    if (Number(text) !== value || (text === '') !== (value === undefined))
      setText(value === undefined ? '' : String(value));
  }, [value]);
  return (
    <input
      className="input"
      type="number"
      min={min}
      data-testid={testId}
      value={text}
      placeholder={placeholder}
      onChange={(e) => {
        setText(e.target.value);
        if (e.target.value === '') onChange(undefined);
        else if (Number.isFinite(Number(e.target.value))) onChange(Number(e.target.value));
      }}
    />
  );
}

/**
 * Text bound to a value that is committed on blur or Enter (ids: a half-typed id must not rename
 * the node on every keystroke). `check` returns an error to show instead of committing.
 */
export function CommitInput({
  value,
  onCommit,
  check,
  testId,
  mono,
  ariaLabel,
}: {
  value: string;
  onCommit(v: string): void;
  check(v: string): string | null;
  testId: string;
  mono?: boolean;
  ariaLabel?: string;
}): JSX.Element {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const error = text === value ? null : check(text);
  const commit = () => {
    if (text !== value && !check(text)) onCommit(text);
    else setText(value);
  };
  return (
    <>
      <input
        className={`input${mono ? ' mono' : ''}${error ? ' input-invalid' : ''}`}
        data-testid={testId}
        aria-label={ariaLabel}
        aria-invalid={error ? true : undefined}
        value={text}
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') setText(value);
        }}
      />
      {error && <span className="field-message">{error}</span>}
    </>
  );
}

/** A JSON value edited as text; parse errors show inline and are not committed. */
export function JsonTextArea({
  value,
  onChange,
  testId,
  rows = 5,
  id,
}: {
  value: unknown;
  onChange(v: unknown): void;
  testId: string;
  rows?: number;
  id?: string;
}): JSX.Element {
  const pretty = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 2));
  const [text, setText] = useState(pretty(value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    try {
      if (JSON.stringify(JSON.parse(text)) === JSON.stringify(value)) return;
    } catch {
      /* the text is mid-edit */
    }
    if (document.activeElement?.getAttribute('data-testid') !== testId) {
      setText(pretty(value));
      setError(null);
    }
  }, [value]);
  return (
    <>
      <textarea
        id={id}
        className={`input textarea mono${error ? ' input-invalid' : ''}`}
        data-testid={testId}
        aria-invalid={error ? true : undefined}
        rows={rows}
        value={text}
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          try {
            // Emptied: no value (an optional field's key is removed).
            onChange(e.target.value.trim() === '' ? undefined : JSON.parse(e.target.value));
            setError(null);
          } catch (err) {
            setError(err instanceof Error ? err.message : String(err));
          }
        }}
      />
      {error && <span className="field-message">{error}</span>}
    </>
  );
}
