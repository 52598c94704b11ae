// Login form rules, kept apart from the component so they are unit-tested.

/** What the login form collects. */
export interface LoginForm {
  server: string;
  email: string;
  password: string;
}

/** A validated login request: the server as a canonical base URL. */
export interface LoginRequest {
  serverUrl: string;
  email: string;
  password: string;
}

export type LoginCheck =
  | { ok: true; request: LoginRequest }
  | { ok: false; field: keyof LoginForm; message: string };

/**
 * Turns what an agent types as the server address into a base URL:
 * `127.0.0.1:8080` → `http://127.0.0.1:8080`, trailing slashes dropped.
 * Returns `null` when it is not an http(s) address.
 */
export function normalizeServerUrl(input: string): string | null {
  const trimmed = input.trim();
  if (trimmed === '') return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.hostname === '' || url.username !== '' || url.password !== '') return null;
  if (url.search !== '' || url.hash !== '') return null;
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

/** Checks the form; the first problem found names its field. */
export function checkLogin(form: LoginForm): LoginCheck {
  const serverUrl = normalizeServerUrl(form.server);
  if (serverUrl === null) {
    return { ok: false, field: 'server', message: 'Enter the server address, e.g. http://127.0.0.1:8080' };
  }
  const email = form.email.trim();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    return { ok: false, field: 'email', message: 'Enter your work email address' };
  }
  if (form.password === '') {
    return { ok: false, field: 'password', message: 'Enter your password' };
  }
  return { ok: true, request: { serverUrl, email, password: form.password } };
}
