import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import App from './App.svelte';
import { FLING_SETTLE_MS } from './lib/virtual';
import { FakeCore, ME, OTHER, allByTestId, byTestId, message, refuse, reset, session, settle, summary, type } from './test/fake';

let app: ReturnType<typeof mount> | null = null;
let core: FakeCore;

beforeEach(() => {
  core = new FakeCore().install();
});

afterEach(() => {
  vi.useRealTimers();
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

describe('login screen', () => {
  beforeEach(() => {
    core.session = null;
  });

  it('exposes the stable test hooks with the local server prefilled', async () => {
    await start();
    for (const id of ['login-server', 'login-email', 'login-password', 'login-submit']) {
      expect(byTestId(id)).toBeTruthy();
    }
    expect(byTestId<HTMLInputElement>('login-password').type).toBe('password');
    expect(byTestId<HTMLInputElement>('login-server').value).toBe('http://127.0.0.1:8080');
  });

  it('refuses an incomplete form and names the problem without calling the core', async () => {
    await start();
    type(byTestId('login-email'), 'agent@example.com');
    click(byTestId('login-submit'));
    expect(byTestId('login-error').textContent).toContain('password');
    expect(byTestId('login-password').getAttribute('aria-invalid')).toBe('true');
    expect(core.called('login')).toHaveLength(0);
  });

  it('shows what to do when the server refuses the password', async () => {
    core.handlers.login = () => refuse('unauthorized', 'bad credentials');
    await start();
    type(byTestId('login-email'), 'agent@example.com');
    type(byTestId('login-password'), 'wrong');
    click(byTestId('login-submit'));
    await settle();
    expect(byTestId('login-error').textContent).toMatch(/wrong email or password/i);
    expect(document.querySelector('[data-testid="nav-queue"]')).toBeNull();
  });

  it('says the server cannot be reached when offline', async () => {
    core.handlers.login = () => refuse('offline', 'unreachable');
    await start();
    type(byTestId('login-email'), 'agent@example.com');
    type(byTestId('login-password'), 'pw');
    click(byTestId('login-submit'));
    await settle();
    expect(byTestId('login-error').textContent).toMatch(/cannot reach the server/i);
    expect(byTestId('login-server').getAttribute('aria-invalid')).toBe('true');
  });

  it('signs in with the normalized server URL and opens the shell', async () => {
    let resolveLogin: (v: unknown) => void = () => {};
    core.handlers.login = () => new Promise((r) => (resolveLogin = r));
    await start();
    type(byTestId('login-server'), '127.0.0.1:8080/');
    type(byTestId('login-email'), ' ada@example.com ');
    type(byTestId('login-password'), 'secret');
    click(byTestId('login-submit'));
    await settle();
    // Busy while the core works.
    expect(byTestId<HTMLButtonElement>('login-submit').disabled).toBe(true);
    expect(core.called('login')[0].args).toEqual({
      serverUrl: 'http://127.0.0.1:8080',
      email: 'ada@example.com',
      password: 'secret',
      allowUnencrypted: false,
    });
    resolveLogin(session());
    await settle();
    expect(byTestId('nav-queue')).toBeTruthy();
    expect(document.querySelector('[data-testid="login-submit"]')).toBeNull();
  });

  it('warns before plain http:// to another computer and signs in only once confirmed', async () => {
    const warning = 'The connection to support.example.com is not encrypted <b>(http://)</b>.';
    core.handlers.login = (args) => (args.allowUnencrypted ? session() : refuse('unencrypted_connection', warning));
    await start();
    type(byTestId('login-server'), 'http://support.example.com');
    type(byTestId('login-email'), 'ada@example.com');
    type(byTestId('login-password'), 'secret');
    click(byTestId('login-submit'));
    await settle();
    // The core's warning, as text; no sign-in yet, and none without the box ticked.
    const shown = byTestId('login-unencrypted-warning');
    expect(shown.textContent).toContain(warning);
    expect(shown.querySelector('b')).toBeNull();
    expect(document.querySelector('[data-testid="login-error"]')).toBeNull();
    expect(document.querySelector('[data-testid="nav-queue"]')).toBeNull();
    expect(core.called('login').map((c) => c.args.allowUnencrypted)).toEqual([false]);
    const submit = byTestId<HTMLButtonElement>('login-submit');
    expect(submit.disabled).toBe(true);
    expect(submit.textContent).toMatch(/sign in anyway over an unencrypted connection/i);

    // Another address hides it; back to the same one shows it again, unticked.
    type(byTestId('login-server'), 'https://support.example.com');
    expect(document.querySelector('[data-testid="login-unencrypted-warning"]')).toBeNull();
    expect(byTestId<HTMLButtonElement>('login-submit').textContent?.trim()).toBe('Sign in');
    type(byTestId('login-server'), 'http://support.example.com/');
    expect(byTestId<HTMLInputElement>('login-allow-unencrypted').checked).toBe(false);

    click(byTestId('login-allow-unencrypted'));
    expect(byTestId<HTMLButtonElement>('login-submit').disabled).toBe(false);
    click(byTestId('login-submit'));
    await settle();
    expect(core.called('login').map((c) => c.args.allowUnencrypted)).toEqual([false, true]);
    expect(core.called('login')[1].args.serverUrl).toBe('http://support.example.com');
    expect(byTestId('nav-queue')).toBeTruthy();
  });

  it('goes back to the login screen on a null session event', async () => {
    core.session = session();
    await start();
    expect(byTestId('nav-queue')).toBeTruthy();
    await core.emit('session', null);
    await settle();
    expect(byTestId('login-submit')).toBeTruthy();
  });
});

describe('shell', () => {
  it('shows nav, admin-only entries hidden for agents, status and connection', async () => {
    core.lists.queue = [summary('c1'), summary('c2', { overdue: true })];
    await start();
    for (const id of ['nav-queue', 'nav-mine', 'nav-team', 'nav-metrics']) expect(byTestId(id)).toBeTruthy();
    expect(document.querySelector('[data-testid="nav-admin"]')).toBeNull();
    expect(document.querySelector('[data-testid="nav-all"]')).toBeNull();
    expect(byTestId('queue-count').textContent).toBe('2');
    expect(byTestId('queue-overdue-count').textContent).toContain('1');
    expect(byTestId('status-available').getAttribute('aria-pressed')).toBe('true');
    expect(byTestId('status-busy').getAttribute('aria-pressed')).toBe('false');
    expect(byTestId('connection-state').dataset.state).toBe('online');
  });

  it('shows admin entries to admins', async () => {
    core.session = session({ ...ME, role: 'admin' });
    await start();
    expect(byTestId('nav-admin')).toBeTruthy();
    expect(byTestId('nav-all')).toBeTruthy();
  });

  it('status buttons call set_status and follow session events from the tray', async () => {
    await start();
    click(byTestId('status-busy'));
    await settle();
    expect(core.called('set_status')[0].args).toEqual({ status: 'busy' });
    expect(byTestId('status-busy').getAttribute('aria-pressed')).toBe('true');

    await core.emit('session', session({ ...ME, status: 'offline' }));
    await settle();
    expect(byTestId('status-offline').getAttribute('aria-pressed')).toBe('true');
    expect(byTestId('status-available').getAttribute('aria-pressed')).toBe('false');
    expect(byTestId('status-busy').getAttribute('aria-pressed')).toBe('false');
  });

  it('shows a refused status change', async () => {
    core.handlers.set_status = () => refuse('offline', 'The server cannot be reached.');
    await start();
    click(byTestId('status-offline'));
    await settle();
    expect(byTestId('status-error').textContent).toContain('cannot be reached');
    expect(byTestId('status-available').getAttribute('aria-pressed')).toBe('true');
  });

  it('connection indicator follows events, explains offline and retries', async () => {
    await start();
    await core.emit('sync-connection', { state: 'offline', last_error: 'connection refused', outbox_pending: 2, progress: { stage: 'done', done: 0, total: null } });
    await settle();
    const ind = byTestId('connection-state');
    expect(ind.dataset.state).toBe('offline');
    expect(byTestId('connection-error').textContent).toBe('connection refused');
    expect(byTestId('outbox-pending').textContent).toContain('2');
    click(byTestId('reconnect-now'));
    await settle();
    expect(core.called('reconnect_now')).toHaveLength(1);
  });
});

describe('queue', () => {
  it('renders rows with the test hooks, overdue marked by a label', async () => {
    core.lists.queue = [summary('c1', { overdue: true }), summary('c2')];
    await start();
    const rows = allByTestId('conversation-row');
    expect(rows.map((r) => r.dataset.conversationId)).toEqual(['c1', 'c2']);
    expect(rows.map((r) => r.dataset.overdue)).toEqual(['true', 'false']);
    expect(rows[0].textContent).toContain('Overdue');
    expect(rows[1].textContent).not.toContain('Overdue');
    expect(rows[0].textContent).toContain('Customer c1');
    expect(rows[0].textContent).toContain('Subject c1');
    expect(rows[0].textContent).toContain('Preview c1');
    expect(rows[0].textContent).toContain('Billing');
    expect(byTestId('claim', rows[0])).toBeTruthy();
  });

  it('renders only a window of a 10,000-row list', async () => {
    core.lists.queue = Array.from({ length: 10_000 }, (_, i) => summary(`c${i}`));
    await start();
    const rows = allByTestId('conversation-row');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0].dataset.conversationId).toBe('c0');
  });

  it('holds only a block of a long list and asks for the next block as it scrolls', async () => {
    core.lists.queue = Array.from({ length: 10_000 }, (_, i) => summary(`c${i}`));
    await start();
    const asked = core.called('list_window');
    expect(asked.length).toBeGreaterThan(0);
    for (const c of asked) expect(c.args.limit as number).toBeLessThanOrEqual(500);
    expect(document.querySelector('.list-head')?.textContent).toContain('10000 conversations');
    // Scroll to row 5,000 (the test DOM has no layout: the offset is set by hand).
    const scroller = byTestId('conversation-list');
    let top = 0;
    Object.defineProperty(scroller, 'scrollTop', { get: () => top, set: (v: number) => (top = v), configurable: true });
    top = 5_000 * 72;
    scroller.dispatchEvent(new Event('scroll'));
    flushSync();
    // Not loaded yet: placeholders, never someone else's row.
    expect(allByTestId('conversation-row').some((r) => r.dataset.conversationId === 'c5000')).toBe(false);
    await settle();
    const ids = allByTestId('conversation-row').map((r) => r.dataset.conversationId);
    expect(ids).toContain('c5000');
    expect(ids).not.toContain('c0');
    expect(allByTestId('conversation-row-loading')).toHaveLength(0);
    const last = core.called('list_window').at(-1)!;
    expect(last.args.offset as number).toBeGreaterThan(4_700);
    expect(last.args.offset as number).toBeLessThanOrEqual(5_000);
  });

  it('draws placeholders and reads nothing while flung, then the rows where it stops', async () => {
    core.lists.queue = Array.from({ length: 10_000 }, (_, i) => summary(`c${i}`));
    await start();
    const scroller = byTestId('conversation-list');
    let top = 0;
    Object.defineProperty(scroller, 'scrollTop', { get: () => top, set: (v: number) => (top = v), configurable: true });
    // The page's clock moves one frame per scroll event (this DOM takes
    // far longer than a frame to render a list).
    vi.useFakeTimers({ toFake: ['performance'] });
    const flick = (row: number) => {
      vi.advanceTimersByTime(16);
      top = row * 72;
      scroller.dispatchEvent(new Event('scroll'));
      flushSync();
    };
    const reads = core.called('list_window').length;
    // A first jump of a few screens is not a fling: rows (from the block
    // already read).
    flick(40);
    flick(80);
    expect(allByTestId('conversation-row').length).toBeGreaterThan(5);
    // More scroll events straight after, each a few screens on: a fling.
    for (const row of [1_000, 1_040, 1_080]) flick(row);
    expect(allByTestId('conversation-row')).toHaveLength(0);
    expect(allByTestId('conversation-row-loading').length).toBeGreaterThan(5);
    expect(core.called('list_window')).toHaveLength(reads);
    vi.useRealTimers();
    // It stops: the rows there, read once.
    await new Promise((r) => setTimeout(r, FLING_SETTLE_MS + 20));
    await settle();
    const ids = allByTestId('conversation-row').map((r) => r.dataset.conversationId);
    expect(ids).toContain('c1080');
    expect(allByTestId('conversation-row-loading')).toHaveLength(0);
    expect(core.called('list_window')).toHaveLength(reads + 1);
  });

  it('keeps the selected conversation selected when the list around it changes', async () => {
    core.lists.queue = Array.from({ length: 10 }, (_, i) => summary(`c${i}`));
    await start();
    click(allByTestId('conversation-row').find((r) => r.dataset.conversationId === 'c5')!);
    await settle();
    const selected = () => allByTestId('conversation-row').find((r) => r.getAttribute('aria-current') === 'true')?.dataset.conversationId;
    expect(selected()).toBe('c5');
    // Two new ones arrive ahead of it: it moves down and stays selected.
    core.lists.queue = [summary('n1'), summary('n2'), ...core.lists.queue];
    await core.emit('sync-changes', { conversations: ['n1', 'n2'], agents: false, categories: false, reset: false });
    await settle();
    expect(core.called('list_window').at(-1)!.args.find).toBe('c5');
    expect(selected()).toBe('c5');
    // j moves to the next one by position in the new list.
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'j', bubbles: true, cancelable: true }));
    flushSync();
    expect(selected()).toBe('c6');
    // It leaves the queue (someone took it): the one now in its place is selected.
    core.lists.queue = core.lists.queue.filter((c) => c.id !== 'c6');
    await core.emit('sync-changes', { conversations: ['c6'], agents: false, categories: false, reset: false });
    await settle();
    expect(selected()).toBe('c7');
  });

  it('claim refused with overdue_first names the older one and "Take it" claims that one', async () => {
    core.lists.queue = [summary('old', { overdue: true, subject: 'Refund overdue' }), summary('new')];
    core.handlers.claim = (args) =>
      args.id === 'new' ? refuse('overdue_first', 'An older overdue conversation waits.', 'old') : { ...summary(args.id as string), state: 'assigned', assignee_id: ME.id };
    core.conversations.set('old', { summary: { ...summary('old'), state: 'assigned', assignee_id: ME.id }, complete: true, messages: [] });
    await start();
    const newRow = allByTestId('conversation-row').find((r) => r.dataset.conversationId === 'new')!;
    click(byTestId('claim', newRow));
    await settle();
    expect(byTestId('overdue-first').textContent).toContain('An older overdue conversation waits.');
    expect(byTestId('overdue-first-name').textContent).toContain('Refund overdue');
    click(byTestId('take-overdue'));
    await settle();
    expect(core.called('claim').map((c) => c.args.id)).toEqual(['new', 'old']);
    expect(document.querySelector('[data-testid="overdue-first"]')).toBeNull();
    expect(byTestId('conversation-view').dataset.conversationId).toBe('old');
  });

  it('reloads the list when the core says conversations changed', async () => {
    core.lists.queue = [summary('c1')];
    await start();
    expect(allByTestId('conversation-row')).toHaveLength(1);
    core.lists.queue = [summary('c1'), summary('c2')];
    const before = core.called('list_window').length;
    await core.emit('sync-changes', { conversations: ['c2'], agents: false, categories: false, reset: false });
    await settle();
    expect(core.called('list_window').length).toBe(before + 1);
    expect(allByTestId('conversation-row')).toHaveLength(2);
    // Nothing about conversations: the list is not reloaded.
    await core.emit('sync-changes', { conversations: [], agents: false, categories: true, reset: false });
    await settle();
    expect(core.called('list_window').length).toBe(before + 1);
  });

  it('going back to a list shows it in the same frame, and reads it again once the cache changed', async () => {
    core.lists.queue = [summary('q1'), summary('q2')];
    core.lists.mine = [summary('m1')];
    await start();
    click(allByTestId('conversation-row')[1].querySelector('button')!);
    await settle();
    click(byTestId('nav-mine'));
    await settle();
    expect(allByTestId('conversation-row').map((r) => r.dataset.conversationId)).toEqual(['m1']);
    const reads = core.called('list_window').length;
    // Nothing changed: the queue is back at once (no await), selection kept.
    click(byTestId('nav-queue'));
    expect(allByTestId('conversation-row').map((r) => r.dataset.conversationId)).toEqual(['q1', 'q2']);
    expect(allByTestId('conversation-row')[1].getAttribute('aria-current')).toBe('true');
    await settle();
    expect(core.called('list_window').length).toBe(reads);
    // A change in the cache: the kept lists are read again when shown.
    core.lists.mine = [summary('m1'), summary('m2')];
    await core.emit('sync-changes', { conversations: ['m2'], agents: false, categories: false, reset: false });
    await settle();
    click(byTestId('nav-mine'));
    await settle();
    expect(core.called('list_window').filter((c) => c.args.view === 'mine').length).toBe(2);
    expect(allByTestId('conversation-row').map((r) => r.dataset.conversationId)).toEqual(['m1', 'm2']);
  });
});

