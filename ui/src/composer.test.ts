// The composer's saved-reply picker on the real page, against the fake
// core: `/` opens it, it filters as you type, ↑/↓ and Enter insert the
// filled text in place of the `/query`, Esc closes it, the mouse works,
// titles and previews are text, and unfilled variables are pointed out.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import App from './App.svelte';
import { FakeCore, ME, allByTestId, byTestId, message, reset, settle, summary, type } from './test/fake';
import type { SavedReply } from './gen/SavedReply';

let app: ReturnType<typeof mount> | null = null;
let core: FakeCore;

function reply(id: string, title: string, body: string): SavedReply {
  const at = '2026-01-01T00:00:00Z';
  return { id, title, body, scope: 'team', owner_id: null, category_id: null, attachments: [], files: [], created_at: at, updated_at: at };
}

beforeEach(() => {
  core = new FakeCore().install();
  core.savedReplies = [
    reply('r1', 'Refund approved', 'Hi {{customer.name}},\nyour refund is approved. {{agent.name}}'),
    reply('r2', 'Refund denied', 'Sorry, no.'),
    reply('r3', 'Thanks <b>for</b> waiting', 'Thanks! <img src=x onerror=alert(1)>'),
  ];
  const s = summary('c1', { state: 'assigned', assignee_id: ME.id });
  core.lists.mine = [s];
  core.conversations.set('c1', { summary: s, complete: true, messages: [message('customer', 'Hello')] });
});

afterEach(() => {
  if (app) unmount(app);
  app = null;
  reset();
});

async function openConversation() {
  app = mount(App, { target: document.body });
  await settle();
  byTestId('nav-mine').click();
  flushSync();
  await settle();
  allByTestId('conversation-row')[0].querySelector('button')!.click();
  flushSync();
  await settle();
  return byTestId<HTMLTextAreaElement>('composer-input');
}

function press(el: HTMLElement, key: string) {
  el.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
  flushSync();
}

const titles = () => allByTestId('saved-reply-title').map((t) => t.textContent);

describe('saved-reply picker', () => {
  it('opens on /, filters, and Enter inserts the filled text in place of /query', async () => {
    const input = await openConversation();
    type(input, 'Hello /');
    await settle();
    expect(titles()).toEqual(['Refund approved', 'Refund denied', 'Thanks <b>for</b> waiting']);
    type(input, 'Hello /refund');
    await settle();
    expect(core.called('list_saved_replies').at(-1)!.args).toEqual({ conversationId: 'c1', query: 'refund' });
    expect(titles()).toEqual(['Refund approved', 'Refund denied']);
    press(input, 'ArrowDown');
    press(input, 'ArrowDown');
    expect(allByTestId('saved-reply-option')[0].getAttribute('aria-selected')).toBe('true');
    press(input, 'ArrowUp');
    expect(allByTestId('saved-reply-option')[1].getAttribute('aria-selected')).toBe('true');
    press(input, 'ArrowDown');
    press(input, 'Enter');
    await settle();
    expect(core.called('fill_saved_reply')[0].args).toEqual({ conversationId: 'c1', replyId: 'r1' });
    expect(input.value).toBe(`Hello Hi {{customer.name}},\nyour refund is approved. ${ME.name}`);
    expect(allByTestId('saved-reply-picker')).toHaveLength(0);
    expect(byTestId('composer-missing').textContent).toBe('Fill in {{customer.name}} before sending.');
    type(input, input.value.replace('{{customer.name}}', 'Grace'));
    expect(allByTestId('composer-missing')).toHaveLength(0);
  });

  it('shows titles and previews as text, never markup', async () => {
    const input = await openConversation();
    type(input, '/thanks');
    await settle();
    const option = byTestId('saved-reply-option');
    expect(byTestId('saved-reply-title', option).textContent).toBe('Thanks <b>for</b> waiting');
    expect(byTestId('saved-reply-preview', option).textContent).toBe('Thanks! <img src=x onerror=alert(1)>');
    expect(option.querySelector('b, img')).toBeNull();
  });

  it('Esc closes it without leaving the composer; a slash inside a word never opens it', async () => {
    const input = await openConversation();
    type(input, 'and/or');
    await settle();
    expect(allByTestId('saved-reply-picker')).toHaveLength(0);
    type(input, '/ref');
    await settle();
    expect(allByTestId('saved-reply-picker')).toHaveLength(1);
    press(input, 'Escape');
    expect(allByTestId('saved-reply-picker')).toHaveLength(0);
    expect(input.value).toBe('/ref');
    type(input, '/refu');
    await settle();
    expect(allByTestId('saved-reply-picker')).toHaveLength(0);
    // Enter with the picker closed is a new line, as ever.
    expect(core.called('fill_saved_reply')).toHaveLength(0);
  });

  it('a click on a reply inserts it', async () => {
    const input = await openConversation();
    type(input, '/denied');
    await settle();
    const option = byTestId('saved-reply-option');
    option.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, cancelable: true }));
    await settle();
    expect(input.value).toBe('Sorry, no.');
  });

  it("a reply's files are staged with its text and go with the reply by id", async () => {
    const withFile = reply('r4', 'Return label', 'Here is your label.');
    withFile.attachments = ['up-1'];
    withFile.files = [{ id: 'up-1', filename: 'label <1>.pdf', content_type: 'application/pdf', size: 2048 }];
    core.savedReplies.push(withFile);
    const input = await openConversation();
    type(input, '/label');
    await settle();
    press(input, 'Enter');
    await settle();
    expect(core.called('stage_saved_reply_files')[0].args).toEqual({ replyId: 'r4' });
    expect(input.value).toBe('Here is your label.');
    const staged = allByTestId('staged-file');
    expect(staged).toHaveLength(1);
    expect(staged[0].querySelector('.fname')!.textContent).toBe('label <1>.pdf');
    byTestId('composer-send').click();
    await settle();
    const sent = core.called('send_message')[0].args as { files: string[] };
    expect(sent.files).toHaveLength(1);
    expect(sent.files[0]).toMatch(/^held-/);
    // A reply without files stages none.
    type(input, '/denied');
    await settle();
    press(input, 'Enter');
    await settle();
    expect(core.called('stage_saved_reply_files')).toHaveLength(1);
  });
});
