// A fake Rust core for component tests: answers the commands from in-memory
// data through `@tauri-apps/api/mocks`, records every call, and lets a test
// emit the core's events.

import { vi } from 'vitest';
import { clearMocks, mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { flushSync } from 'svelte';
import type { Agent } from '../gen/Agent';
import type { Category } from '../gen/Category';
import type { Tag } from '../gen/Tag';
import type { Presence } from '../gen/Presence';
import type { CommandError } from '../gen/CommandError';
import type { Connection } from '../gen/Connection';
import type { ConversationSummary } from '../gen/ConversationSummary';
import type { ConversationView } from '../gen/ConversationView';
import type { CachedMessage } from '../gen/CachedMessage';
import type { SavedReply } from '../gen/SavedReply';
import type { SessionInfo } from '../gen/SessionInfo';

export const ME: Agent = {
  id: 'a-me',
  name: 'Ada Agent',
  email: 'ada@example.com',
  role: 'agent',
  status: 'available',
  categories: ['billing'],
  capacity: 5,
  open_conversations: 1,
};

export const OTHER: Agent = {
  id: 'a-bob',
  name: 'Bob Busy',
  email: 'bob@example.com',
  role: 'agent',
  status: 'busy',
  categories: ['billing'],
  capacity: 3,
  open_conversations: 3,
};

export const CATEGORIES: Category[] = [
  { id: 'billing', name: 'Billing', routing: 'manual', wait_threshold_secs: 300, keywords: [] },
  { id: 'tech', name: 'Tech', routing: 'round_robin', wait_threshold_secs: 60, keywords: ['error'] },
];

export function session(me: Agent = ME, skew = 0): SessionInfo {
  return { server_url: 'http://127.0.0.1:8080', me, clock_skew_ms: skew };
}

export function summary(id: string, over: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id,
    channel: 'email',
    customer: { name: `Customer ${id}`, email: `${id}@example.com`, phone: null },
    subject: `Subject ${id}`,
    category_id: 'billing',
    state: 'queued',
    assignee_id: null,
    created_at: '2026-01-01T10:00:00Z',
    updated_at: '2026-01-01T10:00:00Z',
    waiting_since: new Date(Date.now() - 60_000).toISOString(),
    overdue: false,
    first_response_at: null,
    preview: `Preview ${id}`,
    ...over,
  };
}

export function message(kind: CachedMessage['kind'], body: string, over: Partial<CachedMessage> = {}): CachedMessage {
  return {
    id: `m-${Math.random().toString(36).slice(2)}`,
    conversation_id: 'c1',
    kind,
    author: kind === 'customer' ? 'Customer' : 'Ada Agent',
    from_other_address: false,
    from_address: null,
    author_id: kind === 'customer' ? null : ME.id,
    body,
    created_at: '2026-01-01T10:00:00Z',
    client_id: null,
    send_state: { state: 'sent' },
    delivery: null,
    attachments: [],
    pending_files: [],
    ...over,
  };
}

export type Handler = (args: Record<string, unknown>) => unknown;

export class FakeCore {
  session: SessionInfo | null = session();
  agents: Agent[] = [ME, OTHER];
  categories: Category[] = CATEGORIES;
  tags: Tag[] = [];
  presence: Presence[] = [];
  lists: Record<string, ConversationSummary[]> = { queue: [], mine: [], all: [] };
  conversations = new Map<string, ConversationView>();
  connection: Connection = { state: 'online', last_error: null, outbox_pending: 0, progress: { stage: 'done', done: 0, total: null } };
  savedReplies: SavedReply[] = [];
  /** What the native file dialog "returns" (`pick_files`). */
  picked: { id: string; filename: string; size: number }[] = [];
  calls: { cmd: string; args: Record<string, unknown> }[] = [];
  /** Per-command overrides; throw a `CommandError` to refuse. */
  handlers: Record<string, Handler> = {};

  install() {
    mockWindows('main');
    mockIPC(
      (cmd, payload) => {
        const args = (payload ?? {}) as Record<string, unknown>;
        this.calls.push({ cmd, args });
        const h = this.handlers[cmd];
        if (h) return h(args);
        return this.answer(cmd, args);
      },
      { shouldMockEvents: true },
    );
    return this;
  }