describe('conversation view', () => {
  const HOSTILE = '<img src=x onerror=alert(1)><b>bold</b>';

  function open(id: string, over: Parameters<typeof summary>[1] = {}, messages = [message('customer', 'Hello')]) {
    const s = summary(id, over);
    core.lists.mine = [s];
    core.conversations.set(id, { summary: s, complete: true, messages });
  }

  async function openMine(id: string) {
    await start();
    click(byTestId('nav-mine'));
    await settle();
    click(allByTestId('conversation-row')[0].querySelector('button')!);
    await settle();
  }

  it('renders customer text as literal text', async () => {
    open('c1', { state: 'assigned', assignee_id: ME.id }, [message('customer', HOSTILE + '\nsecond line')]);
    await openMine('c1');
    const view = byTestId('conversation-view');
    expect(view.dataset.conversationId).toBe('c1');
    const msg = byTestId('message', view);
    expect(msg.dataset.kind).toBe('customer');
    expect(msg.textContent).toContain(HOSTILE);
    expect(msg.textContent).toContain('\nsecond line');
    expect(view.querySelector('img')).toBeNull();
    expect(view.querySelector('b')).toBeNull();
  });

  it('shows how a reply sent out over the channel is doing', async () => {
    open('c1', { state: 'assigned', assignee_id: ME.id, channel: 'sms' }, [
      message('customer', 'Hi'),
      message('agent', 'Delivered one', { delivery: { status: 'delivered', attempts: 1, error: null, next_attempt_at: null, sent_at: null } }),
      message('agent', 'Failed one', { delivery: { status: 'failed', attempts: 8, error: 'Unreachable', next_attempt_at: null, sent_at: null } }),
      message('note', 'Never sent'),
    ]);
    await openMine('c1');
    const shown = allByTestId('delivery');
    expect(shown.map((d) => d.dataset.status)).toEqual(['delivered', 'failed']);
    expect(shown[0].textContent).toContain('Delivered by SMS');
    expect(shown[1].textContent).toContain('Unreachable');
    const note = allByTestId('message').find((m) => m.dataset.kind === 'note')!;
    expect(note.querySelector('[data-testid="delivery"]')).toBeNull();
  });

  it('marks mail from an address other than the customer\'s, as text, and no other message', async () => {
    open('c1', { state: 'assigned', assignee_id: ME.id }, [
      message('customer', 'Please refund order 4711.', { author: 'Carla Customer' }),
      message('customer', 'Send the refund to my account instead.', {
        author: 'Mallory <mallory@elsewhere.example>',
        from_other_address: true,
        from_address: `mallory+${HOSTILE}@elsewhere.example`,
      }),
      message('customer', 'Forwarded without a From address.', { author: 'Unknown sender (no address)', from_other_address: true, from_address: null }),
      message('agent', 'Looking into it.'),
      message('note', 'Check who Mallory is.'),
    ]);
    await openMine('c1');
    const [own, other, anonymous, agent, note] = allByTestId('message');
    const mark = byTestId('other-sender', other);
    expect(mark.textContent).toContain(`From mallory+${HOSTILE}@elsewhere.example — not the customer's address`);
    expect(mark.querySelector('img, b')).toBeNull();
    expect(other.classList.contains('other-sender')).toBe(true);
    expect(other.querySelector('.author')!.textContent).toBe('Mallory <mallory@elsewhere.example>');
    expect(byTestId('other-sender', anonymous).textContent).toContain("From no address — not the customer's address");
    for (const m of [own, agent, note]) {
      expect(m.querySelector('[data-testid="other-sender"]')).toBeNull();
      expect(m.classList.contains('other-sender')).toBe(false);
    }
    expect(allByTestId('other-sender')).toHaveLength(2);
  });

  it('marks internal notes distinctly', async () => {
    open('c1', { state: 'assigned', assignee_id: ME.id }, [message('customer', 'Hi'), message('note', 'Check the invoice')]);
    await openMine('c1');
    const [customer, note] = allByTestId('message');
    expect(note.dataset.kind).toBe('note');
    expect(note.classList.contains('note')).toBe(true);
    expect(note.textContent).toContain('Internal note');
    expect(customer.textContent).not.toContain('Internal note');
  });

  it('says when the history is still loading', async () => {
    open('c1', { state: 'assigned', assignee_id: ME.id });
    core.conversations.get('c1')!.complete = false;
    await openMine('c1');
    expect(byTestId('history-loading').textContent).toBe('Loading history…');
  });

  it('composer toggles reply / note and sends with the internal flag', async () => {
    open('c1', { state: 'assigned', assignee_id: ME.id });
    await openMine('c1');
    expect(byTestId('composer-mode-reply').getAttribute('aria-pressed')).toBe('true');
    type(byTestId('composer-input'), 'Thanks, refunded.');
    click(byTestId('composer-send'));
    await settle();
    expect(core.called('send_message')[0].args).toEqual({ id: 'c1', body: 'Thanks, refunded.', internal: false, files: [] });
    expect(byTestId<HTMLTextAreaElement>('composer-input').value).toBe('');

    click(byTestId('composer-mode-note'));
    expect(byTestId('composer-mode-note').getAttribute('aria-pressed')).toBe('true');
    expect(byTestId('composer-mode-reply').getAttribute('aria-pressed')).toBe('false');
    type(byTestId('composer-input'), 'For the team');
    byTestId('composer-input').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }));
    await settle();
    expect(core.called('send_message')[1].args).toEqual({ id: 'c1', body: 'For the team', internal: true, files: [] });
  });

  it('replies only when assigned to me, notes always', async () => {
    open('c1', { state: 'assigned', assignee_id: OTHER.id });
    await openMine('c1');
    type(byTestId('composer-input'), 'hello');
    expect(byTestId<HTMLButtonElement>('composer-send').disabled).toBe(true);
    expect(byTestId('reply-blocked').textContent).toMatch(/only the assigned agent/i);
    click(byTestId('composer-mode-note'));
    expect(byTestId<HTMLButtonElement>('composer-send').disabled).toBe(false);
  });

  it('failed outbox items offer retry and discard', async () => {
    open('c1', { state: 'assigned', assignee_id: ME.id }, [
      message('agent', 'will fail', { id: null, client_id: 'cl-9', send_state: { state: 'failed', code: 'not_assignee', message: 'You no longer hold it.' } }),
    ]);
    await openMine('c1');
    expect(byTestId('send-state').textContent).toContain('You no longer hold it.');
    click(byTestId('retry-message'));
    await settle();
    expect(core.called('retry_message')[0].args).toEqual({ clientId: 'cl-9' });
    click(byTestId('discard-message'));
    await settle();
    expect(core.called('discard_message')[0].args).toEqual({ clientId: 'cl-9' });
  });

  it('transfers to an agent with a note', async () => {
    open('c1', { state: 'assigned', assignee_id: ME.id });
    core.handlers.transfer = (args) => ({ ...summary('c1'), ...(args as object) });
    await openMine('c1');
    click(byTestId('transfer'));
    await settle();
    click(byTestId(`transfer-agent-${OTHER.id}`));
    type(byTestId('transfer-note'), 'VIP, be nice');
    click(byTestId('transfer-submit'));
    await settle();
    expect(core.called('transfer')[0].args).toEqual({
      id: 'c1',
      to: { to_agent_id: OTHER.id, to_category_id: null, note: 'VIP, be nice' },
    });
    expect(document.querySelector('[data-testid="transfer-dialog"]')).toBeNull();
  });

  it('a navigate event opens the conversation in the list that holds it', async () => {
    open('c7', { state: 'assigned', assignee_id: ME.id });
    await start();
    await core.emit('navigate', { to: 'conversation', id: 'c7' });
    await settle();
    expect(byTestId('nav-mine').getAttribute('aria-current')).toBe('page');
    expect(byTestId('conversation-view').dataset.conversationId).toBe('c7');
  });

  it('takes a pending navigation once at start', async () => {
    open('c7', { state: 'assigned', assignee_id: ME.id });
    core.handlers.take_navigation = () => ({ to: 'conversation', id: 'c7' });
    await start();
    expect(core.called('take_navigation')).toHaveLength(1);
    expect(byTestId('conversation-view').dataset.conversationId).toBe('c7');
  });
});

