// The page's state and the actions that change it. Everything is read from
// the Rust core's cache through `ipc.ts`, and refreshed when the core says
// what changed (`sync-changes`), so the page works offline and never polls.

import type { Agent } from '../gen/Agent';
import type { AgentStatus } from '../gen/AgentStatus';
import type { Category } from '../gen/Category';
import type { Tag } from '../gen/Tag';
import type { Changes } from '../gen/Changes';
import type { CommandError } from '../gen/CommandError';
import type { Connection } from '../gen/Connection';
import type { ConversationSummary } from '../gen/ConversationSummary';
import type { ConversationView } from '../gen/ConversationView';
import type { Counts } from '../gen/Counts';
import type { Navigate } from '../gen/Navigate';
import type { SessionInfo } from '../gen/SessionInfo';
import type { View } from '../gen/View';
import type { ListWindow } from '../gen/ListWindow';
import * as ipc from './ipc';
import { customerLabel } from './format';
import { covers, LIST_WINDOW, windowOffset } from './window';
import { markStart } from './timing';
import { coalesced } from './coalesced';
import { PresenceState } from './presence.svelte';
import type { OverdueRefusal, ShelvedList } from './shelf';
export type { OverdueRefusal } from './shelf';

export type Page = 'queue' | 'mine' | 'snoozed' | 'all' | 'team' | 'metrics' | 'admin';
export const LIST_PAGES: Page[] = ['queue', 'mine', 'snoozed', 'all'];

export function isListPage(p: Page): p is View & Page {
  return p === 'queue' || p === 'mine' || p === 'snoozed' || p === 'all';
}

export class AppState {
  phase: 'starting' | 'login' | 'shell' = $state('starting');
  session: SessionInfo | null = $state(null);
  /** The server of the last session, to prefill the login form. */
  lastServer: string | null = $state(null);
  lastEmail: string | null = $state(null);
  page: Page = $state('queue');

  /**
   * The list on screen is `listTotal` long; the page holds only the rows
   * `listOffset .. listOffset + listRows.length` of it (see `wantRows`).
   */
  listTotal = $state(0);
  listOffset = $state(0);
  listRows: ConversationSummary[] = $state.raw([]);
  listLoaded = $state(false);
  selectedId: string | null = $state(null);
  /** The selected row's position in the whole list (-1: none). */
  selectedIndex = $state(-1);
  /** Rows the list shows now (reported by the list as it scrolls). */
  private visible: { start: number; end: number } | null = null;
  private listAsked = 0;
  private listShown = 0;
  /**
   * What each list page showed when the agent left it, kept only while the
   * cache has not changed since (any change empties it): going back to a
   * list shows it in the same frame instead of after a read of the cache.
   */
  private shelf = new Map<View, ShelvedList>();

  openId: string | null = $state(null);
  open: ConversationView | null = $state.raw(null);
  openMissing = $state(false);

  agents: Agent[] = $state.raw([]);
  categories: Category[] = $state.raw([]);
  tags: Tag[] = $state.raw([]);
  /** Who else looks at what; what this window reports. */
  presence = new PresenceState();
  /** The lists show only conversations with this tag (`null`: all). */
  listTag: string | null = $state(null);
  counts: Counts | null = $state(null);
  connection: Connection | null = $state(null);
  private connectionEvents = 0;

  /** Local clock, ticking each second for the wait timers. */
  now = $state(Date.now());

  /** The last failed action, shown in a banner until dismissed. */
  error: string | null = $state(null);
  overdue: OverdueRefusal | null = $state(null);
  statusError: string | null = $state(null);
  /** The server refused our token (revoked or expired): sign in again. */
  authLost = $state(false);
  /**
   * Sign-out waits for the person: replies or notes are unsent and would be
   * deleted with the cache. The core's words saying so.
   */
  unsentOnSignOut: string | null = $state(null);
  statusBusy: AgentStatus | null = $state(null);

