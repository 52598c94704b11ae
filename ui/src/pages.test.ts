import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import App from './App.svelte';
import { FakeCore, ME, OTHER, CATEGORIES, allByTestId, byTestId, refuse, reset, session, settle, summary, message, type } from './test/fake';
import type { Metrics } from './gen/Metrics';

let app: ReturnType<typeof mount> | null = null;
let core: FakeCore;

beforeEach(() => {
  core = new FakeCore().install();
});

afterEach(() => {
  if (app) unmount(app);
  app = null;
  reset();
});

async function start() {
  app = mount(App, { target: document.body });
  await settle();
}

function click(el: HTMLElement) {
  el.click();
  flushSync();
}

function key(k: string, init: KeyboardEventInit = {}, target: EventTarget = document.body) {
  target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init }));
  flushSync();
}

const METRICS: Metrics = {
  from: '2026-03-01T00:00:00Z',
  to: '2026-03-08T00:00:00Z',
  queue: { waiting: 4, overdue: 1, oldest_wait_secs: 610 },
  first_response: { count: 12, avg_secs: 200, median_secs: 150, p90_secs: 900 },
  agents: [
    { agent_id: ME.id, conversations: 10, resolved: 8, resolution_rate: 0.8, avg_first_response_secs: 120, claims: 6, avg_claim_wait_secs: 90, skipped_older: 0 },
    { agent_id: OTHER.id, conversations: 4, resolved: 1, resolution_rate: 0.25, avg_first_response_secs: null, claims: 2, avg_claim_wait_secs: 30, skipped_older: 3 },
  ],
};

describe('keyboard shortcuts', () => {
  beforeEach(() => {
    core.lists.queue = [summary('c1'), summary('c2'), summary('c3')];
    for (const id of ['c1', 'c2', 'c3']) core.conversations.set(id, { summary: summary(id), complete: true, messages: [message('customer', 'hi')] });
  });

  it('j/k move the selection, Enter opens, Esc goes back', async () => {
    await start();
    const selected = () => document.querySelector<HTMLElement>('[data-testid="conversation-row"].selected')?.dataset.conversationId;
    expect(selected()).toBe('c1');
    key('j');
    key('j');
    expect(selected()).toBe('c3');
    key('j');
    expect(selected()).toBe('c3');
    key('k');
    expect(selected()).toBe('c2');
    key('Enter');
    await settle();
    expect(byTestId('conversation-view').dataset.conversationId).toBe('c2');
    key('Escape');
    expect(document.querySelector('[data-testid="conversation-view"]')).toBeNull();
  });

  it('c claims the selected conversation; typing in a field does not trigger shortcuts', async () => {
    await start();
    key('j');
    key('c');
    await settle();
    expect(core.called('claim').map((c) => c.args.id)).toEqual(['c2']);
    // In the composer, "c" is just a letter.
    key('c', {}, byTestId('composer-input'));
    await settle();
    expect(core.called('claim')).toHaveLength(1);
  });

  it('n focuses the composer in note mode, g then t opens the team', async () => {
    await start();
    key('Enter');
    await settle();
    key('n');
    expect(byTestId('composer-mode-note').getAttribute('aria-pressed')).toBe('true');
    expect(document.activeElement).toBe(byTestId('composer-input'));
    key('Escape', {}, byTestId('composer-input'));
    (document.activeElement as HTMLElement)?.blur?.();
    key('g');
    key('t');
    await settle();
    expect(byTestId('team')).toBeTruthy();
  });

  it('? shows the help overlay and Esc closes it', async () => {
    await start();
    key('?');
    expect(byTestId('help-overlay').textContent).toContain('Claim');
    key('Escape');
    expect(document.querySelector('[data-testid="help-overlay"]')).toBeNull();
  });
});

