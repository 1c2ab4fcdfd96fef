/**
 * Plex Media Server client (backend-apis.md §1.2). Always asks for JSON; pages listings with
 * X-Plex-Container-Start/Size. PMS looks up only its own `plex://` guids, so an item is found by
 * a title search in its sections with the ids checked (a few requests, whatever the library size),
 * or, for many items at once or when the search finds nothing, through an id index built from
 * one full listing per client.
 */
import { BackendError, mapLimit, requestJson, type HttpRequest, type QueryValue } from '../../transport/http';
import { IdIndex, matchesQuery, sharesAnyId } from '../../sync/idindex';
import { searchTerms, titleCore } from '../../media/titles';
import type { Guids, WatchItem } from '../../model';
import { guidsFromPlex, isPlainObject } from '../../media/guids';
import { parseTime, toCount, toText } from '../../media/units';
import { convertPage, distinctIds, wholeListing } from '../listing';
import { keepForQuery, selectLibraries, type ClientOptions, type FindQuery, type LibraryInfo, type MediaClient, type PlayingNow, type UserInfo, type WatchStateQuery } from '../client';
import { WATCHED_PERCENT } from '../../sync/rules';
import { plexItemToWatchItem } from './item';

const LIBRARY = 'com.plexapp.plugins.library';
const TYPE = { movie: 1, show: 2, episode: 4 } as const;

/** Up to this many shows in a window's episodes are read one by one rather than listed whole. */
const FEW_SHOWS = 25;

/** Who a /status/sessions row says plays a session. */
export interface PlexSessionOwner {
	userId: string;
	userName?: string;
	player?: { title?: string; id?: string; local: boolean };
}

export class PlexClient implements MediaClient {
	readonly backend = 'plex' as const;
	readonly datesWritesItself = true;
	/** Requests made (after retries count as separate requests), for tests and benchmarks. */
	requests = 0;
	private index?: Promise<IdIndex>;
	private serverId?: Promise<string | undefined>;
	private libraries?: Promise<LibraryInfo[]>;
	private threshold?: Promise<number>;
	/** Items a title search read for the lookup that returned them. */
	private readonly fresh = new WeakSet<WatchItem>();

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

	serverIdentity(): Promise<string | undefined> {
		return this.machineIdentifier();
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
		// PMS lists its system account (0) without a name: it is nobody's.
		return accounts
			.filter(isPlainObject)
			.map((a) => ({ id: String(a.id), name: String(a.name ?? ''), backend: 'plex' as const }))
			.filter((a) => a.name.trim() !== '');
	}

	/**
	 * Reads a whole section listing, page by page, with limited concurrency after the first page;
	 * each page is converted as it arrives (listing.ts), so the raw rows are never held whole.
	 */
	private async readSection<T>(sectionId: string, type: number, convert: (row: unknown) => T | undefined): Promise<T[]> {
		const size = this.options.pageSize;
		const path = `/library/sections/${encodeURIComponent(sectionId)}/all`;
		const page = (start: number) => this.container(`list library ${sectionId}`, path, { type, includeGuids: 1, 'X-Plex-Container-Start': start, 'X-Plex-Container-Size': size });
		const converted = (c: Record<string, unknown>) => convertPage(Array.isArray(c.Metadata) ? c.Metadata : [], ratingKeyOf, convert);
		const first = await page(0);
		const total = Number(first.totalSize ?? first.size ?? 0);
		const starts: number[] = [];
		for (let start = size; start < total; start += size) starts.push(start);
		const pages = [converted(first), ...(await mapLimit(starts, this.options.concurrency, async (start) => converted(await page(start))))];
		const items = wholeListing(pages, total);
		if (items) return items;
		// Pages that overlap or miss a row (the library changed between two pages): read it once more whole.
		const whole = await this.container(`list library ${sectionId}`, path, { type, includeGuids: 1 });
		const all = converted(whole);
		const wholeTotal = Number(whole.totalSize ?? whole.size ?? all.ids.length);
		const again = wholeListing([all], wholeTotal);
		if (again) return again;
		throw new BackendError(`list library ${sectionId}: got ${distinctIds([all])} distinct of ${wholeTotal} items; the listing changed or was cut short`);
	}