describe('live data', () => {
  it('wait timers count in server time (local clock + skew) and tick', async () => {
    // The server clock is 60 s ahead of ours; the customer wrote 30 s ago by our clock.
    core.session = session(ME, 60_000);
    core.lists.queue = [summary('c1', { waiting_since: new Date(Date.now() - 30_000).toISOString() })];
    await start();
    const timer = () => byTestId('wait-timer', allByTestId('conversation-row')[0]).textContent;
    expect(timer()).toMatch(/^1:3[01]$/);
    await new Promise((r) => setTimeout(r, 1100));
    flushSync();
    expect(timer()).toMatch(/^1:3[12]$/);
  });

  it('reloads the open conversation only when it is among the changed ones', async () => {
    const s = summary('c1', { state: 'assigned', assignee_id: ME.id });
    core.lists.mine = [s];
    core.conversations.set('c1', { summary: s, complete: true, messages: [message('customer', 'first')] });
    await start();
    click(byTestId('nav-mine'));
    await settle();
    click(allByTestId('conversation-row')[0].querySelector('button')!);
    await settle();
    expect(allByTestId('message')).toHaveLength(1);

    core.conversations.set('c1', { summary: s, complete: true, messages: [message('customer', 'first'), message('customer', 'second')] });
    await core.emit('sync-changes', { conversations: ['other'], agents: false, categories: false, reset: false });
    await settle();
    expect(allByTestId('message')).toHaveLength(1);
    await core.emit('sync-changes', { conversations: ['c1'], agents: false, categories: false, reset: false });
    await settle();
    expect(allByTestId('message').map((m) => m.textContent)).toEqual([expect.stringContaining('first'), expect.stringContaining('second')]);
  });

  it('a status change made elsewhere shows when agents change', async () => {
    await start();
    core.session = session({ ...ME, status: 'busy' });
    await core.emit('sync-changes', { conversations: [], agents: true, categories: false, reset: false });
    await settle();
    expect(byTestId('status-busy').getAttribute('aria-pressed')).toBe('true');
  });

  it('an already-assigned claim says so and refreshes the queue', async () => {
    core.lists.queue = [summary('c1')];
    core.handlers.claim = () => refuse('already_assigned', 'Someone else took it.');
    await start();
    const before = core.called('list_window').length;
    click(byTestId('claim', allByTestId('conversation-row')[0]));
    await settle();
    expect(byTestId('error-banner').textContent).toContain('Someone else took it.');
    expect(core.called('list_window').length).toBeGreaterThan(before);
  });
});

