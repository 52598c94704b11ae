import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mount, unmount } from 'svelte';
import App from './App.svelte';
import { FakeCore, ME, OTHER, allByTestId, byTestId, message, reset, settle, summary, type } from './test/fake';
import { PresenceState, TYPING_IDLE_MS, TYPING_REPORT_MS, presenceLine } from './lib/presence.svelte';
import type { Presence } from './gen/Presence';

let app: ReturnType<typeof mount> | null = null;
let core: FakeCore;

const seen = (name: string, conversation: string | null, composing: Presence['composing'] = null, id = name.toLowerCase()): Presence => ({
  agent_id: id,
  agent_name: name,
  conversation_id: conversation,
  composing,
  expires_at: '2099-01-01T00:00:00Z',
});

beforeEach(() => {
  core = new FakeCore().install();
});

afterEach(() => {
  vi.useRealTimers();
  if (app) unmount(app);
  app = null;
  reset();
});

describe('the presence line', () => {
  it('says who views and who types what', () => {
    expect(presenceLine([])).toBeNull();
    expect(presenceLine([seen('Grace', 'c1')])).toBe('Grace is viewing');
    expect(presenceLine([seen('Grace', 'c1'), seen('Ada', 'c1')])).toBe('Grace and Ada are viewing');
    expect(presenceLine([seen('Grace', 'c1', 'reply')])).toBe('Grace is typing a reply');
    expect(presenceLine([seen('Grace', 'c1', 'note'), seen('Ada', 'c1')])).toBe('Grace is typing a note; Ada is viewing');
  });
});

describe('presence in the window', () => {
  async function openQueued(id: string) {
    const s = summary(id, { state: 'assigned', assignee_id: OTHER.id });
    core.lists.queue = [];
    core.lists.all = [s];
    core.lists.mine = [s];
    core.conversations.set(id, { summary: s, complete: true, messages: [message('customer', 'Hello')] });
    app = mount(App, { target: document.body });
    await settle();
    byTestId('nav-mine').click();
    await settle();
    allByTestId('conversation-row')[0].querySelector('button')!.click();
    await settle();
  }

  it('shows colleagues on the row and in the view, and reports what is open', async () => {
    await openQueued('c1');
    expect(core.called('report_presence').at(-1)!.args).toEqual({ conversationId: 'c1', composing: null });
    await core.emit('presence', [seen(OTHER.name, 'c1', 'reply', OTHER.id)]);
    await settle();
    expect(byTestId('row-viewers').textContent).toContain(OTHER.name);
    expect(byTestId('presence-line').textContent).toContain(`${OTHER.name} is typing a reply`);
    await core.emit('presence', []);
    await settle();
    expect(document.querySelector('[data-testid="presence-line"]')).toBeNull();
  });

  it('reports typing at most every few seconds; a note names the holder', async () => {
    await openQueued('c1');
    byTestId('composer-mode-note').click();
    await settle();
    expect(byTestId('composer-holder').textContent).toContain(`${OTHER.name} holds this conversation`);
    const before = core.called('report_presence').length;
    const box = document.querySelector<HTMLTextAreaElement>('[data-testid="composer-input"]')!;
    type(box, 'a');
    type(box, 'ab');
    type(box, 'abc');
    await settle();
    const typed = core.called('report_presence').slice(before);
    expect(typed.map((c) => c.args.composing)).toEqual(['note']);
    expect(ME.id).not.toBe(OTHER.id);
  });
});

describe('PresenceState', () => {
  it('ends typing after a pause, and reports each conversation shown once', () => {
    vi.useFakeTimers();
    const state = new PresenceState();
    state.show('c1');
    state.show('c1');
    state.typing('reply');
    vi.advanceTimersByTime(TYPING_REPORT_MS - 1);
    state.typing('reply');
    vi.advanceTimersByTime(TYPING_IDLE_MS);
    state.show(null);
    const asked = core.called('report_presence').map((c) => [c.args.conversationId, c.args.composing]);
    expect(asked).toEqual([
      ['c1', null],
      ['c1', 'reply'],
      ['c1', null],
      [null, null],
    ]);
  });
});
