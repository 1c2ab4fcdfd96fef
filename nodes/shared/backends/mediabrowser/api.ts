/**
 * Jellyfin and Emby clients. They share the MediaBrowser API; what differs is kept in the two
 * subclasses: the routes each version documents (Jellyfin 10.9+ query-style, 10.8 and Emby
 * `/Users/{userId}/…`), how a resume position is written (Jellyfin applies the fields sent,
 * Emby replaces the whole user-data record), the date format of a play, the lookup by external
 * id (Emby `AnyProviderIdEquals`, Jellyfin an id index) and listing users.
 */
import { BackendError, mapLimit, requestJson, type HttpRequest, type QueryValue } from '../../transport/http';
import { guidsFromProviderIds, isPlainObject } from '../../media/guids';
import { IdIndex, LOOKUP_ORDER, matchesQuery, sharesAnyId } from '../../sync/idindex';
import type { Guids, WatchItem } from '../../model';
import { searchTerms, titleCore } from '../../media/titles';
import { msToTicks, parseTime, toCompactUtc, toText } from '../../media/units';
import { convertPage, distinctIds, wholeListing } from '../listing';
import { keepForQuery, selectLibraries, type ClientOptions, type FindQuery, type LibraryInfo, type MediaClient, type PlayingNow, type UserInfo, type WatchStateQuery } from '../client';
import { WATCHED_PERCENT } from '../../sync/rules';
import { mediaBrowserItemToWatchItem } from './item';

const ITEM_FIELDS = 'ProviderIds,DateCreated';

/**
 * Every paged read asks for one order that does not depend on the page: without SortBy a
 * server orders by SortName (Jellyfin 10.11+), which ties for every "S01E01 Pilot" across shows,
 * or not at all, and tied rows may land on two pages or none. DateCreated (ticks) then SortName
 * is as good as unique; what is left is caught by checking the ids (readItems).
 */
const STABLE_ORDER = { SortBy: 'DateCreated,SortName', SortOrder: 'Ascending' };

/** The routes of a server version; `userData` is absent where the version has no such endpoint. */
interface Routes {
	items: string;
	item(id: string): string;
	played(id: string): string;
	userData?: (id: string) => string;
	/** The rating route (POST ?Likes= / DELETE); every version has it. */
	rating(id: string): string;
	views: string;
	/** Whether user-scoped calls need `userId` in the query. */
	userInQuery: boolean;
}

function userRoutes(userId: string, withUserData: boolean): Routes {
	const u = `/Users/${encodeURIComponent(userId)}`;
	return {
		items: `${u}/Items`,
		item: (id) => `${u}/Items/${encodeURIComponent(id)}`,
		played: (id) => `${u}/PlayedItems/${encodeURIComponent(id)}`,
		userData: withUserData ? (id) => `${u}/Items/${encodeURIComponent(id)}/UserData` : undefined,
		rating: (id) => `${u}/Items/${encodeURIComponent(id)}/Rating`,
		views: `${u}/Views`,
		userInQuery: false,
	};
}

/** Jellyfin 10.9+: the routes its spec documents (the `/Users/{id}/…` ones are hidden there). */
const QUERY_ROUTES: Routes = {
	items: '/Items',
	item: (id) => `/Items/${encodeURIComponent(id)}`,
	played: (id) => `/UserPlayedItems/${encodeURIComponent(id)}`,
	userData: (id) => `/UserItems/${encodeURIComponent(id)}/UserData`,
	rating: (id) => `/UserItems/${encodeURIComponent(id)}/Rating`,
	views: '/UserViews',
	userInQuery: true,
};

export abstract class MediaBrowserClient implements MediaClient {
	abstract readonly backend: 'jellyfin' | 'emby';
	/** A play is marked with the date sent (datePlayed); a position write leaves the last played date as it is. */
	readonly datesWritesItself = false;
	requests = 0;
	private user?: Promise<string>;
	private routeSet?: Promise<Routes>;
	private index?: Promise<IdIndex>;
	/** Items read from the server for the lookup that returned them. */
	protected readonly fresh = new WeakSet<WatchItem>();

