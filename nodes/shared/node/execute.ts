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
import { POSITION_TOLERANCE_MS } from '../sync/rules';
import { EmbyClient, JellyfinClient } from '../backends/mediabrowser/api';
import { PlexClient } from '../backends/plex/api';
import { selectLibraries, type ClientOptions, type FindQuery, type MediaClient, type WatchStateQuery } from '../backends/client';
import { isPlainObject, makeGuids } from '../media/guids';
import { queryFor, searchable } from '../sync/idindex';
import type { WatchItem } from '../model';
import { parseTime, percentToMs } from '../media/units';
import type { MediaBackend } from './description';
import { toNodeError } from './errors';
import { connectionSettings, n8nSend, retryPolicy } from './transport';
import { splitList } from '../webhook/filters';
import { HouseholdActing } from './household';

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
 * A client of the node's server. Jellyfin / Emby act for `userId` with the credential's key; a
 * Plex client acts with `plexToken` (a household member's server token) instead of the credential's.
 */
export async function createClient(
	ctx: IExecuteFunctions | ILoadOptionsFunctions,
	backend: MediaBackend,
	request: RequestOptions,
	userId?: string,
	lookup: LookupOptions = {},
	plexToken?: string,
): Promise<MediaClient> {
	const settings = await connectionSettings(ctx, CREDENTIAL[backend], (request.timeout ?? 30) * 1000);
	const credentials = backend === 'plex' ? await ctx.getCredentials(CREDENTIAL.plex) : undefined;
	const clientIdentifier = credentials ? String(credentials.clientIdentifier || 'n8n-nodes-watchstate') : undefined;
	const options: ClientOptions = {
		send: plexToken ? n8nSend(ctx, settings, { 'X-Plex-Token': plexToken }) : n8nSend(ctx, settings),
		retry: retryPolicy(request.retries ?? 4),
		pageSize: request.pageSize ?? 200,
		concurrency: request.concurrency ?? 4,
		userId: userId || undefined,
		clientIdentifier,
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

export type ApplyAction = 'marked-played' | 'marked-unplayed' | 'progress' | 'skipped' | 'not-found';

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
	const results: IDataObject[] = [];
	for (const match of matches) {
		// Decide on fresh state: a match from an index read earlier in this run is read again.
		const target = client.isFresh(match) ? match : await client.getItem(match.id);
		const decision = await withinServerAbilities(client, decideApply(source, target, rules));
		if (!dryRun) {
			if (decision.step === 'mark-played') await client.markPlayed(target, decision.playedAt);
			if (decision.step === 'mark-unplayed') await client.markUnplayed(target);
			if (decision.step === 'set-position') await client.setPosition(target, decision.positionMs!);
		}
		results.push({
			action: DONE[decision.step],
			reason: decision.reason,
			...(decision.positionMs !== undefined ? { positionMs: decision.positionMs } : {}),
			source: sourceRef,
			target: target as unknown as IDataObject,
			dryRun,
		});
	}
	return results;
}

/** A position write on a server version that cannot take one is skipped, with the reason. */
async function withinServerAbilities(client: MediaClient, decision: ApplyDecision): Promise<ApplyDecision> {
	if (decision.step !== 'set-position') return decision;
	const unsupported = await client.positionsUnsupported();
	return unsupported ? { step: 'skip', reason: unsupported } : decision;
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
	return await applyPlanned(client, write, dryRun);
}

/** applyPlannedWrite without n8n: also what Sync Servers runs for every write it planned. */
export async function applyPlanned(client: MediaClient, write: PlannedWrite, dryRun: boolean): Promise<IDataObject> {
	const target = await client.getItem(write.target.id);
	let action: ApplyAction = 'skipped';
	let reason = write.reason;
	if (write.op === 'mark-played') {
		if (target.played === true) reason = 'already played';
		else action = 'marked-played';
	} else if (write.op === 'mark-unplayed') {
		if (target.played !== true) reason = target.played === false ? 'already unplayed' : 'target state is unknown';
		else if (Date.parse(target.updatedAt) > Date.parse(write.target.updatedAt)) reason = 'target changed after it was listed';
		else action = 'marked-unplayed';
	} else if (write.op === 'set-position' && write.positionMs !== undefined) {
		const unsupported = await client.positionsUnsupported();
		if (target.played === true) reason = 'target is played now';
		else if (Math.abs((target.positionMs ?? 0) - write.positionMs) < POSITION_TOLERANCE_MS) reason = 'position already in step';
		else if (unsupported) reason = unsupported;
		else action = 'progress';
	}
	if (!dryRun) {
		if (action === 'marked-played') await client.markPlayed(target, write.playedAt);
		if (action === 'marked-unplayed') await client.markUnplayed(target);
		if (action === 'progress') await client.setPosition(target, write.positionMs!);
	}
	return { action, reason, ...(action === 'progress' ? { positionMs: write.positionMs } : {}), source: write.source, target: target as unknown as IDataObject, dryRun };
}

async function runOperation(ctx: IExecuteFunctions, client: MediaClient, resource: string, operation: string, i: number): Promise<IDataObject[]> {
	const json = (item: WatchItem | object) => item as unknown as IDataObject;
	if (resource === 'user' && operation === 'getAll') return (await client.listUsers()).map(json);
	if (resource === 'library' && operation === 'getAll') return (await client.listLibraries()).map(json);
	if (resource === 'library' && operation === 'getWatchState') {
		const f = ctx.getNodeParameter('filters', i, {}) as IDataObject;
		const query: WatchStateQuery = {
			// A list from the editor; a comma-separated text from workflows of 0.1.0 or an expression.
			libraries: Array.isArray(f.libraries) ? f.libraries.map(String) : splitList(f.libraries),
			only: (f.only as WatchStateQuery['only']) ?? 'all',
			changedSince: f.changedSince ? parseTime(String(f.changedSince)) : undefined,
		};
		if (f.changedSince && !query.changedSince) throw new NodeOperationError(ctx.getNode(), `Changed Since "${String(f.changedSince)}" is not a date`, { itemIndex: i });
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
	if (resource === 'library') return await acting.readEveryone(async (client) => await runOperation(ctx, client, resource, operation, i));
	const json = ctx.getInputData()[i].json;
	if (json.kind === 'watchstate-write') {
		const write = json as unknown as PlannedWrite;
		const client = await acting.clientFor(String(write.target?.userId ?? ''));
		return [await applyPlannedWrite(ctx, client, i, write)];
	}
	const source = asWatchItem(json, ctx, i);
	const sourceRef = { backend: source.backend, id: source.id, title: source.title, event: source.event, userName: source.userName };
	const found = await acting.counterpart(source.backend, source.userName);
	if (!found.user) return [{ action: 'skipped', reason: `${found.reason}; nothing written`, source: sourceRef }];
	const client = await acting.clientFor(found.user.id);
	const user = { id: found.user.id, name: found.user.name, person: found.person.key };
	return (await applyWatchState(ctx, client, i, source)).map((result) => ({ ...result, user }));
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
			const clientFor = (user: string, plexToken?: string) => {
				const key = `${user}|${plexToken ? 'token' : ''}|${JSON.stringify(request)}|${JSON.stringify(lookup)}`;
				if (!clients.has(key)) clients.set(key, createClient(ctx, backend, request, user, lookup, plexToken));
				return clients.get(key)!;
			};
			let results: IDataObject[];
			if (household) {
				acting ??= HouseholdActing.load(ctx).then(async (h) => new HouseholdActing(ctx, backend, h, await clientFor(''), (user, token) => clientFor(user.id, token)));
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
