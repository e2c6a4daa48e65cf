// Lint rules for the whole repository (npm run lint).
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
      parserOptions: { projectService: true, tsconfigRootDir: fileURLToPath(new URL('..', import.meta.url)) },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Type-aware rules (each file's types come from its tsconfig): a promise is awaited or its errors
      // handled, never handed to a callback that ignores it; a switch over a union covers every member.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      // As only-throw-error does by default: passing on an unknown reason (a signal's, a caught error) is fine.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Only server/cli reads process.env; pass configuration down.',
        },
      ],
    },
  },
  {
    // The browser-side scripts and their globals: typed by tsconfig.browser.json (DOM, no Node),
    // which also reports undefined names, so no-undef and its globals lists are not needed.
    files: ['server/ui/static/**/*.js', 'browser/page-scripts/**/*.js', 'server/ui/static-globals.d.ts', 'browser/page-scripts-globals.d.ts'],
    languageOptions: { parserOptions: { projectService: false, project: './tsconfig.browser.json' } },
    rules: { 'no-undef': 'off' },
  },
  {
    // Runs inside fetched pages; called by name from browser/page-content.ts.
    files: ['browser/page-scripts/**/*.js'],
    rules: { 'no-unused-vars': 'off', '@typescript-eslint/no-unused-vars': 'off' },
  },
  {
    // This file: in no TypeScript project.
    files: ['test/eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['server/cli/**', 'test/**', 'bundle/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // A test asserts something, and on every path: no test passes by checking nothing.
    files: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    plugins: { vitest },
    rules: {
      'vitest/expect-expect': 'error',
      'vitest/no-conditional-expect': 'error',
    },
  },
);