	constructor(protected readonly options: ClientOptions) {}

	isFresh(item: WatchItem): boolean {
		return this.fresh.has(item);
	}

	async serverIdentity(): Promise<string | undefined> {
		const info = await this.call('read server identity', { method: 'GET', path: '/System/Info/Public' });
		return isPlainObject(info) ? toText(info.Id) : undefined;
	}

	/**
	 * A position written through the user-data endpoint is stored as sent: the MaxResumePct rule
	 * applies to playback reports, not to UserData (UserDataManager.SaveUserData).
	 */
	async playedThresholdPercent(): Promise<number> {
		return WATCHED_PERCENT;
	}

	/** GET /Sessions: each session's user and the item it plays now (an API key sees every user's). */
	async playingNow(): Promise<PlayingNow[] | undefined> {
		const body = await this.call('read playing sessions', { method: 'GET', path: '/Sessions' }).catch((error: unknown) => {
			if (error instanceof BackendError && [401, 403].includes(error.status ?? 0)) return undefined;
			throw error;
		});
		if (!Array.isArray(body)) return undefined;
		return body.filter(isPlainObject).flatMap((session) => {
			const userId = toText(session.UserId)?.replace(/-/g, '').toLowerCase();
			const itemId = isPlainObject(session.NowPlayingItem) ? toText(session.NowPlayingItem.Id) : undefined;
			return userId && itemId ? [{ userId, itemId }] : [];
		});
	}

	protected abstract chooseRoutes(userId: string): Promise<Routes>;
	/** The user whose state is used when the node does not name one. */
	protected abstract defaultUser(): Promise<string>;
	/** `datePlayed` as this server's spec wants it. */
	protected abstract datePlayed(playedAt: string): string;
	/** Extra query of the libraries call (Emby's spec requires IncludeExternalContent). */
	protected viewsQuery(): Record<string, QueryValue> {
		return {};
	}
	abstract listUsers(): Promise<UserInfo[]>;
	abstract findItems(query: FindQuery): Promise<WatchItem[]>;
	abstract setPosition(item: WatchItem, positionMs: number): Promise<void>;
	abstract positionsUnsupported(): Promise<string | undefined>;

	protected async call(what: string, request: HttpRequest): Promise<unknown> {
		this.requests++;
		return await requestJson(this.options.send, this.options.retry, what, request);
	}

	protected userId(): Promise<string> {
		this.user ??= this.options.userId ? Promise.resolve(this.options.userId) : this.defaultUser();
		return this.user;
	}

	protected async routes(): Promise<Routes> {
		this.routeSet ??= this.userId().then((u) => this.chooseRoutes(u));
		return this.routeSet;
	}

	/** Query for a user-scoped call, with `userId` where the route generation wants it. */
	protected async scoped(query: Record<string, QueryValue> = {}): Promise<{ routes: Routes; query: Record<string, QueryValue> }> {
		const [routes, userId] = await Promise.all([this.routes(), this.userId()]);
		return { routes, query: routes.userInQuery ? { userId, ...query } : query };
	}

	async listLibraries(): Promise<LibraryInfo[]> {
		const { routes, query } = await this.scoped(this.viewsQuery());
		const body = await this.call('list libraries', { method: 'GET', path: routes.views, query });
		const items = isPlainObject(body) && Array.isArray(body.Items) ? body.Items : [];
		return items.filter(isPlainObject).map((v) => ({
			id: String(v.Id),
			title: String(v.Name ?? ''),
			type: v.CollectionType === 'movies' ? 'movie' : v.CollectionType === 'tvshows' ? 'show' : String(v.CollectionType ?? 'other'),
			backend: this.backend,
		}));
	}

