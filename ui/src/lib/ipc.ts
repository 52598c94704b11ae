// The one place that knows command and event names: every call the page
// makes to the Rust core goes through a typed function here, so components
// never pass strings to `invoke`. Argument keys are camelCase (Tauri maps
// them to the Rust snake_case parameters); struct payloads keep the
// snake_case field names of the generated types in `../gen`.

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { Agent } from '../gen/Agent';
import type { AgentPatch } from '../gen/AgentPatch';
import type { AgentStatus } from '../gen/AgentStatus';
import type { Category } from '../gen/Category';
import type { CategoryPatch } from '../gen/CategoryPatch';
import type { Changes } from '../gen/Changes';
import type { Tag } from '../gen/Tag';
import type { NewTag } from '../gen/NewTag';
import type { TagPatch } from '../gen/TagPatch';
import type { Composing } from '../gen/Composing';
import type { Presence } from '../gen/Presence';
import type { CommandError } from '../gen/CommandError';
import type { Connection } from '../gen/Connection';
import type { ConversationSummary } from '../gen/ConversationSummary';
import type { ConversationView } from '../gen/ConversationView';
import type { CustomerPanel } from '../gen/CustomerPanel';
import type { CustomerPatch } from '../gen/CustomerPatch';
import type { CustomerProfile } from '../gen/CustomerProfile';
import type { Counts } from '../gen/Counts';
import type { Metrics } from '../gen/Metrics';
import type { Navigate } from '../gen/Navigate';
import type { NewAgent } from '../gen/NewAgent';
import type { NewCategory } from '../gen/NewCategory';
import type { OutboxItem } from '../gen/OutboxItem';
import type { ListWindow } from '../gen/ListWindow';
import type { FilledReply } from '../gen/FilledReply';
import type { SavedReply } from '../gen/SavedReply';
import type { SearchPage } from '../gen/SearchPage';
import type { StagedFile } from '../gen/StagedFile';
import type { SearchQuery } from '../gen/SearchQuery';
import type { SessionInfo } from '../gen/SessionInfo';
import type { TransferRequest } from '../gen/TransferRequest';
import type { View } from '../gen/View';

export const sessionCurrent = () => invoke<SessionInfo | null>('session_current');
/**
 * Signs in. Plain `http://` to another computer is refused with
 * `unencrypted_connection` (its message is the warning to show) unless
 * `allowUnencrypted`: the person confirmed after seeing it.
 */
export const login = (serverUrl: string, email: string, password: string, allowUnencrypted: boolean) =>
  invoke<SessionInfo>('login', { serverUrl, email, password, allowUnencrypted });
/**
 * Signs out and deletes the account's cache. Refused with `unsent_messages`
 * (its message says what would be lost) while replies or notes are unsent,
 * unless `discardUnsent`.
 */
export const logout = (discardUnsent: boolean) => invoke<void>('logout', { discardUnsent });

/** Rows `offset .. offset + limit` of a list (only those tagged `tag`, if given), its length, and where `find` is in it. */
export const listWindow = (view: View, offset: number, limit: number, find: string | null, tag: string | null = null) =>
  invoke<ListWindow>('list_window', { view, offset, limit, find, tag });
export const getConversation = (id: string) =>
  invoke<ConversationView | null>('get_conversation', { id });
export const claim = (id: string) => invoke<ConversationSummary>('claim', { id });
/** Queues a reply or note with the staged files `files` (ids from the pick, drop or paste). */
export const sendMessage = (id: string, body: string, internal: boolean, files: string[] = []) =>
  invoke<OutboxItem>('send_message', { id, body, internal, files });
export const retryMessage = (clientId: string) => invoke<void>('retry_message', { clientId });
export const discardMessage = (clientId: string) => invoke<void>('discard_message', { clientId });
export const transfer = (id: string, to: TransferRequest) =>
  invoke<ConversationSummary>('transfer', { id, to });
export const resolve = (id: string) => invoke<ConversationSummary>('resolve', { id });
export const reopen = (id: string) => invoke<ConversationSummary>('reopen', { id });
export const recategorize = (id: string, categoryId: string) =>
  invoke<ConversationSummary>('recategorize', { id, categoryId });

