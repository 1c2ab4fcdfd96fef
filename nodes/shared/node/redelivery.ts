/**
 * Watch State → Redeliver Failed Runs: the n8n side of redelivery (redelivery/redeliver.ts plans
 * the retries, redelivery/catchup.ts the catch-up). Lists the workflows' executions through n8n's
 * public API with the Watch State n8n API credential, retries the ones due that kept their data,
 * opens a catch-up window for the ones that did not (and for a pause of n8n itself), and reports
 * each delivery given up once. What it must remember is kept in n8n's deduplication store (ledger.ts).
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { catchUpsIn, keptRunData, pauseSince, planCatchUp, type Gap } from '../redelivery/catchup';
import { DELIVERING_MODES, planRedelivery, UNFINISHED, type ListedExecution, type RedeliveryStep } from '../redelivery/redeliver';
import { BackendError, requestJson, type Send } from '../transport/http';
import { key, Ledger } from './ledger';
import { connectionSettings, n8nSend, retryPolicy } from './transport';

export const N8N_API_CREDENTIAL = 'watchStateN8nApi';

export interface RedeliverySettings {
	workflowIds: string[];
	windowHours: number;
	maxAttempts: number;
	firstWaitSeconds: number;
	dryRun: boolean;
	/** Catch-up: the margin around a lost run's start, a pause of this node that counts as n8n down (0: off). */
	catchUpMarginSeconds: number;
	catchUpAfterGapMinutes: number;
}

export interface RedeliveryResult {
	/** One item per run retried or given up now. */
	acted: IDataObject[];
	summary: IDataObject;
}

/** Statuses that matter: the failed runs, and unfinished ones (a retry under way). */
const STATUSES = ['error', 'crashed', 'new', 'running', 'waiting'] as const;
const PAGE = 250;
/** A catch-up waits at most this long for the runs still going (a dead worker's stay "running" until n8n fails them). */
const CATCH_UP_MAX_WAIT_MS = 10 * 60_000;

const notFound = (error: unknown) => error instanceof BackendError && error.status === 404;

/** The run with its data, as n8n's public API gives it (GET /api/v1/executions/{id}?includeData=true). */
async function readExecution(send: Send, id: string, includeData: boolean): Promise<IDataObject | undefined> {
	return (await requestJson(send, retryPolicy(2), `read execution ${id}`, { method: 'GET', path: `/api/v1/executions/${encodeURIComponent(id)}`, query: { includeData } }).catch((error: unknown) => {
		if (notFound(error)) return undefined;
		throw error;
	})) as IDataObject | undefined;
}

/**
 * The workflow's executions of one status since `since`, newest first. Not by n8n's startedAfter
 * filter: it compares startedAt, which a run queued but never started (its worker died first)
 * does not have, so it would never be listed (n8n 2.41.1 ExecutionRepository startedAtCondition).
 * Pages are read until a run started (or, never started, stopped) before `since`.
 */
async function listExecutions(send: Send, workflowId: string, status: string, since: string): Promise<ListedExecution[]> {
	const out: ListedExecution[] = [];
	const sinceMs = Date.parse(since);
	let cursor: string | undefined;
	let older = false;
	do {
		const body = (await requestJson(send, retryPolicy(2), 'list executions', {
			method: 'GET',
			path: '/api/v1/executions',
			query: { workflowId, status, limit: PAGE, cursor },
		})) as { data?: unknown; nextCursor?: unknown };
		if (!Array.isArray(body?.data)) throw new BackendError('list executions: n8n did not answer with a list of executions');
		for (const row of body.data as IDataObject[]) {
			const at = Date.parse(String(row.startedAt ?? row.stoppedAt ?? ''));
			if (Number.isFinite(at) && at < sinceMs) {
				older = true;
				continue;
			}
			out.push({
				id: String(row.id),
				mode: String(row.mode ?? ''),
				status: String(row.status ?? ''),
				workflowId: String(row.workflowId ?? workflowId),
				retryOf: row.retryOf ? String(row.retryOf) : null,
				retrySuccessId: row.retrySuccessId ? String(row.retrySuccessId) : null,
				startedAt: typeof row.startedAt === 'string' ? row.startedAt : null,
				stoppedAt: typeof row.stoppedAt === 'string' ? row.stoppedAt : null,
			});
		}
		cursor = typeof body.nextCursor === 'string' && body.nextCursor ? body.nextCursor : undefined;
	} while (cursor && !older);
	return out;
}