	private async itemsPage(what: string, query: Record<string, QueryValue>): Promise<{ items: unknown[]; total: number }> {
		const { routes } = await this.scoped();
		const body = await this.call(what, { method: 'GET', path: routes.items, query });
		if (!isPlainObject(body) || !Array.isArray(body.Items)) throw new BackendError(`${what}: the server did not answer with an item list`);
		return { items: body.Items as unknown[], total: Number(body.TotalRecordCount ?? body.Items.length) };
	}

	/**
	 * Pages through an Items query in one stable order: the first page gives the total, the rest
	 * run concurrently, each converted as it arrives (listing.ts). Every id must come back exactly
	 * once; if not (the library changed, or the server's order still had ties), the list is read
	 * again in one request, and a listing that is still short is an error, never a partial result.
	 */
	protected async readItems<T = unknown>(what: string, extra: Record<string, QueryValue>, convert: (row: unknown) => T | undefined = (row) => row as T): Promise<T[]> {
		const { query } = await this.scoped({ Recursive: true, ...STABLE_ORDER, ...extra });
		const size = this.options.pageSize;
		const converted = (rows: unknown[]) => convertPage(rows, idOf, convert);
		const first = await this.itemsPage(what, { ...query, StartIndex: 0, Limit: size });
		const starts: number[] = [];
		for (let start = size; start < first.total; start += size) starts.push(start);
		const rest = await mapLimit(starts, this.options.concurrency, async (start) => converted((await this.itemsPage(what, { ...query, StartIndex: start, Limit: size })).items));
		const items = wholeListing([converted(first.items), ...rest], first.total);
		if (items) return items;
		const whole = await this.itemsPage(what, { ...query, StartIndex: 0 });
		const all = converted(whole.items);
		const again = wholeListing([all], whole.total);
		if (again) return again;
		throw new BackendError(`${what}: got ${distinctIds([all])} distinct of ${whole.total} items; the listing changed or was cut short`);
	}

	/**
	 * Items whose last play is at or after `since`, newest first, read page by page until the
	 * plays are older. Both servers' MinDateLastSaved(ForUser) filter on when the item's metadata
	 * was saved, which a play never moves, so it cannot find new plays.
	 */
	protected async readPlayedSince(what: string, extra: Record<string, QueryValue>, since: string): Promise<unknown[]> {
		const { query } = await this.scoped({ Recursive: true, SortBy: 'DatePlayed,DateCreated,SortName', SortOrder: 'Descending', ...extra });
		const rows: unknown[] = [];
		const seen = new Set<string>();
		for (let start = 0; ; start += this.options.pageSize) {
			const page = await this.itemsPage(what, { ...query, StartIndex: start, Limit: this.options.pageSize });
			let older = false;
			for (const row of page.items) {
				const played = isPlainObject(row) && isPlainObject(row.UserData) ? parseTime(row.UserData.LastPlayedDate) : undefined;
				if (!played || played < since) {
					older = true;
					continue;
				}
				const id = isPlainObject(row) ? String(row.Id) : '';
				if (!seen.has(id)) rows.push(row);
				seen.add(id);
			}
			if (older || page.items.length < this.options.pageSize || start + page.items.length >= page.total) return rows;
		}
	}

	/**
	 * The user's most recently played items (by LastPlayedDate) and how many are played in all: the
	 * Watcher's poll for marks, which neither server's socket carries to an API key (see
	 * watcher/mediabrowser.ts). One small request whatever the library size.
	 */
	async recentlyPlayed(limit: number): Promise<{ total: number; ids: string[] }> {
		const { query } = await this.scoped({ Recursive: true, IncludeItemTypes: 'Movie,Episode', IsPlayed: true, SortBy: 'DatePlayed,DateCreated,SortName', SortOrder: 'Descending', EnableTotalRecordCount: true, StartIndex: 0, Limit: limit });
		const page = await this.itemsPage('list recently played', query);
		return { total: page.total, ids: page.items.filter(isPlainObject).map((row) => String(row.Id)) };
	}

