/**
 * Redelivery: every event n8n accepted is written, eventually, without the server sending it
 * again. n8n itself never runs an execution twice: in queue mode Bull runs with maxStalledCount 0,
 * so a job whose worker died fails once its lock expires, and the leader's queue recovery marks
 * executions left without a job as crashed (n8n 2.41.1 ScalingService.setupQueue,
 * recoverFromQueue); a restarted single process marks the runs it was in as crashed on start. What
 * n8n offers instead is the retry of a failed execution (POST /api/v1/executions/{id}/retry), which
 * re-runs it from where it failed with the data it had: the event as the trigger accepted it. A
 * run failed for a dead worker kept no data (WorkflowRunner.processError replaces it with the
 * error); those are caught up from the servers instead (catchup.ts).
 *
 * This plans the retries, as the template's schedule asks: the workflow's failed and crashed
 * runs of the window (not manual ones, not retries themselves, not ones a retry already
 * completed), each retried after a wait that doubles with every attempt, up to a number of
 * attempts, then given up (and reported once). Writes are idempotent (every Apply Watch State
 * reads its target first), so a retry of a run that had written half of its event writes the rest.
 * Pure: the node lists the executions and sends the retries (node/redelivery.ts).
 */

/** An execution as n8n's public API lists it (GET /api/v1/executions). */
export interface ListedExecution {
	id: string;
	mode: string;
	status: string;
	workflowId: string;
	retryOf: string | null;
	retrySuccessId: string | null;
	startedAt: string | null;
	stoppedAt: string | null;
}

export interface RedeliveryOptions {
	/** Attempts after the first run. */
	maxAttempts: number;
	/** Before the first retry; each further one waits twice as long as the one before. */
	firstWaitMs: number;
	now: number;
	/** Schedule runs that emitted a catch-up and failed after it, with their data: retried like deliveries. */
	catchUpRuns?: ReadonlySet<string>;
}

export type RedeliveryAction = 'retry' | 'wait' | 'in-progress' | 'give-up';

export interface RedeliveryStep {
	executionId: string;
	workflowId: string;
	action: RedeliveryAction;
	/** Retries made so far. */
	attempts: number;
	startedAt: string | null;
	status: string;
	reason: string;
}

/**
 * The runs that delivered an event: webhooks. Manual runs, retries and sub-workflows aside, and
 * so are schedule runs ('trigger'), except a catch-up that failed after the Redeliver node emitted
 * it (RedeliveryOptions.catchUpRuns): its retry starts again from the node that failed.
 */
export const DELIVERING_MODES = new Set(['webhook']);
const FAILED = new Set(['error', 'crashed']);
export const UNFINISHED = new Set(['new', 'running', 'waiting']);

const time = (iso: string | null) => (iso ? Date.parse(iso) : Number.NaN);

/**
 * What to do with each failed delivery. `listed`: the workflow's executions of the window with the
 * statuses that matter (failed, crashed, and unfinished ones, whose retries may be under way).
 */
export function planRedelivery(listed: ListedExecution[], options: RedeliveryOptions): RedeliveryStep[] {
	const retriesOf = new Map<string, ListedExecution[]>();
	for (const e of listed) {
		if (!e.retryOf) continue;
		const list = retriesOf.get(e.retryOf);
		if (list) list.push(e);
		else retriesOf.set(e.retryOf, [e]);
	}
	const steps: RedeliveryStep[] = [];
	for (const e of listed) {
		if (e.retryOf || e.retrySuccessId || !FAILED.has(e.status) || !(DELIVERING_MODES.has(e.mode) || options.catchUpRuns?.has(e.id))) continue;
		const retries = retriesOf.get(e.id) ?? [];
		const attempts = retries.length;
		const step = (action: RedeliveryAction, reason: string): RedeliveryStep => ({ executionId: e.id, workflowId: e.workflowId, action, attempts, startedAt: e.startedAt, status: e.status, reason });
		if (retries.some((r) => UNFINISHED.has(r.status))) {
			steps.push(step('in-progress', 'a retry of it is running'));
			continue;
		}
		if (retries.some((r) => r.status === 'success')) continue; // completed; n8n sets retrySuccessId soon
		if (attempts >= options.maxAttempts) {
			steps.push(step('give-up', `failed ${attempts + 1} times; not retried again`));
			continue;
		}
		const last = Math.max(time(e.stoppedAt ?? e.startedAt), ...retries.map((r) => time(r.stoppedAt ?? r.startedAt)).filter(Number.isFinite));
		const wait = options.firstWaitMs * 2 ** attempts;
		if (Number.isFinite(last) && options.now - last < wait) {
			steps.push(step('wait', `retried ${Math.ceil((last + wait - options.now) / 1000)} s from now`));
			continue;
		}
		steps.push(step('retry', attempts === 0 ? `the run ${e.status === 'crashed' ? 'crashed' : 'failed'}` : `retry ${attempts} failed too`));
	}
	// Oldest first (n8n numbers executions as it creates them): events are delivered in the order they came, as far as retries allow.
	return steps.sort((a, b) => Number(a.executionId) - Number(b.executionId) || (a.executionId < b.executionId ? -1 : 1));
}
