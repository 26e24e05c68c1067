// The dashboard's front end: built into dist/web, which the proxy serves at /dashboard
// (src/dashboard/static.ts). Content-hashed file names let the proxy cache assets for a year.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/dashboard/',
  logLevel: 'warn',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Observable Plot with d3 is one ~300 kB chunk, served once and then cached.
    chunkSizeWarningLimit: 600,
  },
});
