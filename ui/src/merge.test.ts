import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mount, unmount } from 'svelte';
import App from './App.svelte';
import { FakeCore, ME, allByTestId, byTestId, message, reset, session, settle, summary, type } from './test/fake';
import type { ConversationSummary } from './gen/ConversationSummary';

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

async function open(s: ConversationSummary, others: ConversationSummary[]) {
  core.lists.mine = [s];
  core.conversations.set(s.id, { summary: s, complete: true, messages: [message('customer', 'Hello')] });
  core.handlers.customer_panel = () => ({
    customer: { id: 'k1', name: 'Ada', company: null, notes: '', identities: [], created_at: s.created_at, updated_at: s.created_at },
    conversations: [s, ...others],
    hidden_conversations: 0,
    offline: false,
  });
  app = mount(App, { target: document.body });
  await settle();
  byTestId('nav-mine').click();
  await settle();
  allByTestId('conversation-row')[0].querySelector('button')!.click();
  await settle();
  const toggle = document.querySelector<HTMLButtonElement>('[data-testid="customer-toggle"]');
  if (toggle) {
    toggle.click();
    await settle();
  }
}

describe('merge', () => {
  it("merges another of the customer's conversations into the open one after a second click", async () => {
    const kept = summary('k', { state: 'assigned', assignee_id: ME.id, customer_id: 'k1' });
    const other = summary('o', { state: 'queued', customer_id: 'k1' });
    const merged = summary('m', { state: 'resolved', customer_id: 'k1', merged_into: 'k' });
    await open(kept, [other, merged]);
    const buttons = allByTestId('customer-merge');
    expect(buttons.map((b) => b.dataset.conversationId)).toEqual(['o']);
    buttons[0].click();
    await settle();
    expect(core.called('merge_conversations')).toHaveLength(0);
    byTestId('customer-merge-confirm').click();
    await settle();
    expect(core.called('merge_conversations').at(-1)!.args).toEqual({ kept: 'k', from: 'o' });
  });

  it('shows where a merged one went, and offers admins the undo', async () => {
    core.session = session({ ...ME, role: 'admin' });
    const gone = summary('g', { state: 'resolved', assignee_id: ME.id, customer_id: 'k1', merged_into: 'k' });
    await open(gone, []);
    expect(byTestId('merged-notice').textContent).toContain('Merged into another conversation');
    expect(document.querySelector('[data-testid="customer-merge"]')).toBeNull();
    byTestId('unmerge').click();
    await settle();
    expect(core.called('unmerge_conversation').at(-1)!.args).toEqual({ id: 'g' });
  });

  it('lets an admin find another profile of the person and merge it in, confirming', async () => {
    core.session = session({ ...ME, role: 'admin' });
    const other = { id: 'k2', name: 'Ada L.', company: null, notes: '', identities: [{ kind: 'phone' as const, value: '+15550100' }], created_at: '2026-12-01T00:00:00Z', updated_at: '2026-12-01T00:00:00Z' };
    core.handlers.find_customers = () => [other];
    const kept = summary('k', { state: 'assigned', assignee_id: ME.id, customer_id: 'k1' });
    await open(kept, []);
    byTestId('profile-merge-open').click();
    await settle();
    type(byTestId<HTMLInputElement>('profile-merge-search'), 'Ada');
    await settle();
    expect(core.called('find_customers').at(-1)!.args).toEqual({ q: 'Ada' });
    byTestId('profile-merge-pick').click();
    await settle();
    expect(core.called('merge_customers')).toHaveLength(0);
    byTestId('profile-merge-confirm').click();
    await settle();
    expect(core.called('merge_customers').at(-1)!.args).toEqual({ kept: 'k1', from: 'k2' });
  });
});
