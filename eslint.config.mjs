// Flat ESLint config: @eslint/js recommended for everything, typescript-eslint
// recommended (not type-aware, to stay fast) for TypeScript sources.
import { builtinModules } from 'node:module';
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

// The library's layers, bottom to top (docs/design.md, "Structure"): a folder may import
// from the folders below it, never from one above or (for features) beside it. Tests and
// the `testing/` folders stand outside the layers.
const KERNEL = ['model', 'ports', 'definition', 'engine'];
const FEATURES = ['http', 'realtime', 'uploads', 'webhooks', 'health', 'dashboard', 'metrics', 'queues', 'schedules'];
const LAYERS = [
  ['model', []],
  ['ports', ['model']],
  ['definition', ['model', 'ports']],
  ['engine', KERNEL.slice(0, 3)],
  ['adapters', KERNEL],
  ['core', [...KERNEL, 'adapters']],
  ['web', [...KERNEL, 'adapters', 'core']],
  ...FEATURES.map((feature) => [feature, [...KERNEL, 'adapters', 'core', 'web']]),
  ['testing', [...KERNEL, 'adapters', 'core']],
];
const FOLDERS = [...LAYERS.map(([name]) => name)];
// What only adapters and the Nest wiring may load: the kernel runs on ports alone.
const FRAMEWORK_PACKAGES = [
  '@nestjs/*',
  'typeorm',
  'bullmq',
  'ioredis',
  'pg',
  'better-sqlite3',
  '@aws-sdk/*',
  'express',
  'socket.io',
  '@tus/*',
];

function layerBoundaries([layer, below]) {
  const above = FOLDERS.filter((name) => name !== layer && !below.includes(name));
  const patterns = [
    {
      // ../core, ../../web/x, and the package root (.., ../index, ../task.module).
      regex: `^(\\.\\./)+(${above.join('|')})(/|$)|^\\.\\.(/\\.\\.)*/?$|^(\\.\\./)+(index|task\\.module|redis|s3|health|openapi|typeorm)$`,
      message: `${layer}/ sits below this folder: import only from ${below.join(', ') || 'nothing'} (docs/design.md, Structure).`,
    },
  ];
  if (KERNEL.includes(layer)) {
    patterns.push({
      group: FRAMEWORK_PACKAGES,
      message: 'The kernel imports no framework: add a port, implement it in adapters/.',
    });
  }
  return {
    files: [`libs/tasks/src/${layer}/**/*.ts`],
    ignores: ['**/*.spec.ts', `libs/tasks/src/${layer}/**/testing/**`],
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  };
}

// What the browser-safe libraries (the contract, the client) may not use: Node's modules and
// globals would break a browser bundle; the server's packages would break a lone install.
const NODE_ONLY_GLOBALS = [
  'Buffer',
  'process',
  'global',
  'setImmediate',
  'clearImmediate',
  '__dirname',
  '__filename',
].map((name) => ({ name, message: 'Browsers have no such global: keep this library runnable outside Node.' }));
const NODE_MODULES = {
  regex: `^(node:.*|(${builtinModules.join('|')})(/.*)?)$`,
  message: 'Browsers have no Node modules: keep this library runnable outside Node.',
};

// The dashboard's browser files: what a page has, nothing of Node.
const DASHBOARD_ASSETS = 'libs/tasks/src/dashboard/assets/**/*.js';
const browserGlobals = Object.fromEntries(
  [
    'AbortController',
    'CSS',
    'DataTransfer',
    'Event',
    'FormData',
    'MutationObserver',
    'URL',
    'URLSearchParams',
    'XMLHttpRequest',
    'clearInterval',
    'clearTimeout',
    'console',
    'document',
    'fetch',
    'location',
    'navigator',
    'queueMicrotask',
    'requestAnimationFrame',
    'sessionStorage',
    'setInterval',
    'setTimeout',
    'window',
  ].map((name) => [name, 'readonly']),
);

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
    ignores: [DASHBOARD_ASSETS],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
    rules: { 'no-unused-vars': unusedVars, 'no-console': 'error' },
  },
  {
    files: ['**/*.{js,cjs}'],
    ignores: [DASHBOARD_ASSETS],
    languageOptions: { sourceType: 'commonjs', globals: commonJsGlobals },
  },

  // The dashboard's browser modules, served as they are: evergreen browsers, browser globals only.
  {
    files: [DASHBOARD_ASSETS],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: browserGlobals },
    rules: { 'no-unused-vars': unusedVars, 'no-console': 'error' },
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
    files: ['**/*.spec.ts', '**/testing/**/*.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },

  // Where request and response streams are handled, a listener that throws would end the
  // process from inside an emit(). Listeners go through guardedListeners(), which funnels
  // their exceptions into the request's error path.
  {
    files: ['libs/tasks/src/{http,web,webhooks,realtime,uploads,schedules}/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/testing/**', '**/guarded-listeners.ts', '**/redis-upload-locker.ts'],
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

  ...LAYERS.map(layerBoundaries),

  // The contract is built into both packages: plain TypeScript, nothing to import but itself.
  {
    files: ['libs/contract/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^[^.]', message: 'The contract imports nothing: no package, no Node module.' }] },
      ],
      'no-restricted-globals': ['error', ...NODE_ONLY_GLOBALS],
    },
  },
  // The client installs alone and runs in browsers: the contract and socket.io-client, no server code.
  {
    files: ['libs/client/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NODE_MODULES,
            {
              regex: '^@stepwise/(?!contract$)',
              message: '@stepwise/client installs alone: take shared shapes from @stepwise/contract.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', ...NODE_ONLY_GLOBALS],
    },
  },

  // Processes, tools and the distributed suite (which reports what it measured)
  // may write to the console; library code should not.
  {
    files: ['tools/**', 'apps/**', 'test/distributed/**'],
    rules: { 'no-console': 'off' },
  },
);
