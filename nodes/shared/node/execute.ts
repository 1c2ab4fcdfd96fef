/**
 * execute() of the Plex, Jellyfin and Emby nodes: per input item, run the chosen operation
 * through a MediaClient; per-item failures honour Continue On Fail; errors reach the user as
 * NodeApiError with the server's message and never a token.
 */
import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type ILoadOptionsFunctions,
	type INodeExecutionData,
	type INodeListSearchResult,
	type INodePropertyOptions,
} from 'n8n-workflow';
import { decideApply, type ApplyDecision, type ApplyOptions, type Source } from '../sync/apply';
import type { PlannedWrite } from '../sync/plan';
import { EmbyClient, JellyfinClient } from '../backends/mediabrowser/api';
import { PlexClient } from '../backends/plex/api';
import { selectLibraries, unknownLibraries, type ClientOptions, type FindQuery, type MediaClient, type WatchStateQuery } from '../backends/client';
import { isPlainObject, makeGuids } from '../media/guids';
import { queryFor, searchable } from '../sync/idindex';
import type { WatchItem } from '../model';
import { parseTime, percentToMs } from '../media/units';
import { checkRating } from '../media/ratings';
import type { MediaBackend } from './description';
import { toNodeError } from './errors';
import { connectionSettings, n8nSend, retryPolicy, type ConnectionSettings, type RequestingContext } from './transport';
import { resolvedHeaders } from './credentialheaders';
import type { Send } from '../transport/http';
import { splitList } from '../webhook/filters';
import { HouseholdActing, PersonUnreachable, type SkippedUser } from './household';
import { applyPlanned, type ApplyAction } from './applywrite';
import { decideRating, type RatingDecision, type RatingOptions, type RatingSource } from '../sync/rating';

export type { ApplyAction } from './applywrite';

export const CREDENTIAL: Record<MediaBackend, string> = { plex: 'plexApi', jellyfin: 'jellyfinApi', emby: 'embyApi' };

interface RequestOptions {
	pageSize?: number;
	concurrency?: number;
	retries?: number;
	timeout?: number;
}

/**
 * Up to this many items in one execution, Plex and Jellyfin find each by a title search (a few
 * requests each, whatever the library size); beyond it one library read serves them all.
 */
export const TARGETED_LOOKUP_MAX_ITEMS = 25;

interface LookupOptions {
	lookup?: ClientOptions['lookup'];
	indexFallback?: boolean;
}

/**
 * Who a Plex client acts as when it is not the credential's owner: a household member's server
 * token, renewed (from plex.tv) once when the server refuses it, and the owner's reading of the
 * server's played threshold (a member's token may not read the server's prefs).
 */
export interface PlexIdentity {
	token: string;
	/** A fresh token after the server refused this one; undefined when none can be had. */
	renew(): Promise<string | undefined>;
	playedThreshold?: () => Promise<number>;
}

/** Sends with a household member's token; a 401 gets one renewal and one more try. */
function memberSend(ctx: RequestingContext, settings: ConnectionSettings, identity: PlexIdentity): Send {
	let token = identity.token;
	let send = n8nSend(ctx, settings, { 'X-Plex-Token': token });
	return async (request) => {
		const response = await send(request);
		if (response.status !== 401) return response;
		const fresh = await identity.renew();
		if (!fresh || fresh === token) return response;
		token = fresh;
		send = n8nSend(ctx, settings, { 'X-Plex-Token': token });
		return await send(request);
	};
}

/**
 * A client of the node's server. Jellyfin / Emby act for `userId` with the credential's key; a
 * Plex client acts as `identity` (a household member) instead of the credential's owner.
 */