  private answer(cmd: string, args: Record<string, unknown>): unknown {
    switch (cmd) {
      case 'session_current':
        return this.session;
      case 'list_window': {
        const tag = args.tag as string | null | undefined;
        const all = (this.lists[args.view as string] ?? []).filter((c) => !tag || (c.tags ?? []).includes(tag));
        const offset = args.offset as number;
        const found = args.find ? all.findIndex((c) => c.id === args.find) : -1;
        return { total: all.length, offset, rows: all.slice(offset, offset + (args.limit as number)), found: found >= 0 ? found : null };
      }
      case 'get_conversation':
        return this.conversations.get(args.id as string) ?? null;
      case 'list_agents':
        return this.agents;
      case 'list_categories':
        return this.categories;
      case 'list_tags':
        return this.tags;
      case 'list_presence':
        return this.presence;
      case 'report_presence':
        return null;
      case 'set_tag': {
        const id = args.conversationId as string;
        const c = Object.values(this.lists).flat().find((r) => r.id === id) ?? summary(id);
        const tags = new Set(c.tags ?? []);
        if (args.on) tags.add(args.tagId as string);
        else tags.delete(args.tagId as string);
        return { ...c, tags: [...tags].sort() };
      }
      case 'counts': {
        const q = this.lists.queue;
        return { waiting: q.length, overdue: q.filter((c) => c.overdue).length, oldest_wait_secs: 0, mine: this.lists.mine.length, mine_overdue: 0 };
      }
      case 'connection':
        return this.connection;
      case 'take_navigation':
        return null;
      case 'claim': {
        const c = this.lists.queue.find((r) => r.id === args.id) ?? summary(args.id as string);
        return { ...c, state: 'assigned', assignee_id: ME.id };
      }
      case 'send_message':
        return { client_id: 'cl-1', conversation_id: args.id, body: args.body, internal: args.internal, send_state: { state: 'pending' } };
      case 'set_status': {
        const me = { ...(this.session?.me ?? ME), status: args.status as Agent['status'] };
        if (this.session) this.session = { ...this.session, me };
        return me;
      }
      case 'list_saved_replies': {
        const q = String(args.query ?? '').toLowerCase();
        return this.savedReplies.filter((r) => r.title.toLowerCase().includes(q));
      }
      case 'fill_saved_reply': {
        const r = this.savedReplies.find((x) => x.id === args.replyId);
        if (!r) throw { code: 'not_found', message: 'That saved reply no longer exists.', conversation_id: null } satisfies CommandError;
        const text = r.body.split('{{agent.name}}').join(ME.name);
        return { reply_id: r.id, conversation_id: args.conversationId, text, missing: [...text.matchAll(/\{\{([a-z._]+)\}\}/g)].map((m) => m[1]), attachments: [] };
      }
      case 'search':
      case 'search_server': {
        // A stand-in for the core's index: subjects containing the words.
        const q = String((args.query as { q?: string })?.q ?? '').toLowerCase();
        const seen = new Set<string>();
        const results = Object.values(this.lists)
          .flat()
          .filter((c) => !seen.has(c.id) && seen.add(c.id) && c.subject.toLowerCase().includes(q))
          .slice(0, 30)
          .map((c) => {
            const at = c.subject.toLowerCase().indexOf(q);
            return {
              conversation_id: c.id,
              subject: c.subject,
              channel: c.channel,
              state: c.state,
              category_id: c.category_id,
              assignee_id: c.assignee_id,
              customer: c.customer,
              matched: 'subject',
              snippet: c.subject,
              highlights: [{ start: at, end: at + q.length }],
              at: c.created_at,
            };
          });
        return { results, next_cursor: null };
      }
      case 'pick_files':
        return this.picked;
      case 'stage_saved_reply_files': {
        const r = this.savedReplies.find((x) => x.id === args.replyId);
        if (!r) throw { code: 'not_found', message: 'That saved reply no longer exists.', conversation_id: null } satisfies CommandError;
        return r.files.map((f, i) => ({ id: `held-${this.calls.length}-${i}`, filename: f.filename, size: f.size }));
      }
      case 'stage_pasted_file':
        return { id: `staged-${this.calls.length}`, filename: args.filename, size: (args.bytes as number[]).length };
      case 'logout':
      case 'reconnect_now':
      case 'unstage_file':
      case 'retry_message':
      case 'discard_message':
        return null;
      default:
        throw { code: 'invalid_input', message: `fake core: no answer for ${cmd}`, conversation_id: null } satisfies CommandError;
    }
  }

  /** Calls of one command. */
  called(cmd: string) {
    return this.calls.filter((c) => c.cmd === cmd);
  }

  emit(event: string, payload: unknown) {
    return emit(event, payload);
  }
}

export function refuse(code: string, message: string, conversation_id: string | null = null): never {
  throw { code, message, conversation_id } satisfies CommandError;
}

/** Lets pending promises and Svelte updates run. */
export async function settle(rounds = 6) {
  for (let i = 0; i < rounds; i++) {
    // Pages loaded on demand (Metrics) arrive by dynamic import.
    await vi.dynamicImportSettled();
    await new Promise((r) => setTimeout(r, 0));
    flushSync();
  }
}

export function reset() {
  clearMocks();
  document.body.innerHTML = '';
}

export function byTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element with data-testid=${id}`);
  return el;
}

export function allByTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T[] {
  return [...root.querySelectorAll<T>(`[data-testid="${id}"]`)];
}

export function type(el: HTMLInputElement | HTMLTextAreaElement, value: string) {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}
