/** Unit and component tests (jest + ts-jest, Node 20). */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	// The referee clients are ES modules: those tests run under node --test (npm run referees).
	testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/referees/'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }] },
	testTimeout: 30000,
	reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
