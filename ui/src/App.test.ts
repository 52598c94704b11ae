import { afterEach, describe, expect, it } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import App from './App.svelte';

let app: ReturnType<typeof mount> | null = null;

afterEach(() => {
  if (app) unmount(app);
  app = null;
  document.body.innerHTML = '';
});

function byTestId<T extends HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element with data-testid=${id}`);
  return el;
}

function type(id: string, value: string) {
  const input = byTestId<HTMLInputElement>(id);
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('login screen', () => {
  it('exposes the stable test hooks', () => {
    app = mount(App, { target: document.body });
    for (const id of ['login-server', 'login-email', 'login-password', 'login-submit']) {
      expect(byTestId(id)).toBeTruthy();
    }
    expect(byTestId<HTMLInputElement>('login-password').type).toBe('password');
  });

  it('refuses an incomplete form and names the problem', () => {
    app = mount(App, { target: document.body });
    type('login-email', 'agent@example.com');
    byTestId('login-submit').click();
    flushSync();
    expect(byTestId('login-error').textContent).toContain('password');
    expect(byTestId('login-password').getAttribute('aria-invalid')).toBe('true');
  });

  it('accepts a complete form', () => {
    app = mount(App, { target: document.body });
    type('login-server', '127.0.0.1:8080');
    type('login-email', 'agent@example.com');
    type('login-password', 'secret');
    byTestId('login-submit').click();
    flushSync();
    expect(document.querySelector('[data-testid="login-error"]')).toBeNull();
    expect(byTestId('login-notice').textContent).toContain('http://127.0.0.1:8080');
  });
});
