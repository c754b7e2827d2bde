import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import layers from './eslint/layers.js';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'dist/**', 'server/dist/**', 'release/**', 'test/fixtures/lint/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { pillars: layers },
    rules: {
      'pillars/layers': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The server's pure domain must take time from the injected Clock, so decisions are testable.
    files: ['server/src/domain/**', 'server/src/tools/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'take the time from the injected Clock' }],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'pure code schedules nothing' }, { name: 'setInterval', message: 'pure code schedules nothing' }],
    },
  },
);
