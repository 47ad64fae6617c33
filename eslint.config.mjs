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

/**
 * Layers that only point down (functions/): each folder may import the ones below it, never one above.
 * core (pure domain) ← face, shared, observability ← http, store, history (adapters) ← the use cases and
 * their handlers ← composition (what builds everything) ← local (the local server). A handler file is the
 * process's entry point, so it alone of a use-case folder may import composition.
 */
const USE_CASES = ['detect', 'search', 'ingest', 'images', 'jobs', 'reconcile', 'erase'];
const ENTRY_POINTS = ['functions/**/handler.ts', 'functions/**/*Handler.ts'];
const ABOVE = {
  face: ['http', 'store', 'history', 'observability', ...USE_CASES, 'composition', 'local'],
  observability: ['store', 'history', 'face', ...USE_CASES, 'composition', 'local'],
  shared: ['http', 'history', 'face', ...USE_CASES, 'composition', 'local'],
  http: ['store', 'history', 'face', ...USE_CASES, 'composition', 'local'],
  store: ['http', 'face', ...USE_CASES, 'composition', 'local'],
  history: ['http', 'face', ...USE_CASES, 'composition', 'local'],
  composition: ['local'],
  ...Object.fromEntries(USE_CASES.map((u) => [u, ['local']])),
};
const upward = (dirs, extra = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          regex: `^\\.\\./(${dirs.join('|')})(/|$)`,
          message: 'Layers only point down (eslint.config.mjs, "Layers"): this folder is above the importer.',
        },
        ...extra,
      ],
    },
  ],
});
const LAYERS = [
  // core imports nothing outside itself: no adapter, no SDK, no framework.
  {
    files: ['functions/core/**/*.ts'],
    rules: upward(
      ['[a-z]+'],
      [{ regex: '^@(aws-sdk|middy|smithy)/', message: 'core is pure: no AWS, no middy.' }],
    ),
  },
  // The face engine throws its own FaceEngineError; the use cases translate it into the contract's.
  {
    files: ['functions/face/**/*.ts'],
    rules: upward(ABOVE.face, [
      {
        regex: '^\\.\\./core/errors$',
        message: 'The engine throws FaceEngineError (core/face.ts), not contract errors.',
      },
    ]),
  },
  // shared/config reads the storage layout (store/keys.ts) and nothing else of the store.
  {
    files: ['functions/shared/**/*.ts'],
    rules: upward(ABOVE.shared, [
      { regex: '^\\.\\./store/(?!keys$)', message: 'shared may read the store layout (store/keys.ts) only.' },
    ]),
  },
  ...['observability', 'http', 'store', 'history', 'composition'].map((dir) => ({
    files: [`functions/${dir}/**/*.ts`],
    rules: upward(ABOVE[dir]),
  })),
  {
    files: USE_CASES.map((u) => `functions/${u}/**/*.ts`),
    ignores: ENTRY_POINTS,
    rules: upward(['local', 'composition']),
  },
  { files: ENTRY_POINTS, ignores: ['functions/local/**'], rules: upward(['local']) },
];

const typeChecked = tseslint.configs.recommendedTypeCheckedOnly.map((c) => ({ ...c, files: PRODUCTION }));

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', 'cdk.out/', 'dist/', 'coverage/', '**/*.mjs', 'layers/**/*.js'] },
  { files: TS, extends: [...tseslint.configs.recommended] },
  {
    files: TS,
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      ...PROMISE_RULES,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  ...typeChecked,
  ...LAYERS,
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