describe('overdue as time passes', () => {
  it('a row turns overdue once its wait passes the category threshold, without a reload', async () => {
    // Tech's threshold is 60 s; this one has waited just over 60 s (not more than 60 whole seconds yet).
    core.lists.queue = [summary('c1', { category_id: 'tech', waiting_since: new Date(Date.now() - 60_050).toISOString() })];
    await start();
    const row = () => allByTestId('conversation-row')[0];
    expect(row().dataset.overdue).toBe('false');
    const lists = core.called('list_window').length;
    await new Promise((r) => setTimeout(r, 1300));
    flushSync();
    expect(row().dataset.overdue).toBe('true');
    expect(row().textContent).toContain('Overdue');
    expect(core.called('list_window').length).toBe(lists);
  });
});

describe('session lost', () => {
  it('a refused token offers to sign in again, which signs out to the login screen', async () => {
    core.lists.queue = [summary('c1')];
    core.handlers.claim = () => refuse('unauthorized', 'Sign in again.');
    await start();
    click(byTestId('claim', allByTestId('conversation-row')[0]));
    await settle();
    expect(byTestId('auth-lost').textContent).toContain('Sign in again');
    core.session = null;
    click(byTestId('sign-in-again'));
    await settle();
    expect(core.called('logout')).toHaveLength(1);
    expect(byTestId('login-submit')).toBeTruthy();
  });

  it('not_signed_in with no session left goes back to the login screen', async () => {
    core.lists.queue = [summary('c1')];
    core.handlers.claim = () => refuse('not_signed_in', 'Sign in first.');
    await start();
    core.session = null;
    click(byTestId('claim', allByTestId('conversation-row')[0]));
    await settle();
    expect(byTestId('login-submit')).toBeTruthy();
  });
});

