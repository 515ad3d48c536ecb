import { describe, expect, it } from 'vitest';
import { escapeCloses, monacoTakesEscape, type EscapeKey } from './focus-trap';

/**
 * A little of the DOM, enough for the trap: elements with classes and children, `closest` and
 * `querySelector` over compound class selectors (`.a.b`) and lists of them (`.a, .b.c`).
 */
class El {
  parent: El | null = null;
  readonly children: El[] = [];
  constructor(readonly classes: string[]) {}
  add(child: El): El {
    child.parent = this;
    this.children.push(child);
    return child;
  }
  private matches(selector: string): boolean {
    return selector.split(',').some((one) =>
      one
        .trim()
        .split('.')
        .filter(Boolean)
        .every((c) => this.classes.includes(c)),
    );
  }
  closest(selector: string): El | null {
    return this.matches(selector) ? this : (this.parent?.closest(selector) ?? null);
  }
  querySelector(selector: string): El | null {
    for (const c of this.children) {
      if (c.matches(selector)) return c;
      const deeper = c.querySelector(selector);
      if (deeper) return deeper;
    }
    return null;
  }
}

/** A dialog holding a plain field and a Monaco editor (its text area, and its widgets, hidden until shown). */
function dialog() {
  const box = new El(['modal']);
  const field = box.add(new El(['field']));
  const editor = box.add(new El(['monaco-field'])).add(new El(['monaco-editor']));
  const textArea = editor.add(new El(['overflow-guard'])).add(new El(['inputarea']));
  const suggest = editor.add(new El(['editor-widget', 'suggest-widget']));
  const find = editor.add(new El(['editor-widget', 'find-widget']));
  const findInput = find.add(new El(['input']));
  const hints = editor.add(new El(['editor-widget', 'parameter-hints-widget']));
  return { box, field, textArea, suggest, find, findInput, hints };
}

const key = (target: El, over: Partial<EscapeKey> = {}): EscapeKey => ({
  key: 'Escape',
  defaultPrevented: false,
  isComposing: false,
  target: target as unknown as EventTarget,
  ...over,
});
const top = () => true;
const closes = (d: ReturnType<typeof dialog>, e: EscapeKey, isTop = top) =>
  escapeCloses(e, d.box as unknown as HTMLElement, isTop);

describe('Escape in a dialog', () => {
  it('closes the topmost dialog from a field, from its editor with nothing open, not a dialog under another', () => {
    const d = dialog();
    expect(closes(d, key(d.field))).toBe(true);
    expect(closes(d, key(d.textArea))).toBe(true);
    expect(closes(d, key(d.box))).toBe(true);
    expect(closes(d, key(d.field), () => false)).toBe(false);
    expect(closes(d, key(d.field, { key: 'Enter' }))).toBe(false);
  });

  it("inside Monaco with its suggest list, find widget or parameter hints open: Monaco's, not the dialog's", () => {
    const d = dialog();
    for (const widget of [d.suggest, d.find, d.hints]) {
      widget.classes.push('visible');
      expect(monacoTakesEscape(d.textArea as unknown as EventTarget)).toBe(true);
      expect(closes(d, key(d.textArea)), widget.classes.join('.')).toBe(false);
      widget.classes.pop();
    }
    // Typing in the find widget's own input: its Escape closes the find widget.
    d.find.classes.push('visible');
    expect(closes(d, key(d.findInput))).toBe(false);
    // A widget open in the editor does not keep Escape from the dialog's other fields.
    expect(closes(d, key(d.field))).toBe(true);
    d.find.classes.pop();
    // The widget closed: the next Escape closes the dialog.
    expect(closes(d, key(d.textArea))).toBe(true);
  });

  it('an Escape a control took first (Monaco prevents its default), or one ending a composition, leaves the dialog open', () => {
    const d = dialog();
    expect(closes(d, key(d.textArea, { defaultPrevented: true }))).toBe(false);
    expect(closes(d, key(d.field, { defaultPrevented: true }))).toBe(false);
    expect(closes(d, key(d.textArea, { isComposing: true }))).toBe(false);
  });

  it('a target that is no element (the window) is no editor', () => {
    expect(monacoTakesEscape(null)).toBe(false);
    expect(monacoTakesEscape({} as EventTarget)).toBe(false);
  });
});
