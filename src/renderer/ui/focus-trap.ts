/**
 * Keeps Tab and Shift+Tab inside an open dialog: from its last control Tab goes to its first, from
 * its first Shift+Tab goes to its last, and from anywhere outside it Tab goes in. Only the topmost
 * dialog (the last `aria-modal` one in the document) acts, so a dialog over a dialog traps alone.
 */

const TABBABLE = [
  'a[href]',
  'area[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  'iframe',
  '[contenteditable="true"]',
  '[tabindex]',
].join(',');

/** The controls Tab stops at in `box`, in document order (a radio group is one stop: its checked radio). */
export function tabbables(box: HTMLElement): HTMLElement[] {
  const all = Array.from(box.querySelectorAll<HTMLElement>(TABBABLE)).filter(
    (el) => el.tabIndex >= 0 && !el.closest('[inert]') && el.getClientRects().length > 0,
  );
  return all.filter((el) => {
    if (!(el instanceof HTMLInputElement) || el.type !== 'radio' || !el.name || el.checked) return true;
    const group = all.filter((o) => o instanceof HTMLInputElement && o.type === 'radio' && o.name === el.name);
    return !group.some((o) => (o as HTMLInputElement).checked) && group[0] === el;
  });
}

/** Whether `box` is the topmost open dialog (dialogs render in order, a later one is on top). */
export function isTopDialog(box: HTMLElement): boolean {
  const open = document.querySelectorAll('[aria-modal="true"]');
  return open[open.length - 1] === box;
}

/** Handles a keydown for the dialog `box`: moves focus itself (and prevents the default) where Tab would leave it. */
export function trapTab(e: KeyboardEvent, box: HTMLElement): void {
  // An editor that takes Tab (Monaco indents with it) has handled it already.
  if (e.key !== 'Tab' || e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey) return;
  if (!isTopDialog(box)) return;
  const items = tabbables(box);
  const active = document.activeElement;
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) {
    e.preventDefault();
    box.focus();
    return;
  }
  const inside = active instanceof HTMLElement && box.contains(active);
  const at = inside ? items.indexOf(active) : -1;
  let next: HTMLElement | undefined;
  if (!inside) next = e.shiftKey ? last : first;
  else if (at >= 0) {
    if (e.shiftKey && at === 0) next = last;
    else if (!e.shiftKey && at === items.length - 1) next = first;
  } else {
    // Focus on something Tab does not stop at (the dialog itself, a scrolled box): the next stop after it.
    const after = (el: HTMLElement) => (active.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    next = e.shiftKey ? ([...items].reverse().find((el) => !after(el)) ?? last) : (items.find(after) ?? first);
  }
  if (!next) return; // between two of its controls: the browser's own Tab stays inside
  e.preventDefault();
  next.focus();
}