describe('claim then reply', () => {
  it('the claimed summary enables replies at once, even before the cache catches up', async () => {
    const s = summary('c1');
    core.lists.queue = [s];
    // The cache still says queued when read again.
    core.conversations.set('c1', { summary: s, complete: true, messages: [message('customer', 'help')] });
    await start();
    click(allByTestId('conversation-row')[0]);
    await settle();
    expect(byTestId('conversation-view').dataset.conversationId).toBe('c1');
    click(byTestId('claim', byTestId('conversation-view')));
    await settle();
    expect(core.called('claim')[0].args).toEqual({ id: 'c1' });
    type(byTestId('composer-input'), 'On it');
    expect(byTestId<HTMLButtonElement>('composer-send').disabled).toBe(false);
    expect(document.querySelector('[data-testid="reply-blocked"]')).toBeNull();
  });

  it('the composer is free for the next message while one is being queued', async () => {
    const s = summary('c1', { state: 'assigned', assignee_id: ME.id });
    core.lists.queue = [s];
    core.conversations.set('c1', { summary: s, complete: true, messages: [] });
    let finish: (v: unknown) => void = () => {};
    core.handlers.send_message = () => new Promise((r) => (finish = r));
    await start();
    click(allByTestId('conversation-row')[0]);
    await settle();
    type(byTestId('composer-input'), 'first');
    click(byTestId('composer-send'));
    expect(byTestId<HTMLTextAreaElement>('composer-input').value).toBe('');
    click(byTestId('composer-mode-note'));
    type(byTestId('composer-input'), 'second');
    finish({ client_id: 'x', conversation_id: 'c1', body: 'first', internal: false, send_state: { state: 'pending' } });
    await settle();
    expect(byTestId<HTMLTextAreaElement>('composer-input').value).toBe('second');
  });

  it('a refused message is put back in the composer', async () => {
    const s = summary('c1', { state: 'assigned', assignee_id: ME.id });
    core.lists.queue = [s];
    core.conversations.set('c1', { summary: s, complete: true, messages: [] });
    core.handlers.send_message = () => refuse('invalid_input', 'Write something first.');
    await start();
    click(allByTestId('conversation-row')[0]);
    await settle();
    type(byTestId('composer-input'), 'keep me');
    click(byTestId('composer-send'));
    await settle();
    expect(byTestId<HTMLTextAreaElement>('composer-input').value).toBe('keep me');
    expect(byTestId('error-banner').textContent).toContain('Write something first.');
  });
});

