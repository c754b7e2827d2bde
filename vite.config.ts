import { defineConfig } from 'vite';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';
import { constants } from 'node:zlib';
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
  // pillarsd serves these as they are (`preCompressed`), so they are made once, at the strongest
  // settings: brotli 11 and gzip 9 cost seconds here and nothing per request.
  plugins: [
    compression({
      algorithms: [defineAlgorithm('brotliCompress', { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }), defineAlgorithm('gzip', { level: 9 })],
      threshold: 1024,
    }),
  ],
});