export async function createClient(
	ctx: RequestingContext,
	backend: MediaBackend,
	request: RequestOptions,
	userId?: string,
	lookup: LookupOptions = {},
	identity?: PlexIdentity,
): Promise<MediaClient> {
	const settings = await connectionSettings(ctx, CREDENTIAL[backend], (request.timeout ?? 30) * 1000);
	const credentials = await ctx.getCredentials(CREDENTIAL[backend]);
	const clientIdentifier = backend === 'plex' ? String(credentials.clientIdentifier || 'n8n-nodes-watchstate') : undefined;
	const options: ClientOptions = {
		// The credential's headers resolved once per client, not by n8n per request (credentialheaders.ts).
		send: identity ? memberSend(ctx, settings, identity) : n8nSend(ctx, settings, resolvedHeaders(backend, credentials)),
		retry: retryPolicy(request.retries ?? 4),
		pageSize: request.pageSize ?? 200,
		concurrency: request.concurrency ?? 4,
		userId: userId || undefined,
		clientIdentifier,
		playedThreshold: identity?.playedThreshold,
		...lookup,
	};
	if (backend === 'plex') return new PlexClient(options);
	if (backend === 'jellyfin') return new JellyfinClient(options);
	return new EmbyClient(options);
}

/** listSearch: the server's users for the User field, filtered by what the user typed. */
export async function searchUsers(ctx: ILoadOptionsFunctions, backend: MediaBackend, filter?: string): Promise<INodeListSearchResult> {
	const client = await createClient(ctx, backend, {});
	const wanted = (filter ?? '').trim().toLowerCase();
	const users = (await client.listUsers()).filter((u) => !wanted || u.name.toLowerCase().includes(wanted));
	return { results: users.map((u) => ({ name: u.isAdmin ? `${u.name} (admin)` : u.name, value: u.id })) };
}

/** loadOptions: the server's movie and show libraries, for Get Watch State's Libraries. */
export async function loadLibraries(ctx: ILoadOptionsFunctions, backend: MediaBackend): Promise<INodePropertyOptions[]> {
	const client = await createClient(ctx, backend, {});
	const libraries = selectLibraries(await client.listLibraries(), undefined);
	return libraries.map((l) => ({ name: l.title, value: l.id, description: l.type === 'movie' ? 'Movies' : 'Shows' }));
}


const DONE: Record<string, ApplyAction> = { 'mark-played': 'marked-played', 'mark-unplayed': 'marked-unplayed', 'set-position': 'progress', skip: 'skipped' };

function asWatchItem(json: IDataObject, ctx: IExecuteFunctions, itemIndex: number): Source {
	if ((json.type !== 'movie' && json.type !== 'episode') || !isPlainObject(json.guids)) {
		throw new NodeOperationError(ctx.getNode(), 'The input item is not a WatchItem or WatchEvent (it needs `type` and `guids`)', {
			itemIndex,
			description: 'Connect a watch-state trigger, or a Get Watch State / Find operation, before this node.',
		});
	}
	return json as unknown as Source;
}

function findQueryFromParameters(ctx: IExecuteFunctions, i: number): FindQuery {
	const type = ctx.getNodeParameter('mediaType', i) as 'movie' | 'episode';
	const ids = ctx.getNodeParameter('externalIds', i, {}) as IDataObject;
	const query: FindQuery = { type, guids: makeGuids([['imdb', ids.imdb], ['tmdb', ids.tmdb], ['tvdb', ids.tvdb]]) };
	if (type === 'episode') {
		query.show = { guids: makeGuids([['imdb', ids.showImdb], ['tmdb', ids.showTmdb], ['tvdb', ids.showTvdb]]) };
		query.season = typeof ids.season === 'number' ? ids.season : undefined;
		query.episode = typeof ids.episode === 'number' ? ids.episode : undefined;
	}
	return query;
}