export const setStatus = (status: AgentStatus) => invoke<Agent>('set_status', { status });
export const listAgents = () => invoke<Agent[]>('list_agents');
export const listCategories = () => invoke<Category[]>('list_categories');
/** Customer profiles matching `q` (needs the server). */
export const findCustomers = (q: string) => invoke<CustomerProfile[]>('find_customers', { q });
/** Merges customer profile `from` into `kept` (admins; needs the server). */
export const mergeCustomers = (kept: string, from: string) => invoke<CustomerProfile>('merge_customers', { kept, from });
/** Merges conversation `from` into `kept` (one customer's; needs the server). */
export const mergeConversations = (kept: string, from: string) =>
  invoke<ConversationSummary>('merge_conversations', { kept, from });
/** Undoes the merge that closed conversation `id` (admins). */
export const unmergeConversation = (id: string) => invoke<ConversationSummary>('unmerge_conversation', { id });
/** Snoozes a conversation until `until` (RFC 3339), or until the customer writes (`null`). */
export const snooze = (conversationId: string, until: string | null) =>
  invoke<ConversationSummary>('snooze', { conversationId, until });
/** Wakes a snoozed conversation now. */
export const unsnooze = (conversationId: string) => invoke<ConversationSummary>('unsnooze', { conversationId });
/** What this window shows (`null`: nothing) and what the agent writes in it. */
export const reportPresence = (conversationId: string | null, composing: Composing | null) =>
  invoke<void>('report_presence', { conversationId, composing });
/** Colleagues' presence now. */
export const listPresence = () => invoke<Presence[]>('list_presence');
/** Creates, changes or deletes a tag (admins; needs the server). */
export const createTag = (tag: NewTag) => invoke<Tag>('create_tag', { tag });
export const updateTag = (id: string, patch: TagPatch) => invoke<Tag>('update_tag', { id, patch });
export const deleteTag = (id: string) => invoke<void>('delete_tag', { id });
/** The team's tags (from the cache: offline too). */
export const listTags = () => invoke<Tag[]>('list_tags');
/** Puts a tag on a conversation (`on`) or takes it off (needs the server). */
export const setTag = (conversationId: string, tagId: string, on: boolean) =>
  invoke<ConversationSummary>('set_tag', { conversationId, tagId, on });
export const counts = () => invoke<Counts>('counts');
/** Metrics over `[from, to)`; RFC 3339 strings, `null` for the server default. */
export const metrics = (from: string | null, to: string | null) =>
  invoke<Metrics>('metrics', { from, to });

export const createAgent = (agent: NewAgent) => invoke<Agent>('create_agent', { agent });
export const updateAgent = (id: string, patch: AgentPatch) =>
  invoke<Agent>('update_agent', { id, patch });
export const createCategory = (category: NewCategory) =>
  invoke<Category>('create_category', { category });
export const updateCategory = (id: string, patch: CategoryPatch) =>
  invoke<Category>('update_category', { id, patch });

export const connection = () => invoke<Connection>('connection');
export const reconnectNow = () => invoke<void>('reconnect_now');
export const takeNavigation = () => invoke<Navigate | null>('take_navigation');

/** The saved replies offered in a conversation for what follows `/`, best first (from the cache). */
export const listSavedReplies = (conversationId: string, query: string) =>
  invoke<SavedReply[]>('list_saved_replies', { conversationId, query });
/** A saved reply filled in for a conversation (from the cache; unfilled variables stay as placeholders). */
export const fillSavedReply = (conversationId: string, replyId: string) =>
  invoke<FilledReply>('fill_saved_reply', { conversationId, replyId });
/** A saved reply's files, staged for the reply being written (from the cache: offline too). */
export const stageSavedReplyFiles = (replyId: string) =>
  invoke<StagedFile[]>('stage_saved_reply_files', { replyId });

/** The side panel: the customer's profile and their conversations on every channel (offline: from the cache). */
export const customerPanel = (conversationId: string) =>
  invoke<CustomerPanel>('customer_panel', { conversationId });
/** Changes a customer's name, company or notes (needs the server). */
export const updateCustomer = (id: string, patch: CustomerPatch) =>
  invoke<CustomerProfile>('update_customer', { id, patch });

/** Conversations found in the local cache (works offline): the server's search, answered locally. */
export const search = (query: SearchQuery) => invoke<SearchPage>('search', { query });
/** The same search on the server: its whole history, for what the cache does not keep. */
export const searchServer = (query: SearchQuery) => invoke<SearchPage>('search_server', { query });