	protected async seriesGuids(parentId?: string): Promise<Map<string, Guids>> {
		const rows = await this.readItems('list series', { IncludeItemTypes: 'Series', Fields: 'ProviderIds', ParentId: parentId });
		const map = new Map<string, Guids>();
		for (const r of rows) if (isPlainObject(r) && toText(r.Id)) map.set(String(r.Id), guidsFromProviderIds(r.ProviderIds));
		return map;
	}

	protected toItems(rows: unknown[], seriesGuids: Map<string, Guids> | undefined, userId: string, fileNames?: boolean): WatchItem[] {
		const toItem = this.converter(seriesGuids, userId, fileNames);
		const out: WatchItem[] = [];
		for (const row of rows) {
			const item = toItem(row);
			if (item) out.push(item);
		}
		return out;
	}

	private converter(seriesGuids: Map<string, Guids> | undefined, userId: string, fileNames?: boolean): (row: unknown) => WatchItem | undefined {
		const fallbackTime = new Date().toISOString();
		return (row) => mediaBrowserItemToWatchItem(row, { backend: this.backend, userId, seriesGuids, userDataRequested: true, fallbackTime, fileNames });
	}

	async listWatchState(query: WatchStateQuery = {}): Promise<WatchItem[]> {
		const userId = await this.userId();
		const libraries = selectLibraries(await this.listLibraries(), query.libraries, query.seenLibraries);
		// Server-side filters narrow the read; the same rules are re-applied to what comes back.
		const filters: Record<string, QueryValue> = {};
		if (query.only === 'played') filters.IsPlayed = true;
		if (query.only === 'inProgress') filters.Filters = 'IsResumable';
		const keep = query.keep ?? ((item: WatchItem) => item);
		const items: WatchItem[] = [];
		const all = !query.libraries || query.libraries.length === 0;
		for (const library of all ? [undefined] : libraries) {
			const parent = library?.id;
			const wantsShows = !library || library.type === 'show';
			const seriesGuids = wantsShows ? await this.seriesGuids(parent) : undefined;
			const types = !library ? 'Movie,Episode' : library.type === 'movie' ? 'Movie' : 'Episode';
			// Path only when asked: it is the longest field, and only id-less items keep it.
			const itemQuery = { IncludeItemTypes: types, Fields: query.fileNames ? `${ITEM_FIELDS},Path` : ITEM_FIELDS, EnableUserData: true, ParentId: parent, ...filters };
			const toItem = this.converter(seriesGuids, userId, query.fileNames);
			const convert = (row: unknown) => {
				const item = toItem(row);
				return item && keepForQuery(item, query) ? keep(item) : undefined;
			};
			// A full read is converted page by page; a catch-up's few rows are read whole.
			const listed = query.changedSince ? (await this.readPlayedSince('list items', itemQuery, query.changedSince)).map(convert) : await this.readItems('list items', itemQuery, convert);
			for (const item of listed) if (item) items.push(item);
		}
		return items;
	}

	protected async readDto(id: string): Promise<unknown> {
		const { routes, query } = await this.scoped();
		return await this.call(`read item ${id}`, { method: 'GET', path: routes.item(id), query });
	}

	async getItem(id: string): Promise<WatchItem> {
		const userId = await this.userId();
		const dto = await this.readDto(id);
		let seriesGuids: Map<string, Guids> | undefined;
		if (isPlainObject(dto) && dto.Type === 'Episode' && toText(dto.SeriesId)) {
			const series = await this.readDto(String(dto.SeriesId));
			if (isPlainObject(series)) seriesGuids = new Map([[String(dto.SeriesId), guidsFromProviderIds(series.ProviderIds)]]);
		}
		const item = mediaBrowserItemToWatchItem(dto, { backend: this.backend, userId, seriesGuids, userDataRequested: true, fallbackTime: new Date().toISOString() });
		if (!item) throw new BackendError(`read item ${id}: not a movie or an episode`);
		return item;
	}

