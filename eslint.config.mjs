// Flat ESLint config: @eslint/js recommended for everything, typescript-eslint
// recommended (not type-aware, to stay fast) for TypeScript sources.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const nodeGlobals = Object.fromEntries(
  [
    'AbortController',
    'AbortSignal',
    'Buffer',
    'URL',
    'URLSearchParams',
    'clearImmediate',
    'clearInterval',
    'clearTimeout',
    'console',
    'fetch',
    'global',
    'globalThis',
    'performance',
    'process',
    'queueMicrotask',
    'setImmediate',
    'setInterval',
    'setTimeout',
    'structuredClone',
  ].map((name) => [name, 'readonly']),
);
const commonJsGlobals = {
  __dirname: 'readonly',
  __filename: 'readonly',
  exports: 'writable',
  module: 'writable',
  require: 'readonly',
};

const unusedVars = [
  'error',
  { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
];

export default defineConfig(
  globalIgnores([
    '**/dist/',
    '**/node_modules/',
    '**/tmp/',
    '**/.data/',
    '**/coverage/',
    '**/.nx/',
    '**/test-artifacts/',
  ]),

  // JavaScript and TypeScript: the core recommended rules.
  {
    files: ['**/*.{js,cjs,mjs,ts}'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
    rules: { 'no-unused-vars': unusedVars, 'no-console': 'error' },
  },
  {
    files: ['**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs', globals: commonJsGlobals },
  },

  // TypeScript only: typescript-eslint recommended.
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': unusedVars,
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },

  // Tests may assert that values exist. (The rule is only in typescript-eslint's
  // strict set today; this keeps tests free of it if that set is ever enabled.)
  {
    files: ['**/*.spec.ts', '**/*.spec-helper.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },

  // Where request and response streams are handled, a listener that throws would end the
  // process from inside an emit(). Listeners go through guardedListeners(), which funnels
  // their exceptions into the request's error path.
  {
    files: ['libs/tasks/src/{http,notify,realtime,uploads}/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.spec-helper.ts', '**/guarded-listeners.ts', '**/redis-upload-locker.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.property.name=/^(on|once|addListener|prependListener|prependOnceListener)$/]',
          message:
            "Attach event and stream listeners through guardedListeners(): a throw inside a listener must reach the request's error path, not crash the process.",
        },
      ],
    },
  },

  // Processes, tools and the distributed suite (which reports what it measured)
  // may write to the console; library code should not.
  {
    files: ['tools/**', 'apps/**', 'test/distributed/**'],
    rules: { 'no-console': 'off' },
  },
);
