import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import App from './App.svelte';
import { FakeCore, ME, allByTestId, byTestId, message, reset, settle, summary, type } from './test/fake';

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

function click(el: HTMLElement) {
  el.click();
  flushSync();
}

async function openMine(messages = [message('customer', 'Hello')]) {
  const s = summary('c1', { state: 'assigned', assignee_id: ME.id });
  core.lists.mine = [s];
  core.conversations.set('c1', { summary: s, complete: true, messages });
  app = mount(App, { target: document.body });
  await settle();
  click(byTestId('nav-mine'));
  await settle();
  click(allByTestId('conversation-row')[0].querySelector('button')!);
  await settle();
}

describe('attachments', () => {
  it('Attach stages what the dialog picked; sending passes them, a removed one stays behind', async () => {
    core.picked = [
      { id: 's1', filename: 'invoice.pdf', size: 2048 },
      { id: 's2', filename: 'shot.png', size: 10 },
    ];
    await openMine();
    click(byTestId('composer-attach'));
    await settle();
    const chips = allByTestId('staged-file');
    expect(chips.map((c) => c.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['invoice.pdf 2.0 KB ✕', 'shot.png 10 B ✕']);
    click(chips[1].querySelector('[data-testid="unstage-file"]')!);
    await settle();
    expect(core.called('unstage_file')[0].args).toEqual({ id: 's2' });
    // Files alone may be sent.
    click(byTestId('composer-send'));
    await settle();
    expect(core.called('send_message')[0].args).toEqual({ id: 'c1', body: '', internal: false, files: ['s1'] });
    expect(document.querySelector('[data-testid="staged-files"]')).toBeNull();
  });

  it('a refused send puts the text and the files back', async () => {
    core.picked = [{ id: 's1', filename: 'big.zip', size: 1 }];
    core.handlers.send_message = () => {
      throw { code: 'invalid_input', message: 'no', conversation_id: null };
    };
    await openMine();
    click(byTestId('composer-attach'));
    await settle();
    type(byTestId('composer-input'), 'see attached');
    click(byTestId('composer-send'));
    await settle();
    expect(byTestId<HTMLTextAreaElement>('composer-input').value).toBe('see attached');
    expect(allByTestId('staged-file')).toHaveLength(1);
  });

  it('a message lists its files as text; only images are previewed, from blob: URLs', async () => {
    const hostileName = '<img src=x onerror=alert(1)>.pdf';
    core.handlers.attachment_preview = () => new Uint8Array([137, 80, 78, 71]).buffer;
    await openMine([
      message('customer', 'Files', {
        attachments: [
          { id: 'f1', filename: hostileName, content_type: 'application/pdf', size: 3000 },
          { id: 'f2', filename: 'photo.png', content_type: 'image/png', size: 4 },
          { id: 'f3', filename: 'page.svg', content_type: 'image/svg+xml', size: 9 },
        ],
      }),
      message('agent', 'Sending', { id: null, client_id: 'x', send_state: { state: 'pending' }, pending_files: [{ filename: 'report.pdf', size: 5 }] }),
    ]);
    await settle();
    const rows = allByTestId('attachment');
    expect(rows.map((r) => r.querySelector('[data-testid="attachment-name"]')!.textContent)).toEqual([hostileName, 'photo.png', 'page.svg']);
    expect(document.querySelector('img[src="x"]')).toBeNull();
    expect(core.called('attachment_preview').map((c) => c.args.id)).toEqual(['f2']);
    const img = rows[1].querySelector<HTMLImageElement>('[data-testid="attachment-preview"]');
    expect(img?.getAttribute('src')?.startsWith('blob:')).toBe(true);
    expect(byTestId('pending-files').textContent).toContain('report.pdf');
    core.handlers.save_attachment = () => true;
    click(rows[0].querySelector('[data-testid="attachment-save"]')!);
    await settle();
    expect(core.called('save_attachment')[0].args).toEqual({ id: 'f1', filename: hostileName });
  });
});