	/** One Items query with `Ids` (comma delimited, in every Jellyfin and Emby spec). */
	async readStates(ids: string[]): Promise<Map<string, WatchItem>> {
		const out = new Map<string, WatchItem>();
		if (ids.length === 0) return out;
		const [{ routes, query }, userId] = await Promise.all([this.scoped({ Ids: ids.join(','), Fields: ITEM_FIELDS, EnableUserData: true }), this.userId()]);
		const body = await this.call(`read ${ids.length} items`, { method: 'GET', path: routes.items, query });
		const rows = isPlainObject(body) && Array.isArray(body.Items) ? body.Items : [];
		for (const item of this.toItems(rows, undefined, userId)) out.set(item.id, item);
		return out;
	}

	/** The id index, built from one full listing, for servers without a lookup by external id. */
	protected async indexed(query: FindQuery): Promise<WatchItem[]> {
		this.index ??= this.listWatchState().then((items) => IdIndex.of(items));
		return (await this.index).find(query);
	}

	async markPlayed(item: WatchItem, playedAt?: string): Promise<void> {
		const { routes, query } = await this.scoped(playedAt ? { datePlayed: this.datePlayed(playedAt) } : {});
		await this.call(`mark ${item.id} played`, { method: 'POST', path: routes.played(item.id), query });
	}

	async markUnplayed(item: WatchItem): Promise<void> {
		const { routes, query } = await this.scoped();
		await this.call(`mark ${item.id} unplayed`, { method: 'DELETE', path: routes.played(item.id), query });
	}

	protected async postUserData(item: WatchItem, body: Record<string, unknown>, what = `set position of ${item.id}`): Promise<void> {
		const { routes, query } = await this.scoped();
		if (!routes.userData) throw new BackendError((await this.positionsUnsupported()) ?? `${what}: this server has no user-data endpoint`);
		await this.call(what, { method: 'POST', path: routes.userData(item.id), query, body });
	}

	/** Removing a rating: DELETE on the rating route sets it to null (UserLibraryController.DeleteUserItemRating). */
	protected async removeRating(item: WatchItem): Promise<void> {
		const { routes, query } = await this.scoped();
		await this.call(`remove the rating of ${item.id}`, { method: 'DELETE', path: routes.rating(item.id), query });
	}

	abstract setRating(item: WatchItem, rating: number | null): Promise<void>;
	abstract ratingsUnsupported(): Promise<string | undefined>;
}

const idOf = (row: unknown): string => (isPlainObject(row) ? String(row.Id) : '');

export class JellyfinClient extends MediaBrowserClient {
	readonly backend = 'jellyfin' as const;
	private version?: string;

	/** 10.9 moved user-scoped routes to query style; 10.8 only has `/Users/{id}/…` (and no UserData). */
	protected async chooseRoutes(userId: string): Promise<Routes> {
		const info = await this.call('read server version', { method: 'GET', path: '/System/Info/Public' });
		this.version = isPlainObject(info) ? String(info.Version ?? '') : '';
		return supportsQueryRoutes(this.version) ? QUERY_ROUTES : userRoutes(userId, false);
	}

	/** The spec's date-time (the server also reads yyyyMMddHHmmss, but that is not documented). */
	protected datePlayed(playedAt: string): string {
		return playedAt;
	}

	/** A user token knows its user; an API key does not and needs the node's User. */
	protected async defaultUser(): Promise<string> {
		// An API key has no user: the server answers /Users/Me with 400, 401 or 404.
		const me = await this.call("read the token's user", { method: 'GET', path: '/Users/Me' }).catch((error: unknown) => {
			if (error instanceof BackendError && [400, 401, 404].includes(error.status ?? 0)) return undefined;
			throw error;
		});
		if (isPlainObject(me) && toText(me.Id)) return String(me.Id);
		throw new BackendError('this credential is an API key: choose the User whose watch state to use');
	}

