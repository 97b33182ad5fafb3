// Jest config for `npm test`: unit and e2e specs under libs/, apps/ and test/,
// compiled by SWC with decorator metadata (same transform as .swcrc).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/', '<rootDir>/test/distributed/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/tmp/', '<rootDir>/.data/'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: {
    '^@stepwise/tasks$': '<rootDir>/libs/tasks/src/index.ts',
    '^@stepwise/tasks/testing$': '<rootDir>/libs/tasks/src/testing/index.ts',
    '^@stepwise/tasks/(s3|redis|health|openapi|typeorm)$': '<rootDir>/libs/tasks/src/$1.ts',
    '^@stepwise/examples$': '<rootDir>/libs/examples/src/index.ts',
    '^@stepwise/client$': '<rootDir>/libs/client/src/index.ts',
    '^@stepwise/contract$': '<rootDir>/libs/contract/src/index.ts',
  },
  // tus (and srvx, under it) and jose ship ESM only: compile them to CommonJS like our sources.
  transformIgnorePatterns: ['/node_modules/(?!(@tus|srvx|jose)/)'],
  transform: {
    '^.+\\.(t|m?j)s$': [
      '@swc/jest',
      {
        swcrc: false,
        sourceMaps: 'inline',
        module: { type: 'commonjs' },
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          keepClassNames: true,
        },
      },
    ],
  },
  testTimeout: 20_000,
};
