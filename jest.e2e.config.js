/** End-to-end tests against a real n8n (installed by dev/n8n/install.sh on first use). */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.e2e.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }] },
	testTimeout: 15 * 60 * 1000,
	maxWorkers: 1,
	reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