	async positionsUnsupported(): Promise<string | undefined> {
		const routes = await this.routes();
		return routes.userData ? undefined : `Jellyfin ${this.version || 'before 10.9'} has no API to set a resume position (POST /UserItems/{itemId}/UserData came in 10.9); update the server to 10.9 or later`;
	}

	/** Jellyfin applies only the fields sent (UserDataManager.SaveUserData): favourites, ratings and play counts stay. */
	async setPosition(item: WatchItem, positionMs: number): Promise<void> {
		await this.postUserData(item, { PlaybackPositionTicks: msToTicks(positionMs) });
	}

	/**
	 * A rating through the user-data POST (`Rating` is applied when sent: UserDataManager.SaveUserData,
	 * v10.9.0 onwards); the rating route itself takes only `likes` (10 or 1), so 10.8 cannot store 1–10.
	 */
	async setRating(item: WatchItem, rating: number | null): Promise<void> {
		if (rating === null) return await this.removeRating(item);
		await this.postUserData(item, { Rating: rating }, `rate ${item.id}`);
	}

	async ratingsUnsupported(): Promise<string | undefined> {
		const routes = await this.routes();
		return routes.userData ? undefined : `Jellyfin ${this.version || 'before 10.9'} stores only likes, not a rating from 1 to 10 (a rating is sent through POST /UserItems/{itemId}/UserData, from 10.9)`;
	}

	async listUsers(): Promise<UserInfo[]> {
		const body = await this.call('list users', { method: 'GET', path: '/Users' });
		return (Array.isArray(body) ? body : []).filter(isPlainObject).map((u) => ({
			id: String(u.Id),
			name: String(u.Name ?? ''),
			isAdmin: isPlainObject(u.Policy) ? u.Policy.IsAdministrator === true : undefined,
			backend: 'jellyfin' as const,
		}));
	}

	/**
	 * Jellyfin has no query by external id (backend-apis.md §2.2): a title search (`searchTerm`,
	 * which matches names containing the term) with the ids checked finds one item in a few
	 * requests; many items at once, or an item the search misses, go through the index.
	 */
	async findItems(query: FindQuery): Promise<WatchItem[]> {
		if (this.options.lookup !== 'index') {
			const hits = await this.searchByTitle(query);
			if (hits.length > 0 || this.options.indexFallback === false) return hits;
		}
		return await this.indexed(query);
	}

	private async searchByTitle(query: FindQuery): Promise<WatchItem[]> {
		const userId = await this.userId();
		// A film: the version, up to three searches and the write; an episode: the version, up to
		// two series searches, the season's episodes and the write.
		const terms = query.type === 'movie' ? searchTerms(query.title, 3) : searchTerms(query.show?.title, 2);
		for (const term of terms) {
			const hits = query.type === 'movie' ? await this.searchMovies(term, query, userId) : await this.searchEpisodes(term, query, userId);
			if (hits.length > 0) {
				for (const hit of hits) this.fresh.add(hit);
				return hits;
			}
		}
		return [];
	}

	private async search(term: string, type: string, fields: string, limit: number): Promise<unknown[]> {
		const { routes, query } = await this.scoped({ searchTerm: term, IncludeItemTypes: type, Recursive: true, Fields: fields, EnableUserData: true, Limit: limit });
		const body = await this.call(`search ${type.toLowerCase()}`, { method: 'GET', path: routes.items, query });
		return isPlainObject(body) && Array.isArray(body.Items) ? body.Items : [];
	}

	private async searchMovies(term: string, query: FindQuery, userId: string): Promise<WatchItem[]> {
		return this.toItems(await this.search(term, 'Movie', ITEM_FIELDS, 50), undefined, userId).filter((i) => matchesQuery(i, query));
	}

