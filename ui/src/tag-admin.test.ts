import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mount, unmount } from 'svelte';
import App from './App.svelte';
import { FakeCore, ME, allByTestId, byTestId, reset, session, settle, type } from './test/fake';
import { tagPatch } from './lib/admin';
import type { Tag } from './gen/Tag';

let app: ReturnType<typeof mount> | null = null;
let core: FakeCore;
const VIP: Tag = { id: 'vip', name: 'VIP', colour: '#f5c16c', keywords: [] };

beforeEach(() => {
  core = new FakeCore().install();
  core.session = session({ ...ME, role: 'admin' });
  core.tags = [VIP];
});

afterEach(() => {
  if (app) unmount(app);
  app = null;
  reset();
});

describe('tag admin', () => {
  it('sends only what changed', () => {
    expect(tagPatch(VIP, { name: ' VIP ', colour: '#F5C16C', keywords: '' })).toEqual({});
    expect(tagPatch(VIP, { name: 'Key account', colour: '#8ecae6', keywords: 'refund\n\n/urgent/' })).toEqual({
      name: 'Key account',
      colour: '#8ecae6',
      keywords: ['refund', '/urgent/'],
    });
  });

  it('adds, saves and (asking twice) deletes tags through the core', async () => {
    app = mount(App, { target: document.body });
    await settle();
    byTestId('nav-admin').click();
    await settle();
    expect(allByTestId('tag-admin-row').map((r) => r.dataset.tagId)).toEqual(['vip']);
    type(byTestId('new-tag-name'), 'Bug');
    type(byTestId<HTMLTextAreaElement>('new-tag-keywords'), 'crash\nerror');
    byTestId('new-tag-submit').click();
    await settle();
    expect(core.called('create_tag').at(-1)!.args.tag).toEqual({ name: 'Bug', colour: '#8ecae6', keywords: ['crash', 'error'] });
    const row = allByTestId('tag-admin-row')[0];
    type(row.querySelector('input')!, 'Key account');
    byTestId('tag-admin-save', row).click();
    await settle();
    expect(core.called('update_tag').at(-1)!.args).toEqual({ id: 'vip', patch: { name: 'Key account' } });
    byTestId('tag-admin-delete', row).click();
    await settle();
    expect(core.called('delete_tag')).toHaveLength(0);
    byTestId('tag-admin-delete', row).click();
    await settle();
    expect(core.called('delete_tag').at(-1)!.args).toEqual({ id: 'vip' });
  });
});
