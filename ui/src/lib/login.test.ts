import { describe, expect, it } from 'vitest';
import { checkLogin, normalizeServerUrl } from './login';

describe('normalizeServerUrl', () => {
  it('adds http:// to a bare host and port', () => {
    expect(normalizeServerUrl('127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
  });

  it('keeps https and a path prefix, dropping trailing slashes and spaces', () => {
    expect(normalizeServerUrl('  https://support.example.com/switchboard/ ')).toBe(
      'https://support.example.com/switchboard',
    );
  });

  it('rejects empty input, other schemes, credentials and queries', () => {
    expect(normalizeServerUrl('')).toBeNull();
    expect(normalizeServerUrl('   ')).toBeNull();
    expect(normalizeServerUrl('ftp://example.com')).toBeNull();
    expect(normalizeServerUrl('http://user:pw@example.com')).toBeNull();
    expect(normalizeServerUrl('http://example.com/?a=1')).toBeNull();
  });
});

describe('checkLogin', () => {
  const good = { server: 'localhost:8080', email: ' admin@demo.switchboard ', password: 'switchboard-demo' };

  it('accepts a complete form and canonicalizes it', () => {
    expect(checkLogin(good)).toEqual({
      ok: true,
      request: {
        serverUrl: 'http://localhost:8080',
        email: 'admin@demo.switchboard',
        password: 'switchboard-demo',
      },
    });
  });

  it('names the first field that is wrong', () => {
    expect(checkLogin({ ...good, server: 'mailto://x' })).toMatchObject({ ok: false, field: 'server' });
    expect(checkLogin({ ...good, email: 'not-an-email' })).toMatchObject({ ok: false, field: 'email' });
    expect(checkLogin({ ...good, password: '' })).toMatchObject({ ok: false, field: 'password' });
  });
});
