/**
 * Catch-up: the events no retry can bring back. A queue-mode job whose worker died is failed by
 * the main process with its run data replaced by the error alone (n8n 2.41.1
 * WorkflowRunner.processError writes `runData: {}` and no node stack), so n8n has nothing to
 * retry: the webhook's body is gone. Events sent while n8n was down never became runs at all. What
 * the servers still have is the play itself, dated by their own clock, so the catch-up reads what
 * each server played in the window ("Get Watch State" with Changed Since / Before, for the whole
 * household) and the template's Apply Watch State nodes write it where it is missing, as the lost
 * event would have. Apply reads each target first, so what did arrive is not written again.
 *
 * Pure: the node gives the runs it found without data and not caught up yet, the pauses of n8n,
 * the runs still going and the time; this says what to catch up now. What was caught up is kept
 * by the node in n8n's deduplication store (node/redelivery.ts), not in the workflow's static data:
 * n8n 2.41.1 runs a queue-mode execution with empty static data (the execution's workflow snapshot
 * has none, executions/execution-data/types.js toWorkflowSnapshot, and the worker reloads it only
 * for a resumed run, scaling/job-processor.js) and saves what the run leaves there whole.
 */

export interface CatchUpWindow {
	/** ms; plays at or after this. */
	since: number;
	/** ms; plays at or before this. */
	until: number;
	/** The lost runs (ids) and the pauses of n8n it covers. */
	runs: string[];
	gaps: Gap[];
}

export interface Gap {
	from: number;
	to: number;
}

export interface CatchUpInput {
	now: number;
	/** Failed runs of the window that kept no data to retry and are not caught up yet, and when n8n took their event in (ms). */
	lost: Array<{ id: string; receivedAt: number }>;
	/** Pauses of n8n not caught up yet. */
	gaps: Gap[];
	/** Delivering runs not finished yet (a backlog a catch-up would race with). */
	unfinished: number;
	/** Servers' clocks against n8n's, and a play's time against its event's: widens the window both ways. */
	marginMs: number;
	/** The longest a closed window waits for the backlog to drain. */
	maxWaitMs: number;
}

export interface CatchUpPlan {
	/** A window to catch up now (the node emits it). */
	emit?: CatchUpWindow;
	/** Why an open window waits. */
	waiting?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function planCatchUp(input: CatchUpInput): CatchUpPlan {
	const { lost, gaps } = input;
	if (lost.length === 0 && gaps.length === 0) return {};
	const since = Math.min(...lost.map((r) => r.receivedAt - input.marginMs), ...gaps.map((g) => g.from - input.marginMs));
	const until = Math.max(...lost.map((r) => r.receivedAt + input.marginMs), ...gaps.map((g) => g.to));
	// Plays dated up to `until` may still be on their way as events: wait for the window to close,
	// then for the runs still going (they would race the catch-up for the same writes), not forever.
	if (input.now < until) return { waiting: `the window closes at ${iso(until)}` };
	if (input.unfinished > 0 && input.now - until < input.maxWaitMs) return { waiting: `${input.unfinished} runs are still going` };
	return { emit: { since, until, runs: lost.map((r) => r.id), gaps } };
}

/**
 * A pause of n8n: the minutes (since the epoch) in which this node ran, found in the window that
 * was looked at; none in the last `gapMinutes` before `nowMinute` but an earlier one means nothing
 * ran from that minute to now. No run at all (a first run) is no pause.
 */
export function pauseSince(ranInMinutes: number[], nowMinute: number, gapMinutes: number): Gap | undefined {
	const before = ranInMinutes.filter((m) => m < nowMinute);
	if (gapMinutes <= 0 || before.length === 0) return undefined;
	const last = Math.max(...before);
	return nowMinute - last > gapMinutes ? { from: last * 60_000, to: nowMinute * 60_000 } : undefined;
}

/** The catch-up windows a run emitted, as its node output keeps them (action 'catch-up', the runs it covers). */
export function catchUpsIn(execution: { data?: unknown }): string[][] {
	const runData = (execution.data as { resultData?: { runData?: Record<string, unknown> } } | undefined)?.resultData?.runData;
	const out: string[][] = [];
	for (const runs of Object.values(runData ?? {})) {
		for (const run of Array.isArray(runs) ? runs : []) {
			const main = (run as { data?: { main?: unknown } })?.data?.main;
			for (const branch of Array.isArray(main) ? main : []) {
				for (const item of Array.isArray(branch) ? branch : []) {
					const json = (item as { json?: { action?: unknown; runs?: unknown } })?.json;
					if (json?.action === 'catch-up' && Array.isArray(json.runs)) out.push(json.runs.map(String));
				}
			}
		}
	}
	return out;
}

/**
 * Whether a run kept data a retry can start from: the trigger's output, or a node stack to run.
 * (A run n8n failed for a dead worker keeps neither.) `data` as n8n's public API gives it with
 * includeData (IRunExecutionData); too large to show counts as kept.
 */
export function keptRunData(execution: { data?: unknown; dataTooLargeToDisplay?: unknown }): boolean {
	if (execution.dataTooLargeToDisplay === true) return true;
	const data = execution.data as { resultData?: { runData?: unknown }; executionData?: { nodeExecutionStack?: unknown } } | undefined;
	const runData = data?.resultData?.runData;
	const stack = data?.executionData?.nodeExecutionStack;
	return (typeof runData === 'object' && runData !== null && Object.keys(runData).length > 0) || (Array.isArray(stack) && stack.length > 0);
}
