// Prints one plain closing line, "tests: N passed, N failed", that CI can read in any language.
class SummaryReporter {
	onRunComplete(_contexts, results) {
		const skipped = results.numPendingTests + results.numTodoTests;
		const line = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : '');
		console.log(line);
	}
}
module.exports = SummaryReporter;