async function applyWatchState(ctx: IExecuteFunctions, client: MediaClient, i: number, source: Source): Promise<IDataObject[]> {
	const options = ctx.getNodeParameter('applyOptions', i, {}) as IDataObject;
	const rules: ApplyOptions = { propagateUnplayed: options.propagateUnplayed === true, setPositions: options.setPositions !== false };
	const dryRun = options.dryRun === true;
	const sourceRef = { backend: source.backend, id: source.id, title: source.title, event: source.event };
	const query = queryFor(source);
	if (!searchable(query)) {
		return [{ action: 'not-found', reason: 'the source item has no external ids to match by', source: sourceRef, dryRun }];
	}
	const matches = await client.findItems(query);
	if (matches.length === 0) return [{ action: 'not-found', reason: `no ${source.type} with these ids on ${client.backend}`, source: sourceRef, query: query as unknown as IDataObject, dryRun }];
	if (source.event === 'rate') return await applyRating(client, matches, source, options, sourceRef);
	const results: IDataObject[] = [];
	let wrote = false;
	for (const match of matches) {
		// Decide on fresh state: a match from an index read earlier in this run is read again, and so
		// is every match after a write, for copies may share one record (Jellyfin before 10.11 and
		// Emby keep a movie's user data by its provider ids, so two library copies are one state).
		const target = client.isFresh(match) && !wrote ? match : await client.getItem(match.id);
		const decision = await withinServerAbilities(client, target, decideApply(source, target, rules));
		if (!dryRun) {
			if (decision.step === 'mark-played') {
				await client.markPlayed(target, decision.playedAt);
				if (decision.keepPositionMs !== undefined) await client.setPosition({ ...target, played: true }, decision.keepPositionMs);
			}
			if (decision.step === 'mark-unplayed') await client.markUnplayed(target);
			if (decision.step === 'set-position') await client.setPosition(target, decision.positionMs!);
			if (decision.step !== 'skip') wrote = true;
		}
		results.push({
			action: DONE[decision.step],
			reason: decision.reason,
			...(decision.positionMs !== undefined ? { positionMs: decision.positionMs } : {}),
			...(decision.keepPositionMs !== undefined ? { keptPositionMs: decision.keepPositionMs } : {}),
			source: sourceRef,
			target: target as unknown as IDataObject,
			dryRun,
		});
	}
	return results;
}

const RATED: Record<RatingDecision['step'], string> = { rate: 'rated', unrate: 'rating-removed', skip: 'skipped' };

/** A rate event onto every match here: only the rating is written, watch state is left alone. */
async function applyRating(client: MediaClient, matches: WatchItem[], source: RatingSource, options: IDataObject, sourceRef: IDataObject): Promise<IDataObject[]> {
	const rules: RatingOptions = { syncRatings: options.syncRatings === true, removeRatings: options.removeRatings === true };
	const dryRun = options.dryRun === true;
	const results: IDataObject[] = [];
	let wrote = false;
	for (const match of matches) {
		const target = client.isFresh(match) && !wrote ? match : await client.getItem(match.id);
		let decision = decideRating(source, target, rules);
		const unsupported = decision.step === 'rate' ? await client.ratingsUnsupported() : undefined;
		if (unsupported) decision = { step: 'skip', reason: unsupported };
		if (!dryRun && decision.step !== 'skip') {
			await client.setRating(target, decision.step === 'rate' ? decision.rating! : null);
			wrote = true;
		}
		results.push({
			action: RATED[decision.step],
			reason: decision.reason,
			...(decision.rating !== undefined ? { rating: decision.rating } : {}),
			source: { ...sourceRef, ...(source.rating !== undefined ? { rating: source.rating } : {}) },
			target: target as unknown as IDataObject,
			dryRun,
		});
	}
	return results;
}

/**
 * What the server can take: a position write on a version without the endpoint is skipped, so is
 * one at or past the server's played threshold (it would mark the item played), and a mark that
 * must keep a resume point the server cannot write back is held.
 */
