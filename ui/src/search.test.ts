import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import App from './App.svelte';
import { FakeCore, byTestId, reset, settle, summary, message, type } from './test/fake';
import type { CommandError } from './gen/CommandError';

let app: ReturnType<typeof mount> | null = null;
let core: FakeCore;

beforeEach(() => {
  core = new FakeCore().install();
  core.lists.queue = [summary('c1', { subject: 'Refund for order 7' }), summary('c2', { subject: 'Cannot log in to my order' })];
  for (const c of core.lists.queue) core.conversations.set(c.id, { summary: c, complete: true, messages: [message('customer', 'hi')] });
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

function key(k: string, init: KeyboardEventInit = {}, target: EventTarget = document.body) {
  target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init }));
  flushSync();
}

describe('the search box', () => {
  it('opens with / and Ctrl+K, searches what is typed, marks the hit as text', async () => {
    await start();
    key('/');
    const input = byTestId<HTMLInputElement>('search-input');
    expect(document.activeElement).toBe(input);
    type(input, 'refund');
    await settle();
    // The search saw the whole text typed, not the text before the keystroke.
    const calls = core.called('search');
    expect((calls[calls.length - 1].args.query as { q: string }).q).toBe('refund');
    const row = byTestId('search-result-0');
    expect(row.dataset.conversation).toBe('c1');
    const mark = row.querySelector('mark');
    expect(mark?.textContent).toBe('Refund');
    key('Escape', {}, input);
    expect(document.querySelector('[data-testid="search-dialog"]')).toBeNull();
    key('k', { ctrlKey: true });
    expect(document.querySelector('[data-testid="search-dialog"]')).not.toBeNull();
  });

  it('Enter opens the chosen result; the server is asked only when the agent says so', async () => {
    await start();
    key('/');
    const input = byTestId<HTMLInputElement>('search-input');
    type(input, 'or');
    await settle();
    expect(core.called('search_server')).toHaveLength(0);
    key('ArrowDown', {}, input);
    key('Enter', {}, input);
    await settle();
    expect(document.querySelector('[data-testid="search-dialog"]')).toBeNull();
    expect(document.querySelector('[data-testid="conversation-view"]')?.getAttribute('data-conversation-id')).toBe('c2');
  });

  it('offline, "Search the server too" says so and keeps the local results', async () => {
    core.handlers.search_server = () => {
      throw { code: 'offline', message: 'offline', conversation_id: null } satisfies CommandError;
    };
    await start();
    key('/');
    type(byTestId<HTMLInputElement>('search-input'), 'refund');
    await settle();
    byTestId('search-server').click();
    await settle();
    expect(byTestId('search-server-error').textContent).toContain('cannot be reached');
    expect(byTestId('search-result-0').dataset.conversation).toBe('c1');
  });
});