describe('team', () => {
  it('groups agents by status with their load', async () => {
    await start();
    click(byTestId('nav-team'));
    await settle();
    expect(byTestId('team-available').textContent).toContain('Ada Agent');
    expect(byTestId('team-busy').textContent).toContain('Bob Busy');
    expect(byTestId('team-busy').textContent).toContain('3/3');
    expect(byTestId('team-offline').textContent).toContain('Nobody');
    expect(byTestId('team-available').textContent).toContain('Billing');
    const billing = byTestId('team-categories').querySelector<HTMLElement>('[data-category-id="billing"]')!;
    // Ada is available with room; Bob is busy and full.
    expect(billing.textContent).toContain('1 of 2 can take one now');
    expect(billing.textContent).toContain('5 m');
  });
});

describe('metrics', () => {
  it('asks for the whole period and each day, and shows the figures', async () => {
    core.handlers.metrics = () => METRICS;
    await start();
    click(byTestId('nav-metrics'));
    await settle();
    // 7 days by default: one call for the period and one per day.
    const calls = core.called('metrics');
    expect(calls).toHaveLength(8);
    const first = calls[0].args as { from: string; to: string };
    expect(Date.parse(first.to) - Date.parse(first.from)).toBeGreaterThan(6 * 86400_000);
    expect(byTestId('metrics-queue').textContent).toContain('4');
    expect(byTestId('metrics-frt').textContent).toContain('2 m 30 s');
    expect(byTestId('metrics-frt').textContent).toContain('15 m');
    const rows = allByTestId('metrics-agent-row');
    expect(rows).toHaveLength(2);
    const bob = rows.find((r) => r.dataset.agentId === OTHER.id)!;
    expect(bob.textContent).toContain('Bob Busy');
    expect(bob.textContent).toContain('25%');
    for (const id of ['chart-frt', 'chart-resolution', 'chart-fairness']) expect(byTestId(id)).toBeTruthy();

    click(byTestId('period-today'));
    await settle();
    expect(core.called('metrics')).toHaveLength(10);
  });

  it('a custom period asks for each of its days', async () => {
    core.handlers.metrics = () => METRICS;
    await start();
    click(byTestId('nav-metrics'));
    await settle();
    const before = core.called('metrics').length;
    click(byTestId('period-custom'));
    type(byTestId('period-from'), '2026-01-01');
    type(byTestId('period-to'), '2026-01-03');
    click(byTestId('period-apply'));
    await settle();
    const calls = core.called('metrics').slice(before);
    expect(calls).toHaveLength(4);
    const days = calls.slice(1).map((c) => new Date(c.args.from as string).getDate());
    expect(days).toEqual([1, 2, 3]);
    expect(new Date(calls[0].args.to as string).getDate()).toBe(4);

    type(byTestId('period-from'), '2026-01-05');
    click(byTestId('period-apply'));
    await settle();
    expect(byTestId('metrics-error').textContent).toContain('on or before');
  });

  it('says when metrics need a connection', async () => {
    core.handlers.metrics = () => refuse('offline', 'The server cannot be reached. This needs a connection.');
    await start();
    click(byTestId('nav-metrics'));
    await settle();
    expect(byTestId('metrics-error').textContent).toContain('needs a connection');
  });
});