async function withinServerAbilities(client: MediaClient, target: WatchItem, decision: ApplyDecision): Promise<ApplyDecision> {
	if (decision.step === 'mark-played' && decision.keepPositionMs !== undefined) {
		const unsupported = await client.positionsUnsupported();
		return unsupported ? { step: 'skip', reason: `held: marking it would lose the newer resume point here (${unsupported})` } : decision;
	}
	if (decision.step !== 'set-position') return decision;
	const unsupported = await client.positionsUnsupported();
	if (unsupported) return { step: 'skip', reason: unsupported };
	const threshold = await client.playedThresholdPercent();
	if (target.durationMs && (decision.positionMs! / target.durationMs) * 100 >= threshold) {
		return { step: 'skip', reason: `the position is past this server's played threshold (${threshold} %): writing it would mark the item played` };
	}
	return decision;
}

/**
 * A write from Plan Sync: the target is known by id. Its state is read again first, so a write
 * that is no longer needed (or an item that changed since the listing) is skipped, not forced.
 */
async function applyPlannedWrite(ctx: IExecuteFunctions, client: MediaClient, i: number, write: PlannedWrite): Promise<IDataObject> {
	if (!isPlainObject(write.target) || write.target.backend !== client.backend) {
		throw new NodeOperationError(ctx.getNode(), `This planned write is for ${String(write.target?.backend)}, not ${client.backend}; route writes by their \`backend\``, { itemIndex: i });
	}
	if (!['mark-played', 'mark-unplayed', 'set-position'].includes(write.op)) {
		throw new NodeOperationError(ctx.getNode(), `Unknown planned write "${String(write.op)}"`, { itemIndex: i });
	}
	const dryRun = (ctx.getNodeParameter('applyOptions', i, {}) as IDataObject).dryRun === true;
	return (await applyPlanned(client, write, dryRun)).json;
}

/** The Libraries filter of Get Watch State: a list from the editor, or a comma text (0.1.0, expressions). */
function librariesFilter(ctx: IExecuteFunctions, i: number): string[] {
	const f = ctx.getNodeParameter('filters', i, {}) as IDataObject;
	return Array.isArray(f.libraries) ? f.libraries.map(String) : splitList(f.libraries);
}

