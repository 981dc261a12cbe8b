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
    // Stable file names: the output must be byte-identical across builds and is committed.
    rollupOptions: {
      output: {
        entryFileNames: 'assets/app.js',
        chunkFileNames: 'assets/[name].js',
        assetFileNames: 'assets/[name][extname]',
      },
    },
  },
  server: { proxy: { '/api': { target, ws: true, changeOrigin: false } } },
  preview: { proxy: { '/api': { target, ws: true, changeOrigin: false } } },
});
