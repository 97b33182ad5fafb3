// Jest config for `npm run test:distributed`: specs under test/distributed/
// that start real Redis/PostgreSQL servers. Run with --runInBand.
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test'],
  testMatch: ['<rootDir>/test/distributed/**/*.spec.ts'],
  testPathIgnorePatterns: base.testPathIgnorePatterns.filter((p) => !p.includes('test/distributed')),
  testTimeout: 60_000,
};
