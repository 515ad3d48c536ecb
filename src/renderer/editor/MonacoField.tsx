/**
 * A Monaco editor bound to a string value: JSON (validated against the node type's config
 * schema), JavaScript, or a statepipe expression (a template or a condition, with completion
 * and problems: expressions.ts). Monaco loads when the first such field opens. The editor sits
 * in a `nokey` box: the canvas's keys (Space to pan, Backspace to delete) stay out of it.
 */
import { useEffect, useRef, useState, type JSX } from 'react';
import { useTheme } from '../ui/theme';
import type { TextMarker } from './expressions';

let counter = 0;

export type MonacoLanguage = 'json' | 'javascript' | 'statepipe-template' | 'statepipe-condition';

export interface MonacoFieldProps {
  value: string;
  onChange(value: string): void;
  language: MonacoLanguage;
  /** The node type whose config schema validates this JSON. */
  schemaType?: string;
  testId: string;
  height?: number;
  ariaLabel: string;
  /** A short field: no line numbers, no folding, no scrollbar gutter. */
  compact?: boolean;
  /** Expression fields: the key completion looks their context up by (see monaco-expr.ts). */
  contextKey?: string;
  markers?: readonly TextMarker[];
}

interface Live {
  setValue(v: string): void;
  focused(): boolean;
  setTheme(t: string): void;
  setMarkers(m: readonly TextMarker[]): void;
}

export function MonacoField({
  value,
  onChange,
  language,
  schemaType,
  testId,
  height = 180,
  ariaLabel,
  compact,
  contextKey,
  markers,
}: MonacoFieldProps): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const valueRef = useRef(value);
  valueRef.current = value;
  const apiRef = useRef<Live | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>('loading');
  /** A compact field grows with its text (wrapped lines too), from `height` up to a few lines more. */
  const [grown, setGrown] = useState(height);
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
        const ext = language === 'json' ? 'json' : language === 'javascript' ? 'js' : 'expr';
        const uri = monaco.Uri.parse(
          `inmemory://statepipe/${++counter}${schemaType ? `.config-${schemaType}` : ''}${contextKey ? `.ctx-${encodeURIComponent(contextKey)}` : ''}.${ext}`,
        );
        const model = monaco.editor.createModel(valueRef.current, language, uri);
        const editor = monaco.editor.create(host.current, {
          model,
          theme: themeRef.current,
          minimap: { enabled: false },
          automaticLayout: true,
          fontSize: 12,
          lineNumbers: compact ? 'off' : 'on',
          lineNumbersMinChars: 3,
          glyphMargin: false,
          lineDecorationsWidth: compact ? 4 : 10,
          scrollBeyondLastLine: false,
          wordWrap: 'on',
          tabSize: 2,
          renderLineHighlight: 'none',
          overviewRulerLanes: 0,
          fixedOverflowWidgets: true,
          folding: language === 'json' && !compact,
          ariaLabel,
          quickSuggestions: language.startsWith('statepipe') ? { other: true, strings: true, comments: false } : true,
          scrollbar: { verticalScrollbarSize: 8, horizontalScrollbarSize: 8 },
          ...(compact ? { padding: { top: 4, bottom: 4 } } : {}),
        });
        if (compact) {
          const fit = () => setGrown(Math.min(Math.max(height, editor.getContentHeight() + 2), height * 4));
          editor.onDidContentSizeChange(fit);
          fit();
        }
        let external = false;
        const sub = model.onDidChangeContent(() => {
          if (!external) onChangeRef.current(model.getValue());
        });
        apiRef.current = {
          setValue(v) {
            if (model.getValue() === v) return;
            external = true;
            model.setValue(v);
            external = false;
          },
          focused: () => editor.hasTextFocus(),
          setTheme: (t) => monaco.editor.setTheme(t),
          setMarkers: (ms) =>
            monaco.editor.setModelMarkers(
              model,
              'statepipe',
              ms.map((m) => {
                const a = model.getPositionAt(m.start);
                const b = model.getPositionAt(Math.max(m.end, m.start + 1));
                return {
                  startLineNumber: a.lineNumber,
                  startColumn: a.column,
                  endLineNumber: b.lineNumber,
                  endColumn: b.column,
                  message: m.message,
                  severity: m.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
                };
              }),
            ),
        };
        setState('ready');
        cleanup = () => {
          sub.dispose();
          editor.dispose();
          model.dispose();
          apiRef.current = null;
        };
      })
      .catch(() => !disposed && setState('failed'));
    return () => {
      disposed = true;
      cleanup();
    };
  }, [language, schemaType, testId, ariaLabel, compact, contextKey, height]);

  // Changes made elsewhere (the form, undo) flow in unless the person is typing here.
  useEffect(() => {
    const api = apiRef.current;
    if (api && !api.focused()) api.setValue(value);
  }, [value, state]);

  useEffect(() => apiRef.current?.setTheme(monacoTheme), [monacoTheme, state]);
  useEffect(() => apiRef.current?.setMarkers(markers ?? []), [markers, state]);

  return (
    <div
      className={`monaco-field nokey${compact ? ' is-compact' : ''}`}
      data-testid={testId}
      data-ready={state === 'ready' ? 'true' : 'false'}
      style={{ height: compact ? grown : height }}
    >
      <div ref={host} className="monaco-host" />
      {state !== 'ready' && (
        <textarea
          className="monaco-fallback mono"
          aria-label={ariaLabel}
          value={value}
          readOnly={state === 'loading'}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </div>
  );
}
