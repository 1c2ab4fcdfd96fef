import {
	NodeConnectionTypes,
	NodeOperationError,
	sleep,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { TraktClient, type HistoryEntry } from '../shared/backends/trakt/api';
import { applyPlannedWrites, itemKeys, readWatchState, traktPlays } from '../shared/backends/trakt/watched';
import { traktRef, type TraktRef } from '../shared/backends/trakt/ids';
import { decideScrobble, DEFAULT_RULES, type ScrobbleDecision, type ScrobbleRules } from '../shared/backends/trakt/scrobble';
import { isPlainObject } from '../shared/media/guids';
import type { WatchEvent, WatchItem } from '../shared/model';
import { toNodeError } from '../shared/node/errors';
import { episodeLookups, traktClient as client, traktConnection } from '../shared/node/trakt';
import { applyRatings, readRatings } from '../shared/node/traktratings';
import { claimWithin, forgetSent, highestSentAbove, mark, markedBetween, recordSent, tickOf } from '../shared/node/scrobblewindows';
import { traktProperties } from './description';

function asWatchItem(ctx: IExecuteFunctions, json: IDataObject, i: number): void {
	if ((json.type !== 'movie' && json.type !== 'episode') || !isPlainObject(json.guids)) {
		throw new NodeOperationError(ctx.getNode(), 'The input item is not a WatchItem or WatchEvent (it needs `type` and `guids`)', { itemIndex: i });
	}
}

function refOf(ctx: IExecuteFunctions, json: IDataObject, i: number): TraktRef {
	asWatchItem(ctx, json, i);
	const ref = traktRef(json as unknown as WatchItem);
	if (!ref) throw new NodeOperationError(ctx.getNode(), 'The item has no IMDb / TMDb / TVDB id Trakt could match (episodes: its own ids, or the show ids with season and number)', { itemIndex: i });
	return ref;
}

export class Trakt implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Trakt',
		name: 'trakt',
		icon: { light: 'file:../../icons/trakt.svg', dark: 'file:../../icons/trakt.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Scrobble watch events to Trakt and keep its history in step',
		defaults: { name: 'Trakt' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'traktApi', required: true, testedBy: 'traktConnection' }],
		properties: traktProperties,
	};

	methods = { credentialTest: { traktConnection } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const resource = this.getNodeParameter('resource', 0) as string;
		const operation = this.getNodeParameter('operation', 0) as string;
		const out: INodeExecutionData[] = [];
		const fail = (error: unknown, i: number) => toNodeError(this, error, i);

		if (resource === 'sync' && (operation === 'getWatchState' || operation === 'applyWrites')) {
			// The whole input at once: one read of what Trakt has, writes in batches.
			try {
				const trakt = await client(this, operation === 'applyWrites' ? Number(this.getNodeParameter('batchSize', 0, 100)) : undefined);
				if (operation === 'getWatchState') {
					const person = String(this.getNodeParameter('person', 0, '')).trim();
					for (const item of await readWatchState(trakt, person)) out.push({ json: item as unknown as IDataObject, pairedItem: { item: 0 } });
				} else {
					const results = await applyPlannedWrites(trakt, items.map(({ json }) => json), this.getNodeParameter('dryRun', 0, false) as boolean, episodeLookups(this));
					results.forEach((result, i) => out.push({ json: result as unknown as IDataObject, pairedItem: { item: i } }));
				}
			} catch (error) {
				const e = fail(error, 0);
				if (!this.continueOnFail()) throw e;
				out.push({ json: { error: e.message }, pairedItem: { item: 0 } });
			}
			return [out];
		}

		if (resource === 'rating' && operation === 'set') {
			// One batched call for all input items, like history.
			const options = this.getNodeParameter('ratingOptions', 0, {}) as IDataObject;
			try {
				items.forEach(({ json }, i) => asWatchItem(this, json, i));
				const trakt = await client(this, Number(options.batchSize ?? 100));
				const inputs = items.map(({ json }) => json as unknown as WatchEvent);
				const summary = await applyRatings(trakt, inputs, { removeRatings: options.removeRatings === true, dryRun: options.dryRun === true });
				out.push({ json: summary, pairedItem: items.map((_, i) => ({ item: i })) });
			} catch (error) {
				const e = fail(error, 0);
				if (!this.continueOnFail()) throw e;
				out.push({ json: { error: e.message }, pairedItem: { item: 0 } });
			}
			return [out];
		}

		if (resource === 'history' && (operation === 'add' || operation === 'remove')) {
			// One batched call for all input items (Trakt allows one write per second).
			const options = this.getNodeParameter('historyOptions', 0, {}) as IDataObject;
			try {
				const trakt = await client(this, Number(options.batchSize ?? 100));
				const entries: HistoryEntry[] = [];
				const keysOf = new Map<HistoryEntry, string[]>();
				let skipped = 0;
				// Items Trakt cannot identify are reported, not sent, and do not fail the batch.
				const withoutIds: IDataObject[] = [];
				let existing: Set<string> | undefined;
				if (operation === 'add' && options.skipExisting !== false) {
					const types = new Set(items.map(({ json }) => json.type));
					existing = await traktPlays(trakt, { movies: types.has('movie'), shows: types.has('episode') });
				}
				items.forEach(({ json }, i) => {
					if (operation === 'add' && options.onlyPlayed !== false && json.played !== true) return void skipped++;
					asWatchItem(this, json, i);
					const item = json as unknown as WatchItem;
					const ref = traktRef(item);
					if (!ref) return void withoutIds.push({ backend: json.backend ?? null, id: json.id ?? null, title: json.title ?? null });
					const keys = itemKeys(item);
					if (existing && keys.some((k) => existing!.has(k))) return void skipped++;
					for (const k of keys) existing?.add(k);
					const at = typeof json.playedAt === 'string' ? json.playedAt : undefined;
					const entry = operation === 'add' && at ? { ...ref, watched_at: at } : ref;
					entries.push(entry);
					keysOf.set(entry, keys);
				});
				// With Skip Existing a failed add can be checked against what Trakt has and resent for the rest only.
				const stillMissing = existing
					? async (batch: HistoryEntry[]) => {
							const now = await traktPlays(trakt, { movies: true, shows: true });
							return batch.filter((entry) => !(keysOf.get(entry) ?? []).some((k) => now.has(k)));
						}
					: undefined;
				const result = entries.length > 0 ? await trakt.history(operation, entries, stillMissing) : { movies: 0, episodes: 0, notFound: [] };
				out.push({
					json: {
						operation,
						sent: entries.length,
						skipped,
						withoutIds,
						[operation === 'add' ? 'added' : 'deleted']: { movies: result.movies, episodes: result.episodes },
						notFound: result.notFound as IDataObject[],
					},
					pairedItem: items.map((_, i) => ({ item: i })),
				});
			} catch (error) {
				const e = fail(error, 0);
				if (!this.continueOnFail()) throw e;
				out.push({ json: { error: e.message }, pairedItem: { item: 0 } });
			}
			return [out];
		}

		for (let i = 0; i < items.length; i++) {
			try {
				const trakt = await client(this);
				for (const json of await runOne(this, trakt, resource, operation, i)) out.push({ json, pairedItem: { item: i } });
			} catch (error) {
				const e = fail(error, i);
				if (!this.continueOnFail()) throw e;
				out.push({ json: { error: e.message }, pairedItem: { item: i } });
			}
		}
		return [out];
	}
}

