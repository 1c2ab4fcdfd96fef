/** Which failed deliveries are retried, when, and when they are given up. */
import { planRedelivery, type ListedExecution } from '../../nodes/shared/redelivery/redeliver';

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const run = (id: string, over: Partial<ListedExecution> = {}): ListedExecution => ({ id, mode: 'webhook', status: 'error', workflowId: 'w', retryOf: null, retrySuccessId: null, startedAt: ago(600), stoppedAt: ago(590), ...over });
const plan = (listed: ListedExecution[]) => planRedelivery(listed, { maxAttempts: 3, firstWaitMs: 60_000, now: NOW }).map((s) => [s.executionId, s.action, s.attempts]);

describe('planRedelivery', () => {
	it('retries failed and crashed deliveries, oldest first; not manual runs, not retries themselves, not ones a retry completed', () => {
		expect(
			plan([
				run('2', { startedAt: ago(300), stoppedAt: ago(290) }),
				run('1', { status: 'crashed' }),
				run('3', { mode: 'manual' }),
				run('4', { retrySuccessId: '9' }),
				run('5', { retryOf: '1', mode: 'retry', stoppedAt: ago(500) }),
				run('6', { status: 'success' }),
			]),
		).toEqual([
			['1', 'retry', 1],
			['2', 'retry', 0],
		]);
	});

	it('waits twice as long before each further attempt, leaves a run alone while its retry runs, and gives up after the last', () => {
		const failedRetry = (id: string, of: string, stoppedS: number): ListedExecution => run(id, { retryOf: of, mode: 'retry', startedAt: ago(stoppedS + 5), stoppedAt: ago(stoppedS) });
		expect(plan([run('1'), failedRetry('11', '1', 100)])).toEqual([['1', 'wait', 1]]); // second attempt waits 120 s
		expect(plan([run('1'), failedRetry('11', '1', 130)])).toEqual([['1', 'retry', 1]]);
		expect(plan([run('1', { stoppedAt: ago(30) })])).toEqual([['1', 'wait', 0]]);
		expect(plan([run('1'), run('11', { retryOf: '1', mode: 'retry', status: 'running', stoppedAt: null })])).toEqual([['1', 'in-progress', 1]]);
		expect(plan([run('1'), failedRetry('11', '1', 900), failedRetry('12', '1', 800), failedRetry('13', '1', 700)])).toEqual([['1', 'give-up', 3]]);
	});
});