	/** The series by title (its ids checked, or with no show ids its exact title), then its episodes of the season. */
	private async searchEpisodes(term: string, query: FindQuery, userId: string): Promise<WatchItem[]> {
		if (query.season === undefined || query.episode === undefined) return [];
		const showIds = query.show?.guids ?? {};
		const hasShowIds = Object.values(showIds).some(Boolean);
		const series = (await this.search(term, 'Series', 'ProviderIds', 20))
			.filter(isPlainObject)
			.filter((s) => (hasShowIds ? sharesAnyId(guidsFromProviderIds(s.ProviderIds), showIds) : titleCore(String(s.Name ?? '')) === titleCore(query.show?.title ?? '')));
		const hits: WatchItem[] = [];
		for (const s of series.slice(0, 3)) {
			const id = String(s.Id);
			const body = await this.call('list episodes', {
				method: 'GET',
				path: `/Shows/${encodeURIComponent(id)}/Episodes`,
				query: { userId, season: query.season, Fields: ITEM_FIELDS, EnableUserData: true },
			});
			const rows = isPlainObject(body) && Array.isArray(body.Items) ? body.Items : [];
			const seriesGuids = new Map([[id, guidsFromProviderIds(s.ProviderIds)]]);
			hits.push(...this.toItems(rows, seriesGuids, userId).filter((e) => e.season === query.season && e.episode === query.episode && matchesQuery(e, query)));
		}
		return hits;
	}
}

function supportsQueryRoutes(version: string): boolean {
	const [major, minor] = version.split('.').map(Number);
	return major > 10 || (major === 10 && minor >= 9);
}

/** Emby's user-data fields a POST must carry back, or Emby resets them (it replaces the record). */
const EMBY_USER_DATA = ['Rating', 'PlayCount', 'IsFavorite', 'LastPlayedDate', 'Played', 'PlaybackPositionTicks'] as const;
/** Emby's provider names, as it stores them ("Imdb=tt…|Tmdb=…"). */
const EMBY_PROVIDER: Partial<Record<keyof Guids, string>> = { imdb: 'Imdb', tmdb: 'Tmdb', tvdb: 'Tvdb' };

export class EmbyClient extends MediaBrowserClient {
	readonly backend = 'emby' as const;

	protected async chooseRoutes(userId: string): Promise<Routes> {
		return userRoutes(userId, true);
	}

	/** Emby's spec: "Format = yyyyMMddHHmmss". */
	protected datePlayed(playedAt: string): string {
		return toCompactUtc(playedAt);
	}

	protected viewsQuery(): Record<string, QueryValue> {
		return { IncludeExternalContent: false };
	}

	protected async defaultUser(): Promise<string> {
		throw new BackendError('Emby API keys have no user: choose the User whose watch state to use');
	}

	async positionsUnsupported(): Promise<string | undefined> {
		return undefined;
	}

	/**
	 * Emby's POST takes a whole UserItemDataDto and replaces the record, so a body with only the
	 * position would clear the favourite, the rating, the play count and the played flag. The
	 * current user data is read and sent back whole with only the one field changed.
	 */
	async setPosition(item: WatchItem, positionMs: number): Promise<void> {
		await this.rewriteUserData(item, { PlaybackPositionTicks: msToTicks(positionMs) }, `set position of ${item.id}`);
	}

	async setRating(item: WatchItem, rating: number | null): Promise<void> {
		if (rating === null) return await this.removeRating(item);
		await this.rewriteUserData(item, { Rating: rating }, `rate ${item.id}`);
	}

	async ratingsUnsupported(): Promise<string | undefined> {
		return undefined;
	}

	private async rewriteUserData(item: WatchItem, change: Record<string, unknown>, what: string): Promise<void> {
		const dto = await this.readDto(item.id);
		const current = isPlainObject(dto) && isPlainObject(dto.UserData) ? dto.UserData : {};
		const body: Record<string, unknown> = { Played: false, IsFavorite: false };
		for (const field of EMBY_USER_DATA) if (current[field] !== undefined) body[field] = current[field];
		await this.postUserData(item, { ...body, ...change }, what);
	}

