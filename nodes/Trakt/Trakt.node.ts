import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { TraktClient, type HistoryEntry } from '../shared/backends/trakt/api';
import { applyPlannedWrites, itemKeys, readWatchState, traktPlays } from '../shared/backends/trakt/watched';
import { traktRef, type TraktRef } from '../shared/backends/trakt/ids';
import { decideScrobble, DEFAULT_RULES, type ScrobbleRules } from '../shared/backends/trakt/scrobble';
import { isPlainObject } from '../shared/media/guids';
import type { WatchEvent, WatchItem } from '../shared/model';
import { toNodeError } from '../shared/node/errors';
import { episodeLookups, traktClient as client, traktConnection } from '../shared/node/trakt';
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

const WINDOWS = { mode: 'entries', maxEntries: 5000 } as const;

/**
 * A time window in n8n's deduplication store: whether the same kind of call for this item was
 * made within `windowMs`, and if not, a claim on it. Windows are kept as buckets of a twentieth
 * of their length (a claim counts for the window, give or take 5 %); checking records what it
 * looks at, so the buckets that were not there are taken back at once. A claim is released when
 * the call fails: only what Trakt accepted blocks the next one.
 */
async function claimWithin(ctx: IExecuteFunctions, kind: string, ref: TraktRef, windowMs: number, now: number): Promise<{ duplicate: boolean; release: () => Promise<void> }> {
	const none = async () => undefined;
	if (windowMs <= 0) return { duplicate: false, release: none };
	const size = Math.max(1000, Math.floor(windowMs / 20));
	const bucket = Math.floor(now / size);
	const spans = Math.ceil(windowMs / size);
	const key = (b: number) => `${kind}|${JSON.stringify(ref)}|${b}`;
	const keys = Array.from({ length: spans + 1 }, (_, k) => key(bucket - spans + k));
	const seen = await ctx.helpers.checkProcessedAndRecord(keys, 'node', WINDOWS);
	const duplicate = seen.processed.length > 0;
	// Keep only this bucket, and only for a call that is going out.
	const taken = seen.new.filter((k) => duplicate || k !== key(bucket));
	if (taken.length > 0) await ctx.helpers.removeProcessed(taken, 'node', WINDOWS);
	const mine = seen.new.includes(key(bucket)) && !duplicate;
	return { duplicate, release: mine ? async () => await ctx.helpers.removeProcessed([key(bucket)], 'node', WINDOWS) : none };
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
	const decision = decideScrobble(event, rules);
	if (decision.action === 'skip') return { action: 'skipped', reason: decision.reason, source };
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
	if (res.status === 409) {
		return { action: decision.action, progress: decision.progress, reason: 'Trakt already has this play (409)', trakt: { status: 409, ...res.body } as IDataObject, source };
	}
	return { action: decision.action, progress: decision.progress, reason: decision.reason, trakt: res.body as IDataObject, source };
}