function catchUpReason(runs: number, gaps: number): string {
	const parts = [runs > 0 ? `${runs} failed ${runs === 1 ? 'run' : 'runs'} kept no data to retry` : '', gaps > 0 ? 'n8n was not running' : ''].filter(Boolean);
	return `${parts.join('; ')}: the servers' plays of the window are applied where missing`;
}

const FAILED = new Set(['error', 'crashed']);
const minuteOf = (ms: number) => Math.floor(ms / 60_000);
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/**
 * The failed schedule runs of the window not looked at yet: a catch-up that failed after it was
 * emitted (its data kept) is retried like a delivery; one that kept nothing (its worker died) may
 * have covered lost runs, which are caught up again; any other is not this node's business.
 */
async function failedScheduleRuns(send: Send, ledger: Ledger, listed: ListedExecution[], lostWebhookRuns: string[]) {
	const failed = listed.filter((e) => e.mode === 'trigger' && FAILED.has(e.status) && !e.retryOf && !e.retrySuccessId);
	const checked = await ledger.has(failed.map((e) => key.checked(e.id)));
	const retry = new Set<string>();
	const lost: string[] = [];
	const notOurs: string[] = [];
	for (const e of failed.filter((f) => !checked.has(key.checked(f.id)))) {
		const run = await readExecution(send, e.id, true);
		if (run && catchUpsIn(run).length > 0) retry.add(e.id);
		else if (run && !keptRunData(run)) lost.push(e.id);
		else notOurs.push(e.id);
	}
	const covers = await ledger.has(lost.flatMap((by) => lostWebhookRuns.map((r) => key.cover(r, by))));
	const reopened = lostWebhookRuns.filter((r) => lost.some((by) => covers.has(key.cover(r, by))));
	return { retry, reopened, looked: [...lost, ...notOurs] };
}

/** A pause of n8n not caught up yet: the last minute this node ran, if longer ago than the gap. */
async function pauseOfN8n(ledger: Ledger, now: number, s: RedeliverySettings): Promise<Gap | undefined> {
	const gapMinutes = s.catchUpAfterGapMinutes;
	if (gapMinutes <= 0) return undefined;
	const nowMinute = minuteOf(now);
	const recent = range(nowMinute - gapMinutes, nowMinute);
	if ((await ledger.has(recent.map(key.ran))).size > 0) return undefined;
	// Nothing ran lately: when did it last? (A first run finds nothing and is no pause.)
	const earlier = range(nowMinute - s.windowHours * 60, nowMinute - gapMinutes);
	const ran = await ledger.has(earlier.map(key.ran));
	const pause = pauseSince(earlier.filter((m) => ran.has(key.ran(m))), nowMinute, gapMinutes);
	if (!pause || (await ledger.has([key.pause(minuteOf(pause.from))])).size > 0) return undefined;
	return { from: pause.from, to: now };
}

