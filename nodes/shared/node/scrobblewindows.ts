/**
 * What the Trakt scrobbler remembers between executions, in n8n's deduplication store (a table in
 * n8n's database, so every queue-mode worker sees the same): time windows of calls made, pauses
 * held back, resumes seen, and the highest progress sent for an item. Each memory is a key; a
 * check records what it looks at and takes back what was not there before.
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import type { TraktRef } from '../backends/trakt/ids';

const WINDOWS = { mode: 'entries', maxEntries: 5000 } as const;
const none = async () => undefined;

/** Which of `keys` were there already; the ones this check added are removed again. */
async function present(ctx: IExecuteFunctions, keys: string[]): Promise<string[]> {
	const seen = await ctx.helpers.checkProcessedAndRecord(keys, 'node', WINDOWS);
	if (seen.new.length > 0) await ctx.helpers.removeProcessed(seen.new, 'node', WINDOWS);
	return seen.processed.map(String);
}

const refKey = (kind: string, ref: TraktRef, part: number) => `${kind}|${JSON.stringify(ref)}|${part}`;

/**
 * A time window: whether the same kind of call for this item was made within `windowMs`, and if
 * not, a claim on it. Windows are kept as buckets of a twentieth of their length (a claim counts
 * for the window, give or take 5 %). A claim is released when the call fails: only what Trakt
 * accepted blocks the next one.
 */
export async function claimWithin(ctx: IExecuteFunctions, kind: string, ref: TraktRef, windowMs: number, now: number): Promise<{ duplicate: boolean; release: () => Promise<void> }> {
	if (windowMs <= 0) return { duplicate: false, release: none };
	const size = Math.max(1000, Math.floor(windowMs / 20));
	const bucket = Math.floor(now / size);
	const spans = Math.ceil(windowMs / size);
	const key = (b: number) => refKey(kind, ref, b);
	const keys = Array.from({ length: spans + 1 }, (_, k) => key(bucket - spans + k));
	const seen = await ctx.helpers.checkProcessedAndRecord(keys, 'node', WINDOWS);
	const duplicate = seen.processed.length > 0;
	// Keep only this bucket, and only for a call that is going out.
	const taken = seen.new.filter((k) => duplicate || k !== key(bucket));
	if (taken.length > 0) await ctx.helpers.removeProcessed(taken, 'node', WINDOWS);
	const mine = seen.new.includes(key(bucket)) && !duplicate;
	return { duplicate, release: mine ? async () => await ctx.helpers.removeProcessed([key(bucket)], 'node', WINDOWS) : none };
}

/** Marks are kept by the tenth of a second: something of `kind` happened to the item then. */
const TICK_MS = 100;
export const tickOf = (ms: number) => Math.floor(ms / TICK_MS);

export async function mark(ctx: IExecuteFunctions, kind: string, ref: TraktRef, now: number): Promise<number> {
	const tick = tickOf(now);
	await ctx.helpers.checkProcessedAndRecord([refKey(kind, ref, tick)], 'node', WINDOWS);
	return tick;
}

/** Whether a mark of `kind` was made for the item in the ticks `from` … `to` (both included). */
export async function markedBetween(ctx: IExecuteFunctions, kind: string, ref: TraktRef, from: number, to: number): Promise<boolean> {
	const keys: string[] = [];
	for (let t = from; t <= to; t++) keys.push(refKey(kind, ref, t));
	return keys.length > 0 && (await present(ctx, keys)).length > 0;
}

/**
 * The highest progress (whole percent) sent for the item since it last started from the
 * beginning, above `floor`; undefined when none is. One key per percent sent.
 */
export async function highestSentAbove(ctx: IExecuteFunctions, ref: TraktRef, floor: number): Promise<number | undefined> {
	const keys: string[] = [];
	for (let p = Math.floor(floor) + 1; p <= 100; p++) keys.push(refKey('sent', ref, p));
	if (keys.length === 0) return undefined;
	const found = (await present(ctx, keys)).map((k) => Number(k.slice(k.lastIndexOf('|') + 1)));
	return found.length > 0 ? Math.max(...found) : undefined;
}

export async function recordSent(ctx: IExecuteFunctions, ref: TraktRef, progress: number): Promise<void> {
	await ctx.helpers.checkProcessedAndRecord([refKey('sent', ref, Math.floor(progress))], 'node', WINDOWS);
}

/** A new play from the start: what was sent before no longer bounds it. */
export async function forgetSent(ctx: IExecuteFunctions, ref: TraktRef): Promise<void> {
	await ctx.helpers.removeProcessed(
		Array.from({ length: 101 }, (_, p) => refKey('sent', ref, p)),
		'node',
		WINDOWS,
	);
}