/** `seenLibraries`: a household read, where a library some users cannot see is not an error (client.ts). */
async function runOperation(ctx: IExecuteFunctions, client: MediaClient, resource: string, operation: string, i: number, seenLibraries?: Set<string>): Promise<IDataObject[]> {
	const json = (item: WatchItem | object) => item as unknown as IDataObject;
	if (resource === 'user' && operation === 'getAll') return (await client.listUsers()).map(json);
	if (resource === 'library' && operation === 'getAll') return (await client.listLibraries()).map(json);
	if (resource === 'library' && operation === 'getWatchState') {
		const f = ctx.getNodeParameter('filters', i, {}) as IDataObject;
		const query: WatchStateQuery = {
			libraries: librariesFilter(ctx, i),
			seenLibraries,
			only: (f.only as WatchStateQuery['only']) ?? 'all',
			changedSince: f.changedSince ? parseTime(String(f.changedSince)) : undefined,
			changedBefore: f.changedBefore ? parseTime(String(f.changedBefore)) : undefined,
		};
		if (f.changedSince && !query.changedSince) throw new NodeOperationError(ctx.getNode(), `Changed Since "${String(f.changedSince)}" is not a date`, { itemIndex: i });
		if (f.changedBefore && !query.changedBefore) throw new NodeOperationError(ctx.getNode(), `Changed Before "${String(f.changedBefore)}" is not a date`, { itemIndex: i });
		return (await client.listWatchState(query)).map(json);
	}
	if (resource !== 'item') throw new NodeOperationError(ctx.getNode(), `Unknown operation ${resource}/${operation}`, { itemIndex: i });

	if (operation === 'apply') {
		const json = ctx.getInputData()[i].json;
		if (json.kind === 'watchstate-write') return [await applyPlannedWrite(ctx, client, i, json as unknown as PlannedWrite)];
		return await applyWatchState(ctx, client, i, asWatchItem(json, ctx, i));
	}
	if (operation === 'find') {
		const findBy = ctx.getNodeParameter('findBy', i) as string;
		const query = findBy === 'ids' ? findQueryFromParameters(ctx, i) : queryFor(asWatchItem(ctx.getInputData()[i].json, ctx, i));
		if (!searchable(query)) throw new NodeOperationError(ctx.getNode(), 'No external id to search by', { itemIndex: i });
		const found = await client.findItems(query);
		return found.length > 0 ? found.map(json) : [{ found: false, query: query as unknown as IDataObject }];
	}

	const itemId = String(ctx.getNodeParameter('itemId', i, '', { extractValue: true })).trim();
	if (!itemId) throw new NodeOperationError(ctx.getNode(), 'Item ID is empty', { itemIndex: i });
	const item = await client.getItem(itemId);
	if (operation === 'get') return [json(item)];
	if (operation === 'markPlayed') {
		const at = client.backend === 'plex' ? undefined : (ctx.getNodeParameter('watchedAt', i, '') as string);
		const playedAt = at ? parseTime(at) : undefined;
		if (at && !playedAt) throw new NodeOperationError(ctx.getNode(), `Watched At "${at}" is not a date`, { itemIndex: i });
		await client.markPlayed(item, playedAt);
	} else if (operation === 'markUnplayed') {
		await client.markUnplayed(item);
	} else if (operation === 'setPosition') {
		const value = ctx.getNodeParameter('position', i) as number;
		const unit = ctx.getNodeParameter('positionUnit', i) as string;
		if (!Number.isFinite(value) || value < 0) throw new NodeOperationError(ctx.getNode(), 'Position must be 0 or more', { itemIndex: i });
		if (unit === 'percent' && !item.durationMs) throw new NodeOperationError(ctx.getNode(), 'The item has no duration, so a percent cannot be converted', { itemIndex: i });
		const ms = unit === 'percent' ? percentToMs(value, item.durationMs!) : unit === 's' ? value * 1000 : value;
		await client.setPosition(item, ms);
	} else if (operation === 'setRating' || operation === 'removeRating') {
		const rating = operation === 'setRating' ? checkRating(ctx.getNodeParameter('rating', i)) : null;
		if (typeof rating === 'string') throw new NodeOperationError(ctx.getNode(), `Rating: ${rating}`, { itemIndex: i });
		const unsupported = rating !== null ? await client.ratingsUnsupported() : undefined;
		if (unsupported) throw new NodeOperationError(ctx.getNode(), unsupported, { itemIndex: i });
		await client.setRating(item, rating);
	} else {
		throw new NodeOperationError(ctx.getNode(), `Unknown operation item/${operation}`, { itemIndex: i });
	}
	return [json(await client.getItem(itemId))];
}

/** Apply Watch State and Get Watch State can act for one user (the node's) or the whole household. */
function actsForHousehold(ctx: IExecuteFunctions, resource: string, operation: string, i: number): boolean {
	const household = (resource === 'item' && operation === 'apply') || (resource === 'library' && operation === 'getWatchState');
	return household && ctx.getNodeParameter('whose', i, 'one') === 'household';
}

/**
 * Household mode. Get Watch State reads every user the household places (items carry the user
 * and the person); Apply Watch State acts as the event's person's user here, or as the user a
 * planned write names. An event from a user the household cannot place writes nothing.
 */