	/**
	 * Rows last viewed at or after `since`, newest first (`sort=lastViewedAt:desc`), page by page
	 * until the views are older: a catch-up of minutes reads a page, not the library. A play while
	 * reading moves an item to the top, so later pages shift down: rows may come twice (kept once),
	 * none is skipped. Never-viewed rows sort last (SQLite puts NULL last when descending).
	 */
	private async readViewedSince(sectionId: string, type: number, since: string): Promise<unknown[]> {
		const size = this.options.pageSize;
		const rows: unknown[] = [];
		const seen = new Set<string>();
		for (let start = 0; ; start += size) {
			const c = await this.container(`list library ${sectionId}`, `/library/sections/${encodeURIComponent(sectionId)}/all`, {
				type,
				includeGuids: 1,
				sort: 'lastViewedAt:desc',
				'X-Plex-Container-Start': start,
				'X-Plex-Container-Size': size,
			});
			const page = Array.isArray(c.Metadata) ? c.Metadata : [];
			let older = false;
			for (const row of page) {
				const viewed = isPlainObject(row) ? parseTime(toCount(row.lastViewedAt)) : undefined;
				if (!viewed || viewed < since) {
					older = true;
					continue;
				}
				const key = isPlainObject(row) ? String(row.ratingKey) : '';
				if (!seen.has(key)) rows.push(row);
				seen.add(key);
			}
			if (older || page.length < size || start + page.length >= Number(c.totalSize ?? c.size ?? 0)) return rows;
		}
	}

	/**
	 * The shows' ids for a catch-up window's episodes: each show's own metadata when there are
	 * few, else the section's show listing.
	 */
	private async showGuidsFor(sectionId: string, episodes: unknown[]): Promise<Map<string, Guids>> {
		const shows = new Set(episodes.filter(isPlainObject).map((e) => toText(e.grandparentRatingKey)).filter((k): k is string => Boolean(k)));
		if (shows.size > FEW_SHOWS) return await this.sectionShowGuids(sectionId);
		const showGuids = new Map<string, Guids>();
		const rows = await mapLimit([...shows], this.options.concurrency, async (key) => (await this.container(`read show ${key}`, `/library/metadata/${encodeURIComponent(key)}`)).Metadata);
		for (const list of rows) if (Array.isArray(list)) for (const [key, guids] of list.map(showGuidsOf)) if (key) showGuids.set(key, guids);
		return showGuids;
	}

	/** Every show's ids in the section, from its show listing. */
	private async sectionShowGuids(sectionId: string): Promise<Map<string, Guids>> {
		return new Map(await this.readSection(sectionId, TYPE.show, (row) => {
			const [key, guids] = showGuidsOf(row);
			return key ? ([key, guids] as const) : undefined;
		}));
	}

