// The composer's saved-reply picker, as pure functions: where a `/query`
// is being typed, what replaces it, the one-line preview, which variables
// are still unfilled in the text and the note that says so. The list and
// the fill come from the core (`list_saved_replies`, `fill_saved_reply`),
// which reads the local cache, so the picker works offline.

/** A `/query` being typed: the `/` at `start`, the caret at `end`. */
export interface Slash {
  start: number;
  end: number;
  query: string;
}

/** The longest query the picker follows; past it the `/` is plain text. */
export const MAX_QUERY = 60;

/**
 * The `/query` that ends at the caret, if one is being typed: a `/` at the
 * start of the text or after whitespace, then anything but a line break up
 * to the caret. `and/or` or a URL never opens the picker.
 */
export function slashAt(text: string, caret: number): Slash | null {
  const upto = text.slice(0, Math.max(0, Math.min(caret, text.length)));
  const from = upto.lastIndexOf('/');
  if (from < 0) return null;
  if (from > 0 && !/\s/.test(upto[from - 1])) return null;
  const query = upto.slice(from + 1);
  if (query.includes('\n') || query.length > MAX_QUERY) return null;
  return { start: from, end: upto.length, query };
}

/**
 * Whether the picker shows for `slash`: not after Esc closed it for this
 * `/` (`dismissedAt`, its position), and, once the query has a space in it,
 * only while something matches (the agent is writing a sentence after all).
 */
export function pickerOpen(slash: Slash | null, dismissedAt: number | null, matches: number): boolean {
  if (!slash || slash.start === dismissedAt) return false;
  return matches > 0 || !/\s/.test(slash.query);
}

/** The text with the `/query` replaced by `filled`, and the caret after it. */
export function insertAt(text: string, slash: Slash, filled: string): { text: string; caret: number } {
  const before = text.slice(0, slash.start);
  return { text: before + filled + text.slice(slash.end), caret: before.length + filled.length };
}

/** The next selection in a list of `count` after moving by `delta`, wrapping. */
export function move(index: number, count: number, delta: number): number {
  if (count <= 0) return 0;
  return (((index + delta) % count) + count) % count;
}

/** A body on one line (whitespace runs become one space), cut at `max` characters with `…`. */
export function preview(body: string, max = 80): string {
  const line = body.replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length > max ? chars.slice(0, max - 1).join('').trimEnd() + '…' : line;
}

/** The variables a saved reply may use (as `switchboard_core::saved_replies::Variable`). */
export const VARIABLES = ['customer.name', 'customer.first_name', 'agent.name', 'conversation.id'] as const;

const PLACEHOLDER = /\{\{\s*(customer\.name|customer\.first_name|agent\.name|conversation\.id)\s*\}\}/g;

/** The variables still written as placeholders in `text`, each once, in order. */
export function placeholdersIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

/** "Fill in {{customer.name}} before sending." for the unfilled variables; null when none. */
export function missingNote(names: string[]): string | null {
  if (names.length === 0) return null;
  const shown = names.map((n) => `{{${n}}}`);
  const list = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
  return `Fill in ${list} before sending.`;
}
