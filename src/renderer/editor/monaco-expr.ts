/**
 * statepipe's expression languages in Monaco: `statepipe-template` (text with `{{ JSONata }}`
 * inside) and `statepipe-condition` (one JSONata expression), highlighted, with `{{ }}` closed
 * as it is typed and completion of `input.*` and `nodes.<upstream>.output.*` (expressions.ts).
 * A model's URI carries its field's context key (`.ctx-<key>.expr`).
 */
import * as monaco from 'monaco-editor/editor/editor.api';
import { exprContext } from './expr-registry';
import { suggest, type Suggestion } from './expressions';

const EXPR_TOKENS: monaco.languages.IMonarchLanguageRule[] = [
  [/"([^"\\]|\\.)*"|'([^'\\]|\\.)*'/, 'string'],
  [/\$\$?[A-Za-z_]\w*|\$/, 'keyword'],
  [
    /[A-Za-z_]\w*/,
    { cases: { 'input|nodes': 'variable', 'and|or|in|true|false|null': 'keyword', '@default': 'identifier' } },
  ],
  [/\d+(\.\d+)?/, 'number'],
];

monaco.languages.register({ id: 'statepipe-template' });
monaco.languages.register({ id: 'statepipe-condition' });
monaco.languages.setMonarchTokensProvider('statepipe-template', {
  tokenizer: {
    root: [
      [/\{\{/, { token: 'delimiter.bracket', next: '@expr' }],
      [/[^{]+|\{/, ''],
    ],
    expr: [[/\}\}/, { token: 'delimiter.bracket', next: '@pop' }], ...EXPR_TOKENS, [/./, '']],
  },
});
monaco.languages.setMonarchTokensProvider('statepipe-condition', { tokenizer: { root: [...EXPR_TOKENS, [/./, '']] } });
const pairs = {
  autoClosingPairs: [
    { open: '{', close: '}' },
    { open: '(', close: ')' },
    { open: '[', close: ']' },
    { open: "'", close: "'", notIn: ['string'] },
    { open: '"', close: '"', notIn: ['string'] },
  ],
  brackets: [
    ['{', '}'],
    ['(', ')'],
    ['[', ']'],
  ] as monaco.languages.CharacterPair[],
  wordPattern: /\$?[\w]+/,
};
monaco.languages.setLanguageConfiguration('statepipe-template', pairs);
monaco.languages.setLanguageConfiguration('statepipe-condition', pairs);

const KIND: Record<Suggestion['kind'], monaco.languages.CompletionItemKind> = {
  field: monaco.languages.CompletionItemKind.Field,
  node: monaco.languages.CompletionItemKind.Module,
  function: monaco.languages.CompletionItemKind.Function,
  root: monaco.languages.CompletionItemKind.Variable,
};

for (const lang of ['statepipe-template', 'statepipe-condition'] as const) {
  monaco.languages.registerCompletionItemProvider(lang, {
    triggerCharacters: ['.', '{', '$'],
    provideCompletionItems(model, position) {
      const key = /\.ctx-([^.]+)\.expr$/.exec(model.uri.path)?.[1];
      const ctx = key ? exprContext(decodeURIComponent(key)) : undefined;
      if (!ctx) return { suggestions: [] };
      const before = model.getValueInRange({
        startLineNumber: 1,
        startColumn: 1,
        endLineNumber: position.lineNumber,
        endColumn: position.column,
      });
      const found = suggest(before, lang === 'statepipe-template' ? 'template' : 'condition', ctx) ?? [];
      const word = model.getWordUntilPosition(position);
      const range = {
        startLineNumber: position.lineNumber,
        endLineNumber: position.lineNumber,
        startColumn: word.startColumn,
        endColumn: word.endColumn,
      };
      return {
        suggestions: found.map((s, i) => ({
          label: s.label,
          kind: KIND[s.kind],
          detail: s.detail,
          insertText: s.label,
          sortText: String(i).padStart(3, '0'),
          range,
        })),
      };
    },
  });
}
