/**
 * Plex Media Server client (backend-apis.md §1.2). Always asks for JSON; pages listings with
 * X-Plex-Container-Start/Size; finds items through an id index built from one full listing per
 * client, because PMS only looks up its own `plex://` guids.
 */
import { BackendError, mapLimit, requestJson, type HttpRequest, type QueryValue } from '../../http';
import { IdIndex } from '../../idindex';
import type { Guids, WatchItem } from '../../model';
import { guidsFromPlex, isPlainObject } from '../../guids';
import { toText } from '../../units';
import { keepForQuery, selectLibraries, type ClientOptions, type FindQuery, type LibraryInfo, type MediaClient, type UserInfo, type WatchStateQuery } from '../client';
import { plexItemToWatchItem } from './item';

const LIBRARY = 'com.plexapp.plugins.library';
const TYPE = { movie: 1, show: 2, episode: 4 } as const;

export class PlexClient implements MediaClient {
	readonly backend = 'plex' as const;
	/** Requests made (after retries count as separate requests), for tests and benchmarks. */
	requests = 0;
	private index?: Promise<IdIndex>;
	private serverId?: Promise<string | undefined>;

	constructor(private readonly options: ClientOptions) {}

	/**
	 * Every call identifies the client: the spec requires X-Plex-Client-Identifier on each
	 * operation (PMS ignores timeline reports without it).
	 */
	private async call(what: string, request: HttpRequest): Promise<unknown> {
		this.requests++;
		const headers = { 'X-Plex-Client-Identifier': this.options.clientIdentifier ?? 'n8n-nodes-watchstate', 'X-Plex-Product': 'n8n-nodes-watchstate', ...request.headers };
		return await requestJson(this.options.send, this.options.retry, what, { ...request, headers });
	}

	private async container(what: string, path: string, query: Record<string, QueryValue> = {}): Promise<Record<string, unknown>> {
		const body = await this.call(what, { method: 'GET', path, query });
		if (!isPlainObject(body) || !isPlainObject(body.MediaContainer)) {
			throw new BackendError(`${what}: the server did not answer with a JSON MediaContainer`);
		}
		return body.MediaContainer;
	}

	private machineIdentifier(): Promise<string | undefined> {
		this.serverId ??= this.container('read server identity', '/identity').then((c) => toText(c.machineIdentifier));
		return this.serverId;
	}

	/** `/library/sections/all` as the spec documents it; servers older than it answer `/library/sections`. */
	async listLibraries(): Promise<LibraryInfo[]> {
		const c = await this.container('list libraries', '/library/sections/all').catch(async (error: unknown) => {
			if (error instanceof BackendError && error.status === 404) return await this.container('list libraries', '/library/sections');
			throw error;
		});
		const dirs = Array.isArray(c.Directory) ? c.Directory : [];
		return dirs.filter(isPlainObject).map((d) => ({ id: String(d.key), title: String(d.title ?? ''), type: String(d.type ?? ''), backend: 'plex' as const }));
	}

	async listUsers(): Promise<UserInfo[]> {
		const c = await this.container('list users', '/accounts');
		const accounts = Array.isArray(c.Account) ? c.Account : [];
		return accounts.filter(isPlainObject).map((a) => ({ id: String(a.id), name: String(a.name ?? ''), backend: 'plex' as const }));
	}

	/** Reads a whole section listing, page by page, with limited concurrency after the first page. */
	private async readSection(sectionId: string, type: number): Promise<unknown[]> {
		const size = this.options.pageSize;
		const page = (start: number) =>
			this.container(`list library ${sectionId}`, `/library/sections/${encodeURIComponent(sectionId)}/all`, {
				type,
				includeGuids: 1,
				'X-Plex-Container-Start': start,
				'X-Plex-Container-Size': size,
			});
		const first = await page(0);
		const total = Number(first.totalSize ?? first.size ?? 0);
		const rows = Array.isArray(first.Metadata) ? [...first.Metadata] : [];
		const starts: number[] = [];
		for (let start = size; start < total; start += size) starts.push(start);
		const rest = await mapLimit(starts, this.options.concurrency, async (start) => {
			const c = await page(start);
			return Array.isArray(c.Metadata) ? c.Metadata : [];
		});
		for (const r of rest) rows.push(...r);
		if (rows.length < total) throw new BackendError(`list library ${sectionId}: got ${rows.length} of ${total} items; the listing changed or was cut short`);
		return rows;
	}

