/** When a catch-up window waits, is emitted, and what counts as a pause of n8n. */
import { catchUpsIn, keptRunData, pauseSince, planCatchUp, type CatchUpInput } from '../../nodes/shared/redelivery/catchup';

const T = Date.UTC(2026, 5, 1, 12, 0, 0);
const MIN = 60_000;
const input = (over: Partial<CatchUpInput> = {}): CatchUpInput => ({ now: T, lost: [], gaps: [], unfinished: 0, marginMs: 2 * MIN, maxWaitMs: 10 * MIN, ...over });
const lostAt = (id: string, ms: number) => ({ id, receivedAt: ms });

describe('planCatchUp', () => {
	it('nothing lost, no pause: nothing to do', () => {
		expect(planCatchUp(input())).toEqual({});
	});

	it('a window around the lost runs waits until it closes, then is emitted whole', () => {
		const lost = [lostAt('7', T - 30_000), lostAt('9', T - 10_000)];
		expect(planCatchUp(input({ lost }))).toEqual({ waiting: `the window closes at ${new Date(T - 10_000 + 2 * MIN).toISOString()}` });
		expect(planCatchUp(input({ now: T + 2 * MIN, lost })).emit).toEqual({ since: T - 30_000 - 2 * MIN, until: T - 10_000 + 2 * MIN, runs: ['7', '9'], gaps: [] });
	});

	it('waits while runs are still going, but not forever', () => {
		const lost = [lostAt('1', T - 5 * MIN)];
		expect(planCatchUp(input({ lost, unfinished: 3 })).waiting).toMatch(/3 runs are still going/);
		expect(planCatchUp(input({ now: T + 8 * MIN, lost, unfinished: 3 })).emit).toBeDefined();
	});

	it('a pause of n8n is caught up from its start (less the margin) to now, with the lost runs in one window', () => {
		const gap = { from: T - 45 * MIN, to: T };
		expect(planCatchUp(input({ gaps: [gap] })).emit).toEqual({ since: T - 47 * MIN, until: T, runs: [], gaps: [gap] });
		expect(planCatchUp(input({ gaps: [gap], lost: [lostAt('3', T - 50 * MIN)] })).emit).toMatchObject({ since: T - 52 * MIN, runs: ['3'] });
	});
});

describe('pauseSince', () => {
	const now = Math.floor(T / MIN);
	it('the last minute the node ran, when longer ago than the gap; none on a first run, a short pause, or with the check off', () => {
		expect(pauseSince([now - 50, now - 45], now, 5)).toEqual({ from: (now - 45) * MIN, to: now * MIN });
		expect(pauseSince([now - 50, now - 3], now, 5)).toBeUndefined();
		expect(pauseSince([], now, 5)).toBeUndefined();
		expect(pauseSince([now - 45], now, 0)).toBeUndefined();
		// This minute's own mark is not a run before this one.
		expect(pauseSince([now - 45, now], now, 5)).toEqual({ from: (now - 45) * MIN, to: now * MIN });
	});
});

describe('catchUpsIn', () => {
	it("finds the windows a run's Redeliver node emitted, in n8n's run data", () => {
		const run = { data: { resultData: { runData: { Redeliver: [{ data: { main: [[{ json: { action: 'retry' } }, { json: { action: 'catch-up', runs: ['4', 5] } }]] } }], 'Every 2 Minutes': [{ data: { main: [[{ json: {} }]] } }] } } } };
		expect(catchUpsIn(run)).toEqual([['4', '5']]);
		expect(catchUpsIn({ data: { resultData: { runData: {} } } })).toEqual([]);
		expect(catchUpsIn({})).toEqual([]);
	});
});

describe('keptRunData', () => {
	it('tells a run a retry can start from (trigger output or a node stack) from one n8n failed for a dead worker', () => {
		expect(keptRunData({ data: { resultData: { runData: { 'Plex Trigger': [{}] } } } })).toBe(true);
		expect(keptRunData({ data: { resultData: { runData: {} }, executionData: { nodeExecutionStack: [{ node: {} }] } } })).toBe(true);
		expect(keptRunData({ dataTooLargeToDisplay: true })).toBe(true);
		// WorkflowRunner.processError's record of a stalled job: the error, no run data, an empty stack.
		expect(keptRunData({ data: { resultData: { error: { message: 'job stalled more than maxStalledCount' }, runData: {} }, executionData: { nodeExecutionStack: [] } } })).toBe(false);
		expect(keptRunData({})).toBe(false);
	});
});