/** The native file dialog (in the core); the files picked, staged for the next reply. */
export const pickFiles = () => invoke<StagedFile[]>('pick_files');
/** A pasted file's bytes, staged for the next reply. */
export const stagePastedFile = (filename: string, bytes: number[]) =>
  invoke<StagedFile>('stage_pasted_file', { filename, bytes });
export const unstageFile = (id: string) => invoke<void>('unstage_file', { id });
/** Saves an attachment where the agent chooses (native save dialog); false when cancelled. */
export const saveAttachment = (id: string, filename: string) =>
  invoke<boolean>('save_attachment', { id, filename });
/** An image attachment's bytes, for a preview from a `blob:` URL. */
export const attachmentPreview = (id: string, contentType: string) =>
  invoke<ArrayBuffer>('attachment_preview', { id, contentType });

/** Event names the core emits (see `src-tauri/src/ipc.rs`). */
export const EVENTS = {
  changes: 'sync-changes',
  connection: 'sync-connection',
  session: 'session',
  counts: 'sync-counts',
  navigate: 'navigate',
  statusError: 'status-error',
  filesStaged: 'files-staged',
  presence: 'presence',
} as const;

export const onPresence = (f: (p: Presence[]) => void): Promise<UnlistenFn> =>
  listen<Presence[]>(EVENTS.presence, (e) => f(e.payload));
export const onChanges = (f: (c: Changes) => void): Promise<UnlistenFn> =>
  listen<Changes>(EVENTS.changes, (e) => f(e.payload));
export const onConnection = (f: (c: Connection) => void): Promise<UnlistenFn> =>
  listen<Connection>(EVENTS.connection, (e) => f(e.payload));
/** The queue's counters, each time they change. */
export const onCounts = (f: (c: Counts) => void): Promise<UnlistenFn> =>
  listen<Counts>(EVENTS.counts, (e) => f(e.payload));
export const onSession = (f: (s: SessionInfo | null) => void): Promise<UnlistenFn> =>
  listen<SessionInfo | null>(EVENTS.session, (e) => f(e.payload));
export const onNavigate = (f: (n: Navigate) => void): Promise<UnlistenFn> =>
  listen<Navigate>(EVENTS.navigate, (e) => f(e.payload));
/** A status chosen in the tray menu could not be set. */
export const onStatusError = (f: (e: CommandError) => void): Promise<UnlistenFn> =>
  listen<CommandError>(EVENTS.statusError, (e) => f(e.payload));

/** Files dropped on the window, staged by the core. */
export const onFilesStaged = (f: (files: StagedFile[]) => void): Promise<UnlistenFn> =>
  listen<StagedFile[]>(EVENTS.filesStaged, (e) => f(e.payload));

/** Whether a rejection is the core's structured error. */
export function isCommandError(e: unknown): e is CommandError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as CommandError).code === 'string' &&
    typeof (e as CommandError).message === 'string'
  );
}

/** Whether the page runs inside the desktop app (else `invoke` cannot work). */
export function inDesktopApp(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

/** Any rejection as a `CommandError` (strings and exceptions included). */
export function asCommandError(e: unknown): CommandError {
  if (!inDesktopApp()) {
    return { code: 'no_desktop', message: 'This page works inside the Switchboard desktop app; open the app to sign in.', conversation_id: null };
  }
  if (isCommandError(e)) return { code: e.code, message: e.message, conversation_id: e.conversation_id ?? null };
  if (typeof e === 'string') return { code: 'unknown', message: e, conversation_id: null };
  if (e instanceof Error) return { code: 'unknown', message: e.message, conversation_id: null };
  return { code: 'unknown', message: 'Something went wrong.', conversation_id: null };
}

/** A message for people that says what to do, by code. */
export function describeError(e: unknown): string {
  const err = asCommandError(e);
  switch (err.code) {
    case 'offline':
      return err.message || 'This needs a connection to the server. Try again once you are back online.';
    case 'not_signed_in':
      return 'You are signed out. Sign in again.';
    case 'unauthorized':
      return err.message || 'Wrong email or password, or your session expired. Sign in again.';
    case 'rate_limited':
      return err.message || 'Too many attempts. Wait a few minutes, then try again.';
    case 'keychain':
      return `The system keychain refused: ${err.message}. Unlock it (or install a Secret Service) and try again.`;
    case 'forbidden':
    case 'admin_only':
      return err.message || 'You are not allowed to do that. Ask an admin.';
    default:
      return err.message || 'Something went wrong.';
  }
}