	async listWatchState(query: WatchStateQuery = {}): Promise<WatchItem[]> {
		const [libraries, serverId] = await Promise.all([this.listLibraries(), this.machineIdentifier()]);
		const now = new Date().toISOString();
		const keep = query.keep ?? ((item: WatchItem) => item);
		const kept = (item: WatchItem | undefined) => (item && keepForQuery(item, query) ? keep(item) : undefined);
		const options = { fallbackTime: now, fileNames: query.fileNames };
		const items: WatchItem[] = [];
		const since = query.changedSince;
		for (const library of selectLibraries(libraries, query.libraries, query.seenLibraries)) {
			if (library.type !== 'movie' && library.type !== 'show') continue;
			const type = library.type === 'movie' ? TYPE.movie : TYPE.episode;
			// A catch-up's few rows are read whole (they tell which shows to look up); a full read
			// is converted page by page, with the section's show ids read first.
			const rows = since ? await this.readViewedSince(library.id, type, since) : undefined;
			const showGuids = library.type === 'movie' ? undefined : rows ? await this.showGuidsFor(library.id, rows) : await this.sectionShowGuids(library.id);
			const convert = (row: unknown) => kept(plexItemToWatchItem(row, showGuids ? { ...options, showGuids } : { ...options, serverId }));
			for (const item of rows ? rows.map(convert) : await this.readSection(library.id, type, convert)) if (item) items.push(item);
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

	/** `/library/metadata/{ids}` takes a comma-separated list ("Get one or more metadata items", the PMS spec). */
	async readStates(ids: string[]): Promise<Map<string, WatchItem>> {
		const out = new Map<string, WatchItem>();
		if (ids.length === 0) return out;
		const c = await this.container(`read ${ids.length} items`, `/library/metadata/${ids.map(encodeURIComponent).join(',')}`).catch((error: unknown) => {
			// PMS answers 404 when none of the ids exists any more.
			if (error instanceof BackendError && error.status === 404) return { Metadata: [] };
			throw error;
		});
		const fallbackTime = new Date().toISOString();
		const serverId = await this.machineIdentifier();
		for (const row of Array.isArray(c.Metadata) ? c.Metadata : []) {
			const item = plexItemToWatchItem(row, { serverId, fallbackTime });
			if (item) out.set(item.id, item);
		}
		return out;
	}

	async findItems(query: FindQuery): Promise<WatchItem[]> {
		if (this.options.lookup !== 'index') {
			const hits = await this.searchByTitle(query);
			if (hits.length > 0 || this.options.indexFallback === false) return hits;
		}
		this.index ??= this.listWatchState().then((items) => IdIndex.of(items));
		return (await this.index).find(query);
	}

	isFresh(item: WatchItem): boolean {
		return this.fresh.has(item);
	}

	private sections(): Promise<LibraryInfo[]> {
		this.libraries ??= this.listLibraries();
		return this.libraries;
	}

	/**
	 * Each search term in turn, in every section of the item's kind, until an item's ids match:
	 * sections, up to three searches and the write for a film; sections, up to two show searches,
	 * the show's episodes and the write for an episode (at most 5 requests with one section of
	 * each kind). Items found this way carry no serverId: reading /identity for it would
	 * be one request more on every event.
	 */
	private async searchByTitle(query: FindQuery): Promise<WatchItem[]> {
		const terms = query.type === 'movie' ? searchTerms(query.title, 3) : searchTerms(query.show?.title, 2);
		if (terms.length === 0) return [];
		const sections = (await this.sections()).filter((l) => l.type === (query.type === 'movie' ? 'movie' : 'show'));
		for (const term of terms) {
			const hits: WatchItem[] = [];
			for (const section of sections) {
				hits.push(...(query.type === 'movie' ? await this.searchMovies(section.id, term, query) : await this.searchEpisodes(section.id, term, query)));
			}
			if (hits.length > 0) {
				for (const hit of hits) this.fresh.add(hit);
				return hits;
			}
		}
		return [];
	}

	private async searchSection(sectionId: string, type: number, term: string): Promise<unknown[]> {
		const c = await this.container(`search library ${sectionId}`, `/library/sections/${encodeURIComponent(sectionId)}/all`, { type, title: term, includeGuids: 1 });
		return Array.isArray(c.Metadata) ? c.Metadata : [];
	}

	private async searchMovies(sectionId: string, term: string, query: FindQuery): Promise<WatchItem[]> {
		const now = new Date().toISOString();
		return (await this.searchSection(sectionId, TYPE.movie, term))
			.map((row) => plexItemToWatchItem(row, { fallbackTime: now }))
			.filter((item): item is WatchItem => !!item && matchesQuery(item, query));
	}

	/**
	 * The show by title (its ids checked, or with no show ids its exact title), then its episode
	 * from the show's `/allLeaves`, by season and number (python-plexapi 4.16.1 video.py
	 * Show.episode): a show whose seasons are hidden (flattenSeasons) has no season level, and its
	 * `/children` are the episodes themselves.
	 */
	private async searchEpisodes(sectionId: string, term: string, query: FindQuery): Promise<WatchItem[]> {
		if (query.season === undefined || query.episode === undefined) return [];
		const wantedShowIds = query.show?.guids ?? {};
		const hasShowIds = Object.values(wantedShowIds).some(Boolean);
		const shows = (await this.searchSection(sectionId, TYPE.show, term)).filter(isPlainObject).filter((row) => {
			const guids = guidsFromPlex(row.Guid, row.guid).guids;
			return hasShowIds ? sharesAnyId(guids, wantedShowIds) : titleCore(String(row.title ?? '')) === titleCore(query.show?.title ?? '');
		});
		const now = new Date().toISOString();
		const hits: WatchItem[] = [];
		for (const show of shows.slice(0, 3)) {
			const showId = String(show.ratingKey);
			const episodes = await this.container(`read episodes of ${showId}`, `/library/metadata/${encodeURIComponent(showId)}/allLeaves`, { includeGuids: 1 });
			const showGuids = new Map([[showId, guidsFromPlex(show.Guid, show.guid).guids]]);
			for (const row of Array.isArray(episodes.Metadata) ? episodes.Metadata : []) {
				if (!isPlainObject(row) || Number(row.parentIndex) !== query.season || Number(row.index) !== query.episode) continue;
				const item = plexItemToWatchItem(row, { showGuids, fallbackTime: now });
				if (item && matchesQuery(item, query)) hits.push(item);
			}
		}
		return hits;
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

	/** `/:/rate` (community spec: rating 0–10; -1 removes it, python-plexapi mixins.py `rate`); PMS dates it now. */
	async setRating(item: WatchItem, rating: number | null): Promise<void> {
		await this.call(`rate ${item.id}`, { method: 'PUT', path: '/:/rate', query: { key: item.id, identifier: LIBRARY, rating: rating ?? -1 } });
	}

	async ratingsUnsupported(): Promise<string | undefined> {
		return undefined;
	}

	/**
	 * The server's "Video played threshold" (`LibraryVideoPlayedThreshold` in /:/prefs, default 90,
	 * support.plex.tv "Library" settings): a timeline report at or past it marks the item played.
	 * Only the owner may read prefs; a user's client asks the owner's (options.playedThreshold).
	 */
	playedThresholdPercent(): Promise<number> {
		this.threshold ??= (this.options.playedThreshold?.() ?? this.readThreshold()).catch(() => WATCHED_PERCENT);
		return this.threshold;
	}

	private async readThreshold(): Promise<number> {
		const c = await this.container('read server preferences', '/:/prefs').catch((error: unknown) => {
			if (error instanceof BackendError && [401, 403].includes(error.status ?? 0)) return undefined;
			throw error;
		});
		const setting = (Array.isArray(c?.Setting) ? c.Setting : []).filter(isPlainObject).find((x) => x.id === 'LibraryVideoPlayedThreshold');
		const value = Number(setting?.value);
		return Number.isFinite(value) && value > 0 && value <= 100 ? Math.min(value, WATCHED_PERCENT) : WATCHED_PERCENT;
	}

	/** /status/sessions: what is playing, by account id (the owner is account 1). Only the owner may read it. */
	async playingNow(): Promise<PlayingNow[] | undefined> {
		const c = await this.container('read playing sessions', '/status/sessions').catch((error: unknown) => {
			if (error instanceof BackendError && [401, 403].includes(error.status ?? 0)) return undefined;
			throw error;
		});
		if (!c) return undefined;
		return (Array.isArray(c.Metadata) ? c.Metadata : []).filter(isPlainObject).flatMap((m) => {
			const userId = isPlainObject(m.User) ? toText(m.User.id) : undefined;
			const itemId = toText(m.ratingKey);
			return userId && itemId ? [{ userId, itemId }] : [];
		});
	}

	/** /status/sessions by sessionKey: who plays it (account id, the owner is 1) and on which player; undefined when refused. */
	async sessionsByKey(): Promise<Map<string, PlexSessionOwner> | undefined> {
		const c = await this.container('read playing sessions', '/status/sessions').catch((error: unknown) => {
			if (error instanceof BackendError && [401, 403].includes(error.status ?? 0)) return undefined;
			throw error;
		});
		if (!c) return undefined;
		const out = new Map<string, PlexSessionOwner>();
		for (const m of (Array.isArray(c.Metadata) ? c.Metadata : []).filter(isPlainObject)) {
			const key = toText(m.sessionKey);
			const userId = isPlainObject(m.User) ? toText(m.User.id) : undefined;
			if (!key || !userId) continue;
			const player = isPlainObject(m.Player) ? { title: toText(m.Player.title), id: toText(m.Player.machineIdentifier), local: m.Player.local === true || m.Player.local === 1 || m.Player.local === '1' } : undefined;
			out.set(key, { userId, userName: isPlainObject(m.User) ? toText(m.User.title) : undefined, player });
		}
		return out;
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
			// python-plexapi's updateTimeline and watchstate's Progress both send the identifier.
			query: {
				ratingKey: item.id,
				key: `/library/metadata/${item.id}`,
				identifier: LIBRARY,
				state: 'stopped',
				time: Math.round(positionMs),
				duration: durationMs,
			},
		});
	}
}

/** A show row's ratingKey and ids ('' when it has no key). */
function showGuidsOf(row: unknown): [string, Guids] {
	return isPlainObject(row) && toText(row.ratingKey) ? [String(row.ratingKey), guidsFromPlex(row.Guid, row.guid).guids] : ['', {}];
}

const ratingKeyOf = (row: unknown): string => (isPlainObject(row) ? String(row.ratingKey) : '');