async function runForHousehold(ctx: IExecuteFunctions, acting: HouseholdActing, resource: string, operation: string, i: number): Promise<IDataObject[]> {
	if (resource === 'library') {
		const seen = new Set<string>();
		// A person who cannot be acted for here (a PIN user, a friend plex.tv withholds) is left out, with a hint.
		const skipped: SkippedUser[] = [];
		const rows = await acting.readEveryone(async (client) => await runOperation(ctx, client, resource, operation, i, seen), skipped);
		if (skipped.length > 0) ctx.addExecutionHints(...skipped.map((s) => ({ message: `${s.person} (${s.server} user ${s.user}) was left out: ${s.reason}`, type: 'warning' as const, location: 'outputPane' as const })));
		const missing = operation === 'getWatchState' ? unknownLibraries(librariesFilter(ctx, i), seen) : undefined;
		if (missing) throw missing;
		return rows;
	}
	const json = ctx.getInputData()[i].json;
	if (json.kind === 'watchstate-write') {
		const write = json as unknown as PlannedWrite;
		const client = await unlessUnreachable(acting.clientFor(String(write.target?.userId ?? '')));
		if ('skipped' in client) return [{ action: 'skipped', reason: client.skipped, source: write.source as unknown as IDataObject }];
		return [await applyPlannedWrite(ctx, client, i, write)];
	}
	const source = asWatchItem(json, ctx, i);
	const sourceRef = { backend: source.backend, id: source.id, title: source.title, event: source.event, userName: source.userName };
	const found = await acting.counterpart(source.backend, source.userName);
	if (!found.user) return [{ action: 'skipped', reason: `${found.reason}; nothing written`, source: sourceRef }];
	const client = await unlessUnreachable(acting.clientFor(found.user.id));
	if ('skipped' in client) return [{ action: 'skipped', reason: client.skipped, source: sourceRef, user: { id: found.user.id, name: found.user.name, person: found.person.key } }];
	const user = { id: found.user.id, name: found.user.name, person: found.person.key };
	return (await applyWatchState(ctx, client, i, source)).map((result) => ({ ...result, user }));
}

/** A household member's client, or why that person cannot be acted for here (their loss only). */
async function unlessUnreachable(client: Promise<MediaClient>): Promise<MediaClient | { skipped: string }> {
	return await client.catch((error: unknown) => {
		if (error instanceof PersonUnreachable) return { skipped: `${error.message}; nothing written for this person` };
		throw error;
	});
}

export async function executeMediaNode(ctx: IExecuteFunctions, backend: MediaBackend): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const out: INodeExecutionData[] = [];
	// One client per user for the whole run, so an id index is read once, not once per item.
	const clients = new Map<string, Promise<MediaClient>>();
	let acting: Promise<HouseholdActing> | undefined;
	for (let i = 0; i < items.length; i++) {
		try {
			const resource = ctx.getNodeParameter('resource', i) as string;
			const operation = ctx.getNodeParameter('operation', i) as string;
			const household = actsForHousehold(ctx, resource, operation, i);
			const userId = backend === 'plex' || resource === 'user' || household ? '' : String(ctx.getNodeParameter('userId', i, '', { extractValue: true }) ?? '');
			const request = ctx.getNodeParameter('requestOptions', i, {}) as RequestOptions;
			const lookup: LookupOptions = {
				lookup: items.length > TARGETED_LOOKUP_MAX_ITEMS ? 'index' : 'targeted',
				indexFallback: operation !== 'apply' || (ctx.getNodeParameter('applyOptions', i, {}) as IDataObject).libraryFallback !== false,
			};
			const clientFor = (user: string, identity?: PlexIdentity) => {
				const key = `${user}|${identity ? 'member' : ''}|${JSON.stringify(request)}|${JSON.stringify(lookup)}`;
				if (!clients.has(key)) clients.set(key, createClient(ctx, backend, request, user, lookup, identity));
				return clients.get(key)!;
			};
			let results: IDataObject[];
			if (household) {
				acting ??= HouseholdActing.load(ctx).then(async (h) => new HouseholdActing(ctx, backend, h, await clientFor(''), (user, identity) => clientFor(user.id, identity)));
				results = await runForHousehold(ctx, await acting, resource, operation, i);
			} else {
				results = await runOperation(ctx, await clientFor(userId), resource, operation, i);
			}
			for (const json of results) out.push({ json, pairedItem: { item: i } });
		} catch (error) {
			const nodeError = toNodeError(ctx, error, i);
			if (ctx.continueOnFail()) {
				out.push({ json: { error: nodeError.message }, pairedItem: { item: i } });
				continue;
			}
			throw nodeError;
		}
	}
	return [out];
}
