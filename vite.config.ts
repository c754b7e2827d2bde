import { defineConfig } from 'vite';
import path from 'node:path';

// The admin pane: one build, served by pillarsd at / and loaded by the tray's window.
export default defineConfig({
  root: path.resolve(import.meta.dirname, 'src/renderer'),
  base: './',
  build: {
    outDir: path.resolve(import.meta.dirname, 'dist/renderer'),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
});