	async listWatchState(query: WatchStateQuery = {}): Promise<WatchItem[]> {
		const [libraries, serverId] = await Promise.all([this.listLibraries(), this.machineIdentifier()]);
		const now = new Date().toISOString();
		const items: WatchItem[] = [];
		for (const library of selectLibraries(libraries, query.libraries)) {
			if (library.type === 'movie') {
				for (const row of await this.readSection(library.id, TYPE.movie)) {
					const item = plexItemToWatchItem(row, { serverId, fallbackTime: now });
					if (item && keepForQuery(item, query)) items.push(item);
				}
			} else if (library.type === 'show') {
				const showGuids = new Map<string, Guids>();
				for (const row of await this.readSection(library.id, TYPE.show)) {
					if (isPlainObject(row) && toText(row.ratingKey)) showGuids.set(String(row.ratingKey), guidsFromPlex(row.Guid, row.guid).guids);
				}
				for (const row of await this.readSection(library.id, TYPE.episode)) {
					const item = plexItemToWatchItem(row, { serverId, showGuids, fallbackTime: now });
					if (item && keepForQuery(item, query)) items.push(item);
				}
			}
		}
		return items;
	}

	/** The metadata endpoint sends Guid by default (its spec has no includeGuids). */
	async getItem(id: string): Promise<WatchItem> {
		const c = await this.container(`read item ${id}`, `/library/metadata/${encodeURIComponent(id)}`);
		const meta = Array.isArray(c.Metadata) ? c.Metadata[0] : undefined;
		let showGuids: Map<string, Guids> | undefined;
		if (isPlainObject(meta) && meta.type === 'episode' && toText(meta.grandparentRatingKey)) {
			const showId = String(meta.grandparentRatingKey);
			const show = await this.container(`read show ${showId}`, `/library/metadata/${encodeURIComponent(showId)}`);
			const row = Array.isArray(show.Metadata) ? show.Metadata[0] : undefined;
			if (isPlainObject(row)) showGuids = new Map([[showId, guidsFromPlex(row.Guid, row.guid).guids]]);
		}
		const item = plexItemToWatchItem(meta, { serverId: await this.machineIdentifier(), showGuids, fallbackTime: new Date().toISOString() });
		if (!item) throw new BackendError(`read item ${id}: not a movie or an episode`);
		return item;
	}

	async findItems(query: FindQuery): Promise<WatchItem[]> {
		this.index ??= this.listWatchState().then((items) => IdIndex.of(items));
		return (await this.index).find(query);
	}

	/** PMS has no "watched at" parameter: the play is recorded at the time of the call. */
	async markPlayed(item: WatchItem): Promise<void> {
		await this.call(`mark ${item.id} played`, { method: 'PUT', path: '/:/scrobble', query: { key: item.id, identifier: LIBRARY } });
	}

	async markUnplayed(item: WatchItem): Promise<void> {
		await this.call(`mark ${item.id} unplayed`, { method: 'PUT', path: '/:/unscrobble', query: { key: item.id, identifier: LIBRARY } });
	}

	async positionsUnsupported(): Promise<string | undefined> {
		return undefined;
	}

	/**
	 * Through /:/timeline (works for the token's own user, unlike /:/progress for others); PMS
	 * ignores it without a client identifier (sent on every call) and a duration.
	 */
	async setPosition(item: WatchItem, positionMs: number): Promise<void> {
		const durationMs = item.durationMs ?? (await this.getItem(item.id)).durationMs;
		if (!durationMs) throw new BackendError(`set position of ${item.id}: the item has no duration`);
		await this.call(`set position of ${item.id}`, {
			method: 'POST',
			path: '/:/timeline',
			query: {
				ratingKey: item.id,
				key: `/library/metadata/${item.id}`,
				state: 'stopped',
				time: Math.round(positionMs),
				duration: durationMs,
			},
		});
	}
}
