// Build of the shebao portal: one small ES module bundle (Preact), hashed
// file names under assets/ (served with a year of caching by `shebao serve`),
// no inline scripts (the server's Content-Security-Policy forbids them).
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2020',
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
