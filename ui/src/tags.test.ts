import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import App from './App.svelte';
import { FakeCore, ME, allByTestId, byTestId, message, reset, settle, summary } from './test/fake';
import type { Tag } from './gen/Tag';

let app: ReturnType<typeof mount> | null = null;
let core: FakeCore;

const VIP: Tag = { id: 'vip', name: 'VIP', colour: '#1a237e', keywords: [] };
const REFUND: Tag = { id: 'refund', name: '<b>Refund</b>', colour: '#95d5b2', keywords: ['refund'] };

beforeEach(() => {
  core = new FakeCore().install();
  core.tags = [VIP, REFUND];
  core.lists.queue = [summary('q1', { tags: ['refund', 'vip'] }), summary('q2'), summary('q3', { tags: ['vip', 'deleted-tag'] })];
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

function choose(select: HTMLSelectElement, value: string) {
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  flushSync();
}

describe('tags', () => {
  it('show on rows in the tag colour, names as text, unknown ids skipped', async () => {
    await start();
    const rows = allByTestId('conversation-row');
    const chips = (i: number) => allByTestId('tag-chip', rows[i]);
    expect(chips(0).map((c) => c.dataset.tagId)).toEqual(['vip', 'refund']);
    expect(chips(0)[1].textContent).toBe('<b>Refund</b>');
    expect(chips(0)[1].querySelector('b')).toBeNull();
    expect(chips(0)[0].style.color).toBe('rgb(255, 255, 255)');
    expect(chips(1)).toHaveLength(0);
    expect(chips(2).map((c) => c.dataset.tagId)).toEqual(['vip']);
  });

  it('filter the list through the core, and back to all', async () => {
    await start();
    choose(byTestId<HTMLSelectElement>('tag-filter'), 'vip');
    await settle();
    expect(core.called('list_window').at(-1)!.args.tag).toBe('vip');
    expect(allByTestId('conversation-row').map((r) => r.dataset.conversationId)).toEqual(['q1', 'q3']);
    choose(byTestId<HTMLSelectElement>('tag-filter'), '');
    await settle();
    expect(core.called('list_window').at(-1)!.args.tag).toBeNull();
    expect(allByTestId('conversation-row')).toHaveLength(3);
  });

  it('are put on and taken off in the conversation view', async () => {
    const s = summary('m1', { state: 'assigned', assignee_id: ME.id, tags: ['vip'] });
    core.lists.mine = [s];
    core.conversations.set('m1', { summary: s, complete: true, messages: [message('customer', 'Hello')] });
    await start();
    byTestId('nav-mine').click();
    await settle();
    allByTestId('conversation-row')[0].querySelector('button')!.click();
    await settle();
    const editor = byTestId('conversation-tags');
    expect(allByTestId('tag-chip', editor).map((c) => c.dataset.tagId)).toEqual(['vip']);
    const add = byTestId<HTMLSelectElement>('tag-add', editor);
    expect([...add.options].map((o) => o.value)).toEqual(['', 'refund']);
    choose(add, 'refund');
    await settle();
    expect(core.called('set_tag').at(-1)!.args).toEqual({ conversationId: 'm1', tagId: 'refund', on: true });
    byTestId('tag-remove', editor).click();
    await settle();
    expect(core.called('set_tag').at(-1)!.args).toEqual({ conversationId: 'm1', tagId: 'vip', on: false });
  });

  it('hide the filter and the editor when the team has none', async () => {
    core.tags = [];
    await start();
    expect(document.querySelector('[data-testid="tag-filter"]')).toBeNull();
  });
});
