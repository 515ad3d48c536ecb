/**
 * A Monaco editor bound to a string value. Monaco loads on first use. Each live editor is
 * registered on `window.__statepipeEditors[testId]` (getValue/setValue), so end-to-end tests
 * can set long text without typing it.
 */
import { useEffect, useRef, useState, type JSX } from 'react';
import { useTheme } from '../ui/theme';

type Api = { getValue(): string; setValue(v: string): void };
const registry: Record<string, Api> = {};
(window as unknown as { __statepipeEditors: Record<string, Api> }).__statepipeEditors = registry;

let counter = 0;

export interface MonacoFieldProps {
  value: string;
  onChange(value: string): void;
  language: 'json' | 'javascript';
  /** The node type whose config schema validates this JSON. */
  schemaType?: string;
  testId: string;
  height?: number;
  ariaLabel?: string;
}

export function MonacoField({
  value,
  onChange,
  language,
  schemaType,
  testId,
  height = 180,
  ariaLabel,
}: MonacoFieldProps): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const valueRef = useRef(value);
  valueRef.current = value;
  const apiRef = useRef<{ setValue(v: string): void; focused(): boolean; setTheme(t: string): void } | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>('loading');
  const { theme } = useTheme();
  const monacoTheme = theme === 'dark' ? 'vs-dark' : 'vs';
  const themeRef = useRef(monacoTheme);
  themeRef.current = monacoTheme;

  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    import('./monaco-setup')
      .then(({ monaco }) => {
        if (disposed || !host.current) return;
        const ext = language === 'json' ? 'json' : 'js';
        const uri = monaco.Uri.parse(
          `inmemory://statepipe/${++counter}${schemaType ? `.config-${schemaType}` : ''}.${ext}`,
        );
        const model = monaco.editor.createModel(valueRef.current, language, uri);
        const editor = monaco.editor.create(host.current, {
          model,
          theme: themeRef.current,
          minimap: { enabled: false },
          automaticLayout: true,
          fontSize: 12,
          lineNumbersMinChars: 3,
          scrollBeyondLastLine: false,
          wordWrap: 'on',
          tabSize: 2,
          renderLineHighlight: 'none',
          overviewRulerLanes: 0,
          fixedOverflowWidgets: true,
          folding: language === 'json',
          ariaLabel: ariaLabel ?? testId,
          scrollbar: { verticalScrollbarSize: 8, horizontalScrollbarSize: 8 },
        });
        let external = false;
        const sub = model.onDidChangeContent(() => {
          if (!external) onChangeRef.current(model.getValue());
        });
        const setValue = (v: string) => {
          if (model.getValue() === v) return;
          external = true;
          model.setValue(v);
          external = false;
        };
        apiRef.current = { setValue, focused: () => editor.hasTextFocus(), setTheme: (t) => monaco.editor.setTheme(t) };
        registry[testId] = { getValue: () => model.getValue(), setValue: (v) => model.setValue(v) };
        setState('ready');
        cleanup = () => {
          sub.dispose();
          editor.dispose();
          model.dispose();
          if (registry[testId]?.getValue === undefined || apiRef.current?.setValue === setValue)
            delete registry[testId];
          apiRef.current = null;
        };
      })
      .catch(() => !disposed && setState('failed'));
    return () => {
      disposed = true;
      cleanup();
    };
  }, [language, schemaType, testId, ariaLabel]);

  // Changes made elsewhere (the form, undo) flow in unless the person is typing here.
  useEffect(() => {
    const api = apiRef.current;
    if (api && !api.focused()) api.setValue(value);
  }, [value, state]);

  useEffect(() => apiRef.current?.setTheme(monacoTheme), [monacoTheme, state]);

  return (
    <div
      className="monaco-field"
      data-testid={testId}
      data-ready={state === 'ready' ? 'true' : 'false'}
      style={{ height }}
    >
      <div ref={host} className="monaco-host" />
      {state !== 'ready' && (
        <textarea
          className="monaco-fallback mono"
          aria-label={ariaLabel ?? testId}
          value={value}
          readOnly={state === 'loading'}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </div>
  );
}
