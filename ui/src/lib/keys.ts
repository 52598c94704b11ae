// Keyboard shortcuts: a pure mapping from key presses to actions, so the
// dispatch is unit-tested; the shell listens on the window and runs them.

export type Action =
  | 'next'
  | 'prev'
  | 'open'
  | 'claim'
  | 'reply'
  | 'note'
  | 'transfer'
  | 'resolve'
  | 'go-queue'
  | 'go-mine'
  | 'go-team'
  | 'escape'
  | 'help'
  | 'search'
  | 'send';

/** The parts of a `KeyboardEvent` the mapping looks at. */
export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  target?: EventTarget | null;
}

/** The shortcut list, for the help overlay. */
export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: 'j / ↓', what: 'Next conversation' },
  { keys: 'k / ↑', what: 'Previous conversation' },
  { keys: 'Enter', what: 'Open the selected conversation' },
  { keys: 'c', what: 'Claim' },
  { keys: 'r', what: 'Reply (focus the composer)' },
  { keys: 'n', what: 'Internal note' },
  { keys: 't', what: 'Transfer' },
  { keys: 'e', what: 'Resolve' },
  { keys: 'g then q / m / t', what: 'Go to Queue / Mine / Team' },
  { keys: '/ or Ctrl/⌘ + K', what: 'Search (works offline)' },
  { keys: 'Ctrl/⌘ + Enter', what: 'Send from the composer' },
  { keys: 'Esc', what: 'Close the dialog, or go back to the list' },
  { keys: '?', what: 'Show this help' },
];

/** Whether the key press happens while typing in a field. */
export function isTyping(target: EventTarget | null | undefined): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const el = target as HTMLElement;
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') {
    const type = ((el as HTMLInputElement).type || 'text').toLowerCase();
    return !['button', 'submit', 'reset', 'checkbox', 'radio'].includes(type);
  }
  return el.isContentEditable === true || el.getAttribute?.('contenteditable') === 'true';
}

/** Whether Enter on the target already means something (a button, a link). */
export function isActivatable(target: EventTarget | null | undefined): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const el = target as HTMLElement;
  const tag = el.tagName.toLowerCase();
  return tag === 'button' || tag === 'a' || tag === 'summary' || el.getAttribute?.('role') === 'button';
}

const PLAIN: Record<string, Action> = {
  j: 'next',
  ArrowDown: 'next',
  k: 'prev',
  ArrowUp: 'prev',
  Enter: 'open',
  c: 'claim',
  r: 'reply',
  n: 'note',
  t: 'transfer',
  e: 'resolve',
  '?': 'help',
  '/': 'search',
  Escape: 'escape',
};

const AFTER_G: Record<string, Action> = { q: 'go-queue', m: 'go-mine', t: 'go-team' };

/** How long `g` waits for its second key. */
export const G_TIMEOUT_MS = 1500;

/** Maps key presses to actions, remembering a pending `g`. */
export class KeyMap {
  private gAt: number | null = null;

  /** The action for this key press, or `null` (then the event is left alone). */
  dispatch(ev: KeyPress, nowMs: number = Date.now()): Action | null {
    const mod = ev.ctrlKey || ev.metaKey;
    if (ev.key === 'Enter' && mod) return 'send';
    // Ctrl/⌘+K searches from anywhere, even while typing (as in most apps).
    if (mod && !ev.altKey && (ev.key === 'k' || ev.key === 'K')) return 'search';
    if (ev.key === 'Escape') {
      this.gAt = null;
      return 'escape';
    }
    if (isTyping(ev.target)) return null;
    if (mod || ev.altKey) return null;
    // Enter on a focused button or link activates it, not the shortcut.
    if (ev.key === 'Enter' && isActivatable(ev.target)) return null;
    if (this.gAt !== null) {
      const fresh = nowMs - this.gAt <= G_TIMEOUT_MS;
      this.gAt = null;
      if (fresh && AFTER_G[ev.key]) return AFTER_G[ev.key];
      if (fresh) return null;
    }
    if (ev.key === 'g') {
      this.gAt = nowMs;
      return null;
    }
    return PLAIN[ev.key] ?? null;
  }
}