describe('admin', () => {
  beforeEach(() => {
    core.session = session({ ...ME, role: 'admin' });
  });

  it('creates an agent and shows server validation errors inline', async () => {
    core.handlers.create_agent = () => refuse('validation', 'That email is already taken.');
    await start();
    click(byTestId('nav-admin'));
    await settle();
    type(byTestId('new-agent-name'), 'Cleo');
    type(byTestId('new-agent-email'), 'ada@example.com');
    type(byTestId('new-agent-password'), 'short');
    click(byTestId('new-agent-submit'));
    await settle();
    expect(byTestId('new-agent-error').textContent).toContain('8 characters');
    expect(core.called('create_agent')).toHaveLength(0);

    type(byTestId('new-agent-password'), 'long enough');
    click(byTestId('new-agent-submit'));
    await settle();
    expect(core.called('create_agent')[0].args).toEqual({
      agent: { name: 'Cleo', email: 'ada@example.com', password: 'long enough', role: 'agent', categories: [], capacity: 5 },
    });
    expect(byTestId('new-agent-error').textContent).toBe('That email is already taken.');
  });

  it('edits a category: only changed fields, keywords one per line, threshold at least 1 s', async () => {
    core.handlers.update_category = (args) => ({ ...CATEGORIES[0], ...(args.patch as object) });
    await start();
    click(byTestId('nav-admin'));
    await settle();
    const row = allByTestId('admin-category').find((r) => r.dataset.categoryId === 'billing')!;
    type(byTestId<HTMLInputElement>('category-threshold', row), '0');
    click(byTestId('category-save', row));
    await settle();
    expect(byTestId('category-error', row).textContent).toContain('at least 1');
    expect(core.called('update_category')).toHaveLength(0);

    type(byTestId<HTMLInputElement>('category-threshold', row), '120');
    type(byTestId<HTMLTextAreaElement>('category-keywords', row), 'refund\n\n  invoice  \n/charge(d)?/');
    click(byTestId('category-save', row));
    await settle();
    expect(core.called('update_category')[0].args).toEqual({
      id: 'billing',
      patch: { wait_threshold_secs: 120, keywords: ['refund', 'invoice', '/charge(d)?/'] },
    });
  });

  it('edits an agent: sends only what changed', async () => {
    core.handlers.update_agent = (args) => ({ ...OTHER, ...(args.patch as object) });
    await start();
    click(byTestId('nav-admin'));
    await settle();
    const row = allByTestId('admin-agent').find((r) => r.dataset.agentId === OTHER.id)!;
    expect(byTestId<HTMLButtonElement>('agent-save', row).disabled).toBe(true);
    type(byTestId<HTMLInputElement>('agent-capacity', row), '8');
    const tech = row.querySelector<HTMLInputElement>('input[type=checkbox][value="tech"]')!;
    tech.checked = true;
    tech.dispatchEvent(new Event('change', { bubbles: true }));
    flushSync();
    click(byTestId('agent-save', row));
    await settle();
    expect(core.called('update_agent')[0].args).toEqual({ id: OTHER.id, patch: { capacity: 8, categories: ['billing', 'tech'] } });
  });

  it('is not reachable for agents', async () => {
    core.session = session(ME);
    await start();
    expect(document.querySelector('[data-testid="nav-admin"]')).toBeNull();
  });
});

describe('conversation actions', () => {
  async function openQueued() {
    const s = summary('c1', { state: 'assigned', assignee_id: ME.id });
    core.lists.mine = [s];
    core.conversations.set('c1', { summary: s, complete: true, messages: [] });
    await start();
    click(byTestId('nav-mine'));
    await settle();
    click(allByTestId('conversation-row')[0].querySelector('button')!);
    await settle();
    return s;
  }

  it('re-categorizes, resolves and reopens through the core', async () => {
    const s = await openQueued();
    core.handlers.recategorize = (args) => ({ ...s, category_id: args.categoryId });
    core.handlers.resolve = () => ({ ...s, state: 'resolved' });
    core.handlers.reopen = () => s;
    const select = byTestId<HTMLSelectElement>('conversation-category');
    select.value = 'tech';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(core.called('recategorize')[0].args).toEqual({ id: 'c1', categoryId: 'tech' });

    core.conversations.set('c1', { summary: { ...s, state: 'resolved' }, complete: true, messages: [] });
    click(byTestId('resolve'));
    await settle();
    expect(core.called('resolve')[0].args).toEqual({ id: 'c1' });
    expect(byTestId('conversation-state').textContent).toContain('Resolved');
    click(byTestId('reopen'));
    await settle();
    expect(core.called('reopen')[0].args).toEqual({ id: 'c1' });
  });

  it('shows why an action failed', async () => {
    await openQueued();
    core.handlers.resolve = () => refuse('offline', 'The server cannot be reached. This needs a connection; it will work again once you are back online.');
    click(byTestId('resolve'));
    await settle();
    expect(byTestId('error-banner').textContent).toContain('needs a connection');
  });

  it('e resolves the open conversation from the keyboard', async () => {
    const s = await openQueued();
    core.handlers.resolve = () => ({ ...s, state: 'resolved' });
    key('e');
    await settle();
    expect(core.called('resolve')).toHaveLength(1);
  });
});
