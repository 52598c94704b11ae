import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The desktop app embeds `ui/dist` (tauri.conf.json `build.frontendDist`), so
// the build must be self-contained: no CDN URLs, relative asset paths, and
// no inline scripts or styles (the app's CSP is `script-src 'self'`,
// `style-src 'self'`).
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  base: './',
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Keep every asset a file, never a data: URL or inline blob.
    assetsInlineLimit: 0,
  },
  // Component tests mount Svelte in jsdom, so resolve Svelte's browser build.
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
  },
}));