	async listUsers(): Promise<UserInfo[]> {
		const body = await this.call('list users', { method: 'GET', path: '/Users/Query' });
		const rows = isPlainObject(body) && Array.isArray(body.Items) ? body.Items : Array.isArray(body) ? body : [];
		return rows.filter(isPlainObject).map((u) => ({
			id: String(u.Id),
			name: String(u.Name ?? ''),
			isAdmin: isPlainObject(u.Policy) ? u.Policy.IsAdministrator === true : undefined,
			backend: 'emby' as const,
		}));
	}

	/**
	 * One `AnyProviderIdEquals` request per id, in lookup order, until one finds the item: Emby
	 * filters on the first `prov.id` pair only, as a substring of its stored ids (the inherited
	 * MediaBrowser query code), so a list of pairs can miss an item known by a later id, and a
	 * short id can find unrelated items. Every answer is checked here: only items that share an
	 * id exactly are returned. Episodes without a hit are then looked up through their series.
	 */
	async findItems(query: FindQuery): Promise<WatchItem[]> {
		const userId = await this.userId();
		const type = query.type === 'movie' ? 'Movie' : 'Episode';
		for (const provider of LOOKUP_ORDER) {
			const pair = providerPair(provider, query.guids[provider]);
			if (!pair) continue;
			const rows = await this.readItems('find item', { AnyProviderIdEquals: pair, IncludeItemTypes: type, Fields: ITEM_FIELDS, EnableUserData: true });
			const seriesGuids = query.type === 'episode' ? await this.seriesOf(rows) : undefined;
			const hits = this.toItems(rows, seriesGuids, userId).filter((i) => matchesQuery(i, query));
			if (hits.length > 0) return this.freshly(hits);
		}
		if (query.type !== 'episode' || query.season === undefined || query.episode === undefined || !query.show) return [];
		for (const provider of LOOKUP_ORDER) {
			const pair = providerPair(provider, query.show.guids[provider]);
			if (!pair) continue;
			const series = (await this.readItems('find series', { AnyProviderIdEquals: pair, IncludeItemTypes: 'Series', Fields: 'ProviderIds' })).filter(
				(s) => isPlainObject(s) && sharesAnyId(guidsFromProviderIds(s.ProviderIds), query.show!.guids),
			) as Array<Record<string, unknown>>;
			const hits: WatchItem[] = [];
			for (const s of series) {
				const episodes = await this.call('list episodes', {
					method: 'GET',
					path: `/Shows/${encodeURIComponent(String(s.Id))}/Episodes`,
					query: { UserId: userId, Season: query.season, Fields: ITEM_FIELDS },
				});
				const rows = isPlainObject(episodes) && Array.isArray(episodes.Items) ? episodes.Items : [];
				const seriesGuids = new Map([[String(s.Id), guidsFromProviderIds(s.ProviderIds)]]);
				hits.push(...this.toItems(rows, seriesGuids, userId).filter((e) => e.season === query.season && e.episode === query.episode && matchesQuery(e, query)));
			}
			if (hits.length > 0) return this.freshly(hits);
		}
		return [];
	}

	private freshly(items: WatchItem[]): WatchItem[] {
		for (const item of items) this.fresh.add(item);
		return items;
	}

	private async seriesOf(rows: unknown[]): Promise<Map<string, Guids>> {
		const map = new Map<string, Guids>();
		const ids = [...new Set(rows.filter(isPlainObject).map((r) => toText(r.SeriesId)).filter((id): id is string => !!id))];
		await mapLimit(ids, this.options.concurrency, async (id) => {
			const s = await this.readDto(id);
			if (isPlainObject(s)) map.set(id, guidsFromProviderIds(s.ProviderIds));
		});
		return map;
	}
}

function providerPair(provider: keyof Guids, id: string | undefined): string | undefined {
	const name = EMBY_PROVIDER[provider];
	return name && id ? `${name}.${id}` : undefined;
}