  dialog: 'transfer' | 'help' | 'search' | null = $state(null);
  composerMode: 'reply' | 'note' = $state('reply');
  /** Bumped to ask the composer to take the focus. */
  composerFocus = $state(0);
  /** Bumped when saved replies changed, for an open picker to read them again. */
  savedReplies = $state(0);
  /** Ticks when a customer profile changed: an open side panel reads its customer again. */
  customersVersion = $state(0);

  private unlisten: (() => void)[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private openSeq = 0;

  me: Agent | null = $derived(this.session?.me ?? null);
  isAdmin = $derived(this.session?.me.role === 'admin');
  skew = $derived(this.session?.clock_skew_ms ?? 0);
  agentById = $derived(new Map(this.agents.map((a) => [a.id, a])));
  categoryById = $derived(new Map(this.categories.map((c) => [c.id, c])));
  tagById = $derived(new Map(this.tags.map((t) => [t.id, t])));

  /** The row at a position of the whole list, if loaded. */
  rowAt(i: number): ConversationSummary | undefined {
    const j = i - this.listOffset;
    return j >= 0 && j < this.listRows.length ? this.listRows[j] : undefined;
  }

  /** Whether the loaded rows reach far enough around rows `start .. end`. */
  private holdsAround(start: number, end: number): boolean {
    return covers(this.listOffset, this.listRows.length, start, end, this.listTotal);
  }

  /** A loaded row by id. */
  loadedRow(id: string): ConversationSummary | undefined {
    return this.listRows.find((r) => r.id === id);
  }

  /** Listens to the core, then settles the start-up sign-in. */
  async start(): Promise<void> {
    await this.listenAll();
    markStart('listening');
    let session: SessionInfo | null = null;
    try {
      session = await ipc.sessionCurrent();
    } catch {
      session = null;
    }
    markStart('session');
    if (session) {
      await this.enterShell(session);
    } else {
      this.phase = 'login';
    }
  }

  private async listenAll() {
    const subs: Promise<() => void>[] = [
      ipc.onSession((s) => void this.onSession(s)),
      ipc.onChanges((c) => void this.onChanges(c)),
      ipc.onConnection((c) => {
        this.connectionEvents += 1;
        this.connection = c;
      }),
      ipc.onCounts((c) => {
        if (this.phase === 'shell') this.counts = c;
      }),
      ipc.onNavigate((n) => void this.navigate(n)),
      ipc.onPresence((p) => (this.presence.list = p)),
      ipc.onStatusError((e) => (this.statusError = ipc.describeError(e))),
    ];
    for (const s of subs) {
      try {
        this.unlisten.push(await s);
      } catch {
        // Outside the desktop app (a plain browser): no events.
      }
    }
  }

  stop() {
    for (const u of this.unlisten) u();
    this.unlisten = [];
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async onSession(s: SessionInfo | null) {
    if (s === null) {
      this.leaveShell();
      return;
    }
    if (this.phase !== 'shell') {
      await this.enterShell(s);
    } else {
      this.session = s;
    }
  }

  /** After sign-in (at start or from the login screen). */
  async enterShell(s: SessionInfo) {
    const first = this.phase !== 'shell';
    this.session = s;
    this.lastServer = s.server_url;
    this.lastEmail = s.me.email;
    this.phase = 'shell';
    if (!first) return;
    if (!this.timer) {
      let ticks = 0;
      this.timer = setInterval(() => {
        this.now = Date.now();
        // The core re-measures the clock skew now and then without an
        // event: pick it up every minute.
        if (++ticks % 60 === 0) void this.refreshSession();
      }, 1000);
    }
    await Promise.all([
      this.loadAgents(),
      this.loadCategories(),
      this.loadTags(),
      this.presence.load(),
      this.loadCounts(),
      this.loadConnection(),
      this.reloadList(),
    ]);
    try {
      const nav = await ipc.takeNavigation();
      if (nav) await this.navigate(nav);
    } catch {
      // nothing pending
    }
  }

  private leaveShell() {
    this.session = null;
    this.phase = 'login';
    this.clearList();
    this.shelf.clear();
    this.openId = null;
    this.open = null;
    this.overdue = null;
    this.error = null;
    this.dialog = null;
    this.authLost = false;
    this.unsentOnSignOut = null;
    this.listTag = null;
    this.page = 'queue';
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Signs in; `allowUnencrypted` once the person confirmed plain http:// to another computer. */
  async signIn(serverUrl: string, email: string, password: string, allowUnencrypted = false) {
    const s = await ipc.login(serverUrl, email, password, allowUnencrypted);
    await this.enterShell(s);
  }

  /**
   * Signs out (the core deletes the account's cache). With replies or notes
   * unsent the core asks first: its question shows until the person stays
   * or signs out again with `discardUnsent`.
   */
  async signOut(discardUnsent = false) {
    try {
      await ipc.logout(discardUnsent);
    } catch (e) {
      const err = ipc.asCommandError(e);
      if (err.code === 'unsent_messages') {
        this.unsentOnSignOut = err.message;
        return;
      }
      this.error = ipc.describeError(e);
      return;
    }
    this.leaveShell();
  }

  // ---- loading ----

  private clearList() {
    this.listTotal = 0;
    this.listOffset = 0;
    this.listRows = [];
    this.listLoaded = false;
    this.selectedId = null;
    this.selectedIndex = -1;
    this.visible = null;
  }

  /**
   * Asks the core for `LIST_WINDOW` rows from `offset` and shows them,
   * unless the page moved on or a later answer was shown already.
   */
  private async fetchWindow(offset: number, find: string | null): Promise<ListWindow | null> {
    if (!isListPage(this.page)) return null;
    const view = this.page;
    const asked = ++this.listAsked;
    const w = await ipc.listWindow(view, offset, LIST_WINDOW, find, this.listTag);
    if (this.page !== view || asked <= this.listShown) return null;
    this.listShown = asked;
    this.listTotal = w.total;
    this.listOffset = w.offset;
    this.listRows = w.rows;
    this.listLoaded = true;
    if (w.rows.length > 0) markStart('first-window');
    return w;
  }

  /** Reads the list again where the user is, keeping the selection. */
  private async loadListNow() {
    const v = this.visible;
    try {
      const w = await this.fetchWindow(v ? windowOffset(v.start, v.end) : 0, this.selectedId);
      if (!w) return;
      if (w.found !== null) {
        this.selectedIndex = w.found;
      } else {
        // The selected one left the list (or none was): the one now in
        // its place, else the first.
        const i = Math.min(Math.max(this.selectedIndex, 0), w.total - 1);
        this.selectedIndex = i;
        this.selectedId = this.rowAt(i)?.id ?? null;
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * The list shows rows `start .. end`: loads the block around them when
   * the loaded rows do not reach far enough beyond them.
   */
  wantRows(start: number, end: number) {
    this.visible = { start, end };
    if (this.holdsAround(start, end)) return;
    void this.loadVisible();
  }
  private loadVisible = coalesced(async () => {
    const v = this.visible;
    if (!v || this.holdsAround(v.start, v.end)) return;
    try {
      await this.fetchWindow(windowOffset(v.start, v.end), null);
    } catch (e) {
      this.fail(e);
    }
  });
  reloadList = coalesced(() => this.loadListNow());

  async loadAgents() {
    try {
      this.agents = await ipc.listAgents();
    } catch {
      /* keep what we have */
    }
  }
  async loadCategories() {
    try {
      this.categories = await ipc.listCategories();
    } catch {
      /* keep what we have */
    }
  }
  async loadTags() {
    try {
      this.tags = await ipc.listTags();
      // A deleted tag no longer filters.
      if (this.listTag !== null && !this.tags.some((t) => t.id === this.listTag)) this.filterByTag(null);
    } catch {
      /* keep what we have */
    }
  }
  /** Shows only the conversations with `tag` in every list (`null`: all). */
  filterByTag(tag: string | null) {
    if (tag === this.listTag) return;
    this.listTag = tag;
    this.shelf.clear();
    this.clearList();
    void this.reloadList();
  }
  async loadCounts() {
    try {
      this.counts = await ipc.counts();
    } catch {
      /* keep what we have */
    }
  }
  async loadConnection() {
    // An event that arrives while this asks is newer than its answer.
    const seen = this.connectionEvents;
    try {
      const c = await ipc.connection();
      if (seen === this.connectionEvents) this.connection = c;
    } catch {
      /* keep what we have */
    }
  }
  private async refreshSession() {
    try {
      const s = await ipc.sessionCurrent();
      if (s && this.phase === 'shell') this.session = s;
      if (s === null && this.phase === 'shell') this.leaveShell();
    } catch {
      /* keep what we have */
    }
  }

  private async loadOpenNow() {
    const id = this.openId;
    if (id === null) return;
    const seq = ++this.openSeq;
    try {
      const view = await ipc.getConversation(id);
      if (seq !== this.openSeq || this.openId !== id) return;
      this.open = view;
      this.openMissing = view === null;
    } catch (e) {
      if (seq === this.openSeq) this.fail(e);
    }
  }
  reloadOpen = coalesced(() => this.loadOpenNow());

  /** Reloads only what the core says changed. */
  async onChanges(c: Changes) {
    if (this.phase !== 'shell') return;
    // A kept list may show what just changed (or who is eligible, or how a
    // category routes): read it again when its page is next shown.
    this.shelf.clear();
    const jobs: Promise<unknown>[] = [];
    if (c.reset) {
      jobs.push(this.loadAgents(), this.loadCategories(), this.loadTags(), this.loadCounts(), this.reloadList(), this.reloadOpen(), this.refreshSession());
    } else {
      if (c.conversations.length > 0) {
        jobs.push(this.loadCounts(), this.reloadList());
        if (this.openId !== null && c.conversations.includes(this.openId)) jobs.push(this.reloadOpen());
      }
      if (c.agents) jobs.push(this.loadAgents(), this.refreshSession());
      if (c.categories) jobs.push(this.loadCategories());
      if (c.tags) jobs.push(this.loadTags());
    }
    if (c.saved_replies || c.reset) this.savedReplies++;
    if (c.customers || c.reset || (this.openId !== null && c.conversations.includes(this.openId))) this.customersVersion++;
    await Promise.all(jobs);
  }

  // ---- navigation ----

  async go(page: Page) {
    if (page === 'admin' && !this.isAdmin) return;
    if (page === this.page) return;
    const left = this.page;
    if (isListPage(left) && this.listLoaded) {
      this.shelf.set(left, {
        total: this.listTotal,
        offset: this.listOffset,
        rows: this.listRows,
        selectedId: this.selectedId,
        selectedIndex: this.selectedIndex,
      });
    }
    this.page = page;
    this.dialog = null;
    this.error = null;
    if (isListPage(page)) {
      this.clearList();
      const kept = this.shelf.get(page);
      if (kept) {
        // Nothing changed since it was shown: show it as it was.
        this.listTotal = kept.total;
        this.listOffset = kept.offset;
        this.listRows = kept.rows;
        this.selectedId = kept.selectedId;
        this.selectedIndex = kept.selectedIndex;
        this.listLoaded = true;
        return;
      }
      await this.reloadList();
    }
  }

  async openConversation(id: string) {
    this.openId = id;
    this.presence.show(id);
    const i = this.listRows.findIndex((r) => r.id === id);
    if (i >= 0) {
      this.selectedId = id;
      this.selectedIndex = this.listOffset + i;
    }
    if (this.open?.summary.id !== id) this.open = null;
    this.openMissing = false;
    this.composerMode = 'reply';
    await this.reloadOpen();
  }

  closeConversation() {
    this.openId = null;
    this.presence.show(null);
    this.open = null;
    this.openMissing = false;
  }

  /** The list that holds a conversation, for deep links and notifications. */
  pageFor(c: ConversationSummary): Page {
    if (c.state === 'queued') return 'queue';
    if (c.state === 'assigned' && c.assignee_id === this.me?.id) return 'mine';
    if (c.state === 'snoozed' && c.assignee_id === this.me?.id) return 'snoozed';
    if (this.isAdmin) return 'all';
    return isListPage(this.page) ? this.page : 'queue';
  }

  async navigate(n: Navigate) {
    if (this.phase !== 'shell') return;
    if (n.to === 'queue') {
      await this.go('queue');
      return;
    }
    let view: ConversationView | null = null;
    try {
      view = await ipc.getConversation(n.id);
    } catch {
      view = null;
    }
    if (view) await this.go(this.pageFor(view.summary));
    await this.openConversation(n.id);
    if (view && this.selectedId !== n.id) {
      // Not among the loaded rows: find its place (the list scrolls there).
      this.selectedId = n.id;
      await this.reloadList();
    }
  }

  select(delta: number) {
    if (this.listTotal === 0) return;
    const i = this.selectedIndex;
    const next = i < 0 ? 0 : Math.min(this.listTotal - 1, Math.max(0, i + delta));
    this.selectedIndex = next;
    const row = this.rowAt(next);
    if (row) {
      this.selectedId = row.id;
      return;
    }
    void this.fetchWindow(windowOffset(next, next + 1), null)
      .then(() => {
        if (this.selectedIndex === next) this.selectedId = this.rowAt(next)?.id ?? null;
      })
      .catch((e) => this.fail(e));
  }

  // ---- actions ----

  /** Shows a failed action; a refused token also offers to sign in again. */
  fail(e: unknown) {
    const err = ipc.asCommandError(e);
    if (err.code === 'unauthorized') this.authLost = true;
    if (err.code === 'not_signed_in') {
      void this.refreshSession().then(() => {
        if (this.phase === 'shell') this.error = ipc.describeError(err);
      });
      return;
    }
    this.error = ipc.describeError(err);
  }

  private async act<T>(f: () => Promise<T>): Promise<T | undefined> {
    this.error = null;
    try {
      return await f();
    } catch (e) {
      this.fail(e);
      return undefined;
    }
  }

  /** Shows a summary a command returned at once (the reloads follow). */
  applySummary(c: ConversationSummary | undefined) {
    if (!c || typeof c !== 'object' || typeof c.id !== 'string') return;
    if (this.open && this.open.summary.id === c.id) this.open = { ...this.open, summary: c };
    const i = this.listRows.findIndex((r) => r.id === c.id);
    if (i >= 0) this.listRows = [...this.listRows.slice(0, i), c, ...this.listRows.slice(i + 1)];
  }

  /** What a conversation is called in messages and buttons. */
  labelOf(id: string): string {
    const c = this.loadedRow(id) ?? (this.open?.summary.id === id ? this.open.summary : undefined);
    return c ? `${customerLabel(c.customer)} — ${c.subject || '(no subject)'}` : 'that conversation';
  }

  async claim(id: string) {
    this.error = null;
    this.overdue = null;
    let claimed: ConversationSummary;
    try {
      claimed = await ipc.claim(id);
    } catch (e) {
      const err: CommandError = ipc.asCommandError(e);
      if (err.code === 'overdue_first' && err.conversation_id) {
        const target = err.conversation_id;
        let label = this.labelOf(target);
        if (label === 'that conversation') {
          try {
            const v = await ipc.getConversation(target);
            if (v) label = `${customerLabel(v.summary.customer)} — ${v.summary.subject || '(no subject)'}`;
          } catch {
            /* keep the generic label */
          }
        }
        this.overdue = { message: err.message, conversationId: target, label };
      } else if (err.code === 'already_assigned') {
        this.error = `${err.message || 'Someone else already has this conversation.'} It left the queue.`;
        await this.reloadList();
      } else {
        this.fail(err);
      }
      return false;
    }
    if (this.openId === id) this.applySummary(claimed);
    await Promise.all([this.openConversation(id), this.reloadList(), this.loadCounts()]);
    if (this.open?.summary.id === id && this.open.summary.state === 'queued') this.applySummary(claimed);
    return true;
  }

  /** Claims the overdue conversation a refusal named. */
  async takeOverdue() {
    const o = this.overdue;
    if (!o) return;
    this.overdue = null;
    await this.claim(o.conversationId);
  }

  private async changed(c: ConversationSummary | undefined) {
    if (c === undefined) return;
    this.applySummary(c);
    await Promise.all([this.reloadOpen(), this.reloadList(), this.loadCounts()]);
  }
  async resolve(id: string) {
    await this.changed(await this.act(() => ipc.resolve(id)));
  }
  async reopen(id: string) {
    await this.changed(await this.act(() => ipc.reopen(id)));
  }
  async recategorize(id: string, categoryId: string) {
    await this.changed(await this.act(() => ipc.recategorize(id, categoryId)));
  }
  /** Snoozes a conversation until `until`, or until the customer writes (`null`). */
  async snooze(id: string, until: Date | null) {
    await this.changed(await this.act(() => ipc.snooze(id, until ? until.toISOString() : null)));
  }
  async merge(kept: string, from: string) {
    await this.changed(await this.act(() => ipc.mergeConversations(kept, from)));
  }
  async unmerge(id: string) {
    await this.changed(await this.act(() => ipc.unmergeConversation(id)));
  }
  async unsnooze(id: string) {
    await this.changed(await this.act(() => ipc.unsnooze(id)));
  }
  /** Puts a tag on a conversation (`on`) or takes it off. */
  async setTag(id: string, tagId: string, on: boolean) {
    await this.changed(await this.act(() => ipc.setTag(id, tagId, on)));
  }
  async transferred(c: ConversationSummary) {
    await this.changed(c);
  }

  /** Queues a reply or a note; returns whether it was accepted. */
  async send(id: string, body: string, internal: boolean, files: string[] = []): Promise<boolean> {
    const ok = (await this.act(() => ipc.sendMessage(id, body, internal, files))) !== undefined;
    // The outbox item shows once the history is read again; the composer is
    // free for the next message at once.
    if (ok) void Promise.all([this.reloadOpen(), this.loadConnection()]);
    return ok;
  }
  async retry(clientId: string) {
    if ((await this.act(() => ipc.retryMessage(clientId).then(() => true))) !== undefined) await this.reloadOpen();
  }
  async discard(clientId: string) {
    if ((await this.act(() => ipc.discardMessage(clientId).then(() => true))) !== undefined) await this.reloadOpen();
  }

  async setStatus(status: AgentStatus) {
    this.statusError = null;
    this.statusBusy = status;
    try {
      const me = await ipc.setStatus(status);
      if (this.session) this.session = { ...this.session, me };
    } catch (e) {
      if (ipc.asCommandError(e).code === 'unauthorized') this.authLost = true;
      this.statusError = ipc.describeError(e);
    } finally {
      this.statusBusy = null;
    }
  }

  async reconnect() {
    await this.act(() => ipc.reconnectNow().then(() => true));
    await this.loadConnection();
  }

  /** Opens the composer in a mode and asks it to take the focus. */
  compose(mode: 'reply' | 'note') {
    this.composerMode = mode;
    this.composerFocus++;
  }
}
