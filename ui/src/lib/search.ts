// Search, as pure functions: a snippet cut into plain and highlighted
// parts (rendered as text nodes, never markup), what a result's match is
// called, the query sent for the box and its filters, and the merge of the
// cache's results with the server's.

import type { Highlight } from '../gen/Highlight';
import type { SearchField } from '../gen/SearchField';
import type { SearchQuery } from '../gen/SearchQuery';
import type { SearchResult } from '../gen/SearchResult';
import type { Channel } from '../gen/Channel';
import type { ConversationState } from '../gen/ConversationState';
import type { SearchOrder } from '../gen/SearchOrder';

/** A piece of a snippet: `hit` pieces are shown marked. */
export interface Part {
  text: string;
  hit: boolean;
}

/**
 * The snippet cut at its highlights (UTF-16 offsets, which are JavaScript
 * string indices). Out-of-range, reversed or overlapping ranges are
 * clamped or skipped, so a bad range never loses text.
 */
export function parts(snippet: string, highlights: Highlight[]): Part[] {
  const out: Part[] = [];
  let at = 0;
  const sorted = [...highlights].sort((a, b) => a.start - b.start);
  for (const h of sorted) {
    const start = Math.max(at, Math.min(h.start, snippet.length));
    const end = Math.max(start, Math.min(h.end, snippet.length));
    if (end <= start) continue;
    if (start > at) out.push({ text: snippet.slice(at, start), hit: false });
    out.push({ text: snippet.slice(start, end), hit: true });
    at = end;
  }
  if (at < snippet.length) out.push({ text: snippet.slice(at), hit: false });
  return out;
}

const FIELD: Record<SearchField, string> = {
  subject: 'Subject',
  customer_name: 'Customer',
  customer_email: 'Email',
  customer_phone: 'Phone',
  message: 'Message',
  note: 'Internal note',
};

/** What matched, as a label. */
export const fieldLabel = (f: SearchField): string => FIELD[f];

/** The filters of the search box (empty string: any). */
export interface Filters {
  channel: Channel | '';
  state: ConversationState | '';
  category_id: string;
  assignee_id: string;
  tag: string;
  /** `YYYY-MM-DD`, local day; matches written on or after it. */
  from: string;
  /** `YYYY-MM-DD`, local day; matches written on or before it. */
  to: string;
  order: SearchOrder;
}

export const NO_FILTERS: Filters = {
  channel: '',
  state: '',
  category_id: '',
  assignee_id: '',
  tag: '',
  from: '',
  to: '',
  order: 'newest',
};

/** A local day `YYYY-MM-DD` as the instant it starts, plus `days`. */
function dayStart(day: string, days = 0): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Chinese, Japanese and Korean characters: one of them is already a word. */
const CJK = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]/;

/**
 * Whether `text` is enough to search: two characters, or one Chinese,
 * Japanese or Korean character. One Latin letter is a prefix of most of the
 * cache: it is not searched until the next keystroke.
 */
export function searchable(text: string): boolean {
  const q = text.trim();
  return [...q].length >= 2 || CJK.test(q);
}

/** The query for `text` with `filters`, or `null` when there is nothing to search. */
export function queryFor(text: string, filters: Filters, limit = 30): SearchQuery | null {
  const q = text.trim();
  if (!searchable(q)) return null;
  return {
    q,
    channel: filters.channel || null,
    state: filters.state || null,
    category_id: filters.category_id || null,
    assignee_id: filters.assignee_id || null,
    tag: filters.tag || null,
    from: dayStart(filters.from),
    // "to" is inclusive for the person: up to the start of the next day.
    to: dayStart(filters.to, 1),
    order: filters.order,
    cursor: null,
    limit,
  };
}

/**
 * The cache's results followed by the server's that the cache did not
 * have (a conversation appears once, as the cache found it).
 */
export function merged(local: SearchResult[], server: SearchResult[] | null): { result: SearchResult; fromServer: boolean }[] {
  const seen = new Set(local.map((r) => r.conversation_id));
  const out = local.map((result) => ({ result, fromServer: false }));
  for (const r of server ?? []) {
    if (seen.has(r.conversation_id)) continue;
    seen.add(r.conversation_id);
    out.push({ result: r, fromServer: true });
  }
  return out;
}
