// Lint rules for the whole repository (npm run lint).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
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
    files: ['server/ui/static/**/*.js'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly', navigator: 'readonly', fetch: 'readonly' } },
  },
  {
    // Runs inside fetched pages; called by name from browser/reader.ts.
    files: ['browser/page-scripts/**/*.js'],
    languageOptions: { globals: { document: 'readonly', Readability: 'readonly' } },
    rules: { 'no-unused-vars': 'off', '@typescript-eslint/no-unused-vars': 'off' },
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