async function runOne(ctx: IExecuteFunctions, trakt: TraktClient, resource: string, operation: string, i: number): Promise<IDataObject[]> {
	if (resource === 'scrobble') return [await scrobbleOne(ctx, trakt, i)];
	if (resource === 'history' && operation === 'get') {
		const type = ctx.getNodeParameter('historyType', i, '') as string;
		const all = ctx.getNodeParameter('returnAll', i, false) as boolean;
		const limit = all ? undefined : (ctx.getNodeParameter('limit', i, 50) as number);
		return (await trakt.paged('read history', `/sync/history${type ? `/${type}` : ''}`, {}, limit)) as IDataObject[];
	}
	if (resource === 'playback') {
		const type = ctx.getNodeParameter('playbackType', i, '') as string;
		return (await trakt.get('read playback', `/sync/playback${type ? `/${type}` : ''}`)) as IDataObject[];
	}
	if (resource === 'search') {
		const idType = ctx.getNodeParameter('idType', i) as string;
		const id = String(ctx.getNodeParameter('id', i)).trim();
		const type = ctx.getNodeParameter('mediaType', i, '') as string;
		if (!id) throw new NodeOperationError(ctx.getNode(), 'ID is empty', { itemIndex: i });
		return (await trakt.get('search', `/search/${idType}/${encodeURIComponent(id)}`, { type: type || undefined, extended: 'full' })) as IDataObject[];
	}
	if (resource === 'sync') return [(await trakt.get('read last activities', '/sync/last_activities')) as IDataObject];
	if (resource === 'rating' && operation === 'get') return await readRatings(trakt, ctx.getNodeParameter('ratingType', i, '') as '' | 'movies' | 'episodes');
	throw new NodeOperationError(ctx.getNode(), `Unknown operation ${resource}/${operation}`, { itemIndex: i });
}

