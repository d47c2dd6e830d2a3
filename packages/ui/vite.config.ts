import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

/**
 * The dashboard is served by the sync API from the same origin, so it calls `/api/...` directly.
 * `npm run dev -w @planalign/sync-ui` proxies those calls to an API started separately.
 */
export default defineConfig({
  plugins: [vue()],
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    proxy: { '/api': process.env.PLANALIGN_SYNC_API_URL ?? 'http://127.0.0.1:8765' },
  },
});