describe('sign out', () => {
  it('returns to the login screen with the last server and email filled in', async () => {
    core.session = { ...session(), server_url: 'https://support.example.com' };
    await start();
    click(byTestId('sign-out'));
    await settle();
    expect(core.called('logout')).toHaveLength(1);
    expect(byTestId<HTMLInputElement>('login-server').value).toBe('https://support.example.com');
    expect(byTestId<HTMLInputElement>('login-email').value).toBe(ME.email);
    expect(byTestId<HTMLInputElement>('login-password').value).toBe('');
  });

  it('asks before deleting unsent replies and notes with the cache', async () => {
    const question = '1 reply has not been sent yet. Signing out deletes <i>it</i>.';
    core.handlers.logout = (args) => (args.discardUnsent ? null : refuse('unsent_messages', question));
    await start();
    click(byTestId('sign-out'));
    await settle();
    const asked = byTestId('sign-out-unsent');
    expect(asked.textContent).toContain(question);
    expect(asked.querySelector('i')).toBeNull();
    expect(byTestId('nav-queue')).toBeTruthy();

    click(byTestId('sign-out-stay'));
    expect(document.querySelector('[data-testid="sign-out-unsent"]')).toBeNull();
    expect(byTestId('nav-queue')).toBeTruthy();

    click(byTestId('sign-out'));
    await settle();
    click(byTestId('sign-out-discard'));
    await settle();
    expect(core.called('logout').map((c) => c.args.discardUnsent)).toEqual([false, false, true]);
    expect(byTestId('login-submit')).toBeTruthy();
  });
});