export async function redeliver(ctx: IExecuteFunctions, s: RedeliverySettings): Promise<RedeliveryResult> {
	const settings = await connectionSettings(ctx, N8N_API_CREDENTIAL, 30_000);
	const send = n8nSend(ctx, settings);
	const ledger = new Ledger(ctx.helpers, s.dryRun);
	const now = Date.now();
	const executionId = ctx.getExecutionId();
	const since = new Date(now - s.windowHours * 3_600_000).toISOString();
	const listed: ListedExecution[] = [];
	for (const workflowId of s.workflowIds) for (const status of STATUSES) listed.push(...(await listExecutions(send, workflowId, status, since)));

	// Lost runs caught up already are not read again (nor retried: n8n kept nothing to retry them
	// from), unless the catch-up that covered them was lost too.
	const failedWebhookRuns = listed.filter((e) => DELIVERING_MODES.has(e.mode) && FAILED.has(e.status) && !e.retryOf).map((e) => e.id);
	const caughtUp = await ledger.has(failedWebhookRuns.map(key.done));
	const schedule = await failedScheduleRuns(
		send,
		ledger,
		listed,
		failedWebhookRuns.filter((r) => caughtUp.has(key.done(r))),
	);
	for (const r of schedule.reopened) caughtUp.delete(key.done(r));
	await ledger.forget(schedule.reopened.map(key.done));
	await ledger.record(schedule.looked.map(key.checked));
	const planned = planRedelivery(listed, { maxAttempts: s.maxAttempts, firstWaitMs: s.firstWaitSeconds * 1000, now, catchUpRuns: schedule.retry }).filter(
		(step) => !caughtUp.has(key.done(step.executionId)),
	);

	// A first retry only for a run that kept its data; the others are caught up from the servers.
	const lost: Array<{ id: string; receivedAt: number }> = [];
	const steps: RedeliveryStep[] = [];
	for (const step of planned) {
		if (step.action === 'retry' && step.attempts === 0 && !schedule.retry.has(step.executionId)) {
			const run = await readExecution(send, step.executionId, true);
			if (run && !keptRunData(run)) {
				// Created when the event came in; a queued run starts later (or never, when its worker died first).
				const at = Date.parse(String(run.createdAt ?? run.startedAt ?? step.startedAt ?? ''));
				lost.push({ id: step.executionId, receivedAt: Number.isFinite(at) ? at : now });
				continue;
			}
		}
		steps.push(step);
	}
	const unfinished = listed.filter((e) => UNFINISHED.has(e.status) && (DELIVERING_MODES.has(e.mode) || e.mode === 'retry')).length;
	const pause = await pauseOfN8n(ledger, now, s);
	const plan = planCatchUp({ now, lost, gaps: pause ? [pause] : [], unfinished, marginMs: s.catchUpMarginSeconds * 1000, maxWaitMs: CATCH_UP_MAX_WAIT_MS });

	const reported = await ledger.has(steps.filter((step) => step.action === 'give-up').map((step) => key.reported(step.executionId)));
	const nowReported: string[] = [];
	const acted: IDataObject[] = [];
	const counts: Record<string, number> = {};
	const entry = (step: RedeliveryStep, extra: IDataObject = {}): IDataObject => ({ ...step, ...extra, dryRun: s.dryRun });
	for (const step of steps) {
		counts[step.action] = (counts[step.action] ?? 0) + 1;
		if (step.action === 'give-up' && !reported.has(key.reported(step.executionId))) {
			acted.push(entry(step));
			nowReported.push(step.executionId);
		}
		if (step.action !== 'retry') continue;
		if (s.dryRun) {
			acted.push(entry(step));
			continue;
		}
		// n8n refuses a run it kept no data of (saved failed runs are off) or one that succeeded meanwhile.
		const retried = await requestJson(send, retryPolicy(2), `retry execution ${step.executionId}`, { method: 'POST', path: `/api/v1/executions/${encodeURIComponent(step.executionId)}/retry`, body: {} }).then(
			(body) => ({ id: String((body as IDataObject | undefined)?.id ?? '') }),
			(error: unknown) => ({ error: error instanceof BackendError && error.status !== undefined && error.status < 500 ? error.message : undefined, fatal: error }),
		);
		if ('fatal' in retried) {
			if (retried.error === undefined) throw retried.fatal;
			acted.push(entry(step, { action: 'give-up', reason: `n8n would not retry it: ${retried.error}` }));
			nowReported.push(step.executionId);
			continue;
		}
		acted.push(entry(step, { retryId: retried.id }));
	}
	await ledger.record(nowReported.map(key.reported));
	if (plan.emit) {
		const window = plan.emit;
		acted.push({
			action: 'catch-up',
			since: new Date(window.since).toISOString(),
			until: new Date(window.until).toISOString(),
			reason: catchUpReason(window.runs.length, window.gaps.length),
			runs: window.runs,
			gaps: window.gaps.map((g) => ({ from: new Date(g.from).toISOString(), to: new Date(g.to).toISOString() })),
			dryRun: s.dryRun,
		});
		counts['catch-up'] = 1;
		// Done as emitted: should this run fail after the node, it is retried from where it failed
		// (its data holds the window); should it be lost with its worker, its covers reopen the runs.
		await ledger.record([...window.runs.flatMap((r) => [key.done(r), key.cover(r, executionId)]), ...window.gaps.map((g) => key.pause(minuteOf(g.from)))]);
	}
	await ledger.record([key.ran(minuteOf(now))]);
	const catchUpSummary = plan.waiting ? { catchUpWaiting: plan.waiting } : {};
	return {
		acted,
		summary: { dryRun: s.dryRun, workflows: s.workflowIds, since, failedRuns: planned.length, lostRuns: lost.length, reopenedRuns: schedule.reopened.length, ...counts, ...catchUpSummary },
	};
}
