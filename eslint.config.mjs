// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Every file of the code base that TypeScript checks; type-aware rules read its types. */
const TS = ['functions/**/*.ts', 'infra/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts', 'layers/**/*.ts'];
/** Production code: the whole of the type-checked recommended set. */
const PRODUCTION = ['functions/**/*.ts', 'infra/**/*.ts'];
/** The promise rules catch real bugs (an unawaited write, an async callback whose rejection nobody sees). */
const PROMISE_RULES = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': 'error',
  '@typescript-eslint/await-thenable': 'error',
};

const typeChecked = tseslint.configs.recommendedTypeCheckedOnly.map((c) => ({ ...c, files: PRODUCTION }));

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', 'cdk.out/', 'dist/', 'coverage/', '**/*.mjs', 'layers/**/*.js'] },
  { files: TS, extends: [...tseslint.configs.recommended] },
  {
    files: TS,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      ...PROMISE_RULES,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  ...typeChecked,
  {
    files: ['scripts/**', 'test/**', 'infra/**', 'functions/local/**'],
    rules: { 'no-console': 'off' },
  },
  // The console (web/public): plain browser modules, no build step.
  {
    files: ['web/public/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: globals.browser },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // Jest configs and test shims: CommonJS under Node.
  {
    files: ['*.js', 'test/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.jest } },
  },
);