async function scrobbleOne(ctx: IExecuteFunctions, trakt: TraktClient, i: number): Promise<IDataObject> {
	const json = ctx.getInputData()[i].json;
	const event = json as unknown as WatchEvent;
	const r = ctx.getNodeParameter('rules', i, {}) as IDataObject;
	const rules: ScrobbleRules = {
		minProgress: Number(r.minProgress ?? DEFAULT_RULES.minProgress),
		ignoreStartAbove: Number(r.ignoreStartAbove ?? DEFAULT_RULES.ignoreStartAbove),
		holdStopsFrom: Number(r.holdStopsFrom ?? DEFAULT_RULES.holdStopsFrom),
		watchedLine: Number(r.watchedLine ?? DEFAULT_RULES.watchedLine),
		trustStopAbove: Number(r.trustStopAbove ?? DEFAULT_RULES.trustStopAbove),
	};
	const source = { backend: event.backend, id: event.id, title: event.title, event: event.event };
	if (typeof event.event !== 'string') throw new NodeOperationError(ctx.getNode(), 'The input item is not a WatchEvent (no `event`); connect a watch-state trigger', { itemIndex: i });
	const ref = refOf(ctx, json, i);
	const decided = decideScrobble(event, rules);
	if (decided.action === 'skip') return { action: 'skipped', reason: decided.reason, source };
	let decision: Sending = decided;
	const holdMs = Number(r.holdPausesSeconds ?? DEFAULT_HOLD_PAUSES_SECONDS) * 1000;
	const held = await heldBack(ctx, event, ref, holdMs);
	if (held) return { action: 'skipped', reason: held, source };
	if (r.clampRegressions !== false) decision = await clamped(ctx, event, ref, decision, rules);
	const now = Date.now();
	let claim = { duplicate: false, release: async () => undefined as void };
	if (decision.action === 'pause') {
		claim = await claimWithin(ctx, 'pause', ref, Number(r.pauseDebounceSeconds ?? 30) * 1000, now);
		if (claim.duplicate) return { action: 'duplicate', reason: 'another pause of this item was sent moments ago', source };
	}
	// A stop that Trakt would count as a play (> 80 %) is a finish; a second one soon after is the same play.
	if (decision.action === 'stop' && decision.progress > 80) {
		claim = await claimWithin(ctx, 'finish', ref, Number(r.finishWindowMinutes ?? 60) * 60_000, now);
		if (claim.duplicate) return { action: 'duplicate', reason: 'this item was finished within the window already', source };
	}
	// A call Trakt did not accept claims nothing: its retry, or the server's next stop, still goes.
	const res = await trakt.scrobble(decision.action, ref, decision.progress).catch(async (error: unknown) => {
		await claim.release();
		throw error;
	});
	await recordSent(ctx, ref, decision.progress);
	if (res.status === 409) {
		return { action: decision.action, progress: decision.progress, reason: 'Trakt already has this play (409)', trakt: { status: 409, ...res.body } as IDataObject, source };
	}
	return { action: decision.action, progress: decision.progress, reason: decision.reason, trakt: res.body as IDataObject, source };
}

type Sending = Exclude<ScrobbleDecision, { action: 'skip' }>;

/** A pause this long is held back first: a resume within it means neither is sent. */
const DEFAULT_HOLD_PAUSES_SECONDS = 5;

/**
 * Pause debounce. A pause waits `holdMs`; a resume of the item in that time means the pause is not
 * sent, and the resume of a pause that was never sent is not sent either (Trakt still has the
 * item playing). Each side marks first and looks second (the pause "sending", the resume
 * "resumed"), so at least one of them sees the other: a resume can never be dropped after its
 * pause went out. Only pause events are held; a stop held as a pause is no pause a resume follows.
 */
async function heldBack(ctx: IExecuteFunctions, event: WatchEvent, ref: TraktRef, holdMs: number): Promise<string | undefined> {
	if (holdMs <= 0) return undefined;
	// Marks count by tenths of a second. A pause sees only resumes after its own tick and a resume
	// drops itself only for a pause held in an earlier tick, so a resume just before a pause never
	// drops that pause, and a pair within one tick is sent as it came.
	if (event.event === 'pause') {
		const held = await mark(ctx, 'pause-held', ref, Date.now());
		await sleep(holdMs);
		const sending = await mark(ctx, 'pause-sending', ref, Date.now());
		if (await markedBetween(ctx, 'resumed', ref, held + 1, sending)) return `resumed within ${holdMs / 1000} s: the pause is not sent`;
		return undefined;
	}
	if (event.event === 'resume') {
		const resumed = await mark(ctx, 'resumed', ref, Date.now());
		const since = tickOf(Date.now() - holdMs - 1000);
		if (await markedBetween(ctx, 'pause-sending', ref, since, tickOf(Date.now()))) return undefined;
		if (await markedBetween(ctx, 'pause-held', ref, since, resumed - 1)) return 'resumes a pause that was held back and never sent: Trakt still has it playing';
	}
	return undefined;
}

/**
 * Regression clamp: a pause or stop never reports less than was already sent for the item (a
 * player that reports 12 % after 85 %); a new play from the start (a `play` event) lifts the bound.
 * The clamped progress is decided again by the same rules, so a stop clamped to 85 % is held as a
 * pause, as a stop at 85 % would be: clamping never makes a play Trakt would not have counted.
 */
async function clamped(ctx: IExecuteFunctions, event: WatchEvent, ref: TraktRef, decision: Sending, rules: ScrobbleRules): Promise<Sending> {
	if (event.event === 'play') {
		await forgetSent(ctx, ref);
		return decision;
	}
	const highest = await highestSentAbove(ctx, ref, decision.progress);
	if (highest === undefined) return decision;
	const again = decideScrobble({ ...event, progress: highest }, rules);
	if (again.action === 'skip') return decision;
	return { ...again, reason: `${again.reason}; the player reported ${decision.progress} % after ${highest} % was sent, kept at ${highest} %` };
}
