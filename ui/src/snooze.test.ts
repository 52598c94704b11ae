import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mount, unmount } from 'svelte';
import App from './App.svelte';
import { FakeCore, ME, allByTestId, byTestId, message, reset, settle, summary } from './test/fake';

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

async function openMine(id: string, over: Parameters<typeof summary>[1]) {
  const s = summary(id, { assignee_id: ME.id, ...over });
  core.lists.mine = [s];
  core.conversations.set(id, { summary: s, complete: true, messages: [message('customer', 'Hello')] });
  app = mount(App, { target: document.body });
  await settle();
  byTestId('nav-mine').click();
  await settle();
  allByTestId('conversation-row')[0].querySelector('button')!.click();
  await settle();
}

describe('snooze', () => {
  it('offers presets, until a reply, and a picked time; each asks the core', async () => {
    await openMine('m1', { state: 'assigned' });
    byTestId('snooze').click();
    await settle();
    const menu = byTestId('snooze-menu');
    expect(allByTestId('snooze-hour', menu)).toHaveLength(1);
    byTestId('snooze-tomorrow', menu).click();
    await settle();
    const asked = core.called('snooze').at(-1)!.args;
    expect(asked.conversationId).toBe('m1');
    const until = new Date(asked.until as string);
    expect([until.getHours(), until.getMinutes()]).toEqual([9, 0]);
    expect(document.querySelector('[data-testid="snooze-menu"]')).toBeNull();

    byTestId('snooze').click();
    await settle();
    byTestId('snooze-reply').click();
    await settle();
    expect(core.called('snooze').at(-1)!.args.until).toBeNull();
  });

  it('refuses a picked time in the past without asking the core', async () => {
    await openMine('m1', { state: 'assigned' });
    byTestId('snooze').click();
    await settle();
    const input = byTestId<HTMLInputElement>('snooze-at');
    input.value = '2001-01-01T09:00';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    byTestId('snooze-pick').click();
    await settle();
    expect(byTestId('snooze-menu').textContent).toContain('in the future');
    expect(core.called('snooze')).toHaveLength(0);
  });

  it('shows until when, and wakes by hand', async () => {
    await openMine('m2', { state: 'snoozed', snoozed_until: '2026-12-07T09:00:00Z' });
    expect(byTestId('conversation-state').textContent).toMatch(/Snoozed until/);
    expect(document.querySelector('[data-testid="snooze"]')).toBeNull();
    byTestId('unsnooze').click();
    await settle();
    expect(core.called('unsnooze').at(-1)!.args).toEqual({ conversationId: 'm2' });
  });
});
