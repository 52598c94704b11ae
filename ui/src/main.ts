import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { markStart } from './lib/timing';

markStart('script');

// macOS and Windows get their own UI font by name (see app.css).
if (/Macintosh|Windows/.test(navigator.userAgent)) {
  document.documentElement.classList.add('native-ui-font');
}

const target = document.getElementById('app');
if (!target) {
  throw new Error('missing #app element');
}

async function boot(el: HTMLElement) {
  const params = new URLSearchParams(location.search);
  if (import.meta.env.DEV && params.has('demo')) {
    const { installDemo } = await import('./demo');
    installDemo(params);
  }
  return mount(App, { target: el });
}

export default boot(target);
