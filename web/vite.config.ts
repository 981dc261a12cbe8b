import { defineConfig } from 'vite';

// The cxmap server to proxy /api to during `vite` / `vite preview` (e.g. a running `cxmap demo`).
const target = process.env.CXMAP_URL || 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/app/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: process.env.CXMAP_WEB_OUT || 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // File names carry a content hash (deterministic: the same source gives the same names and
    // bytes), so the server can cache assets forever and a new build is picked up at once.
  },
  server: { proxy: { '/api': { target, ws: true, changeOrigin: false } } },
  preview: { proxy: { '/api': { target, ws: true, changeOrigin: false } } },
});
