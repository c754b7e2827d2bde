import { defineConfig, type Plugin } from 'vite';
import path from 'node:path';

/**
 * The entry (src/renderer/main.tsx) asks for the page's data first and only then imports the app
 * (boot.tsx: React and the pages) dynamically. modulepreload links for the app's chunks let the
 * browser download them alongside the entry instead of after it has run.
 */
function preloadApp(): Plugin {
  return {
    name: 'pillars-preload-app',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const chunks = new Map(Object.values(ctx.bundle ?? {}).flatMap((c) => (c.type === 'chunk' ? [[c.fileName, c] as const] : [])));
        const boot = [...chunks.values()].find((c) => c.facadeModuleId?.endsWith('/src/renderer/boot.tsx'));
        if (!boot) throw new Error('pillars-preload-app: no chunk for src/renderer/boot.tsx');
        const files = new Set<string>();
        const add = (f: string) => {
          const c = chunks.get(f);
          if (!c || c.isEntry || files.has(f)) return;
          files.add(f);
          c.imports.forEach(add);
        };
        add(boot.fileName);
        return { html, tags: [...files].map((f) => ({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: `./${f}` }, injectTo: 'head' as const })) };
      },
    },
  };
}

// The admin pane: one build, served by pillarsd at / and loaded by the tray's window.
export default defineConfig({
  root: path.resolve(import.meta.dirname, 'src/renderer'),
  base: './',
  plugins: [preloadApp()],
  build: {
    outDir: path.resolve(import.meta.dirname, 'dist/renderer'),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
});
