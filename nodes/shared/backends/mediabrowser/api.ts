/**
 * Jellyfin and Emby clients. They share the MediaBrowser API; what differs is kept in the two
 * subclasses: route generation (Jellyfin 10.9+ query-style routes vs `/Users/{userId}/…`),
 * the lookup by external id (Emby `AnyProviderIdEquals`, Jellyfin an id index), listing users.
 */
import { BackendError, mapLimit, requestJson, type HttpRequest, type QueryValue } from '../../http';
import { guidsFromProviderIds, isPlainObject } from '../../guids';
import { IdIndex } from '../../idindex';
import { GUID_KEYS, type Guids, type WatchItem } from '../../model';
import { msToTicks, toCompactUtc, toText } from '../../units';
import { keepForQuery, selectLibraries, type ClientOptions, type FindQuery, type LibraryInfo, type MediaClient, type UserInfo, type WatchStateQuery } from '../client';
import { mediaBrowserItemToWatchItem } from './item';

const ITEM_FIELDS = 'ProviderIds,DateCreated';

/** A route of either generation: the modern path with `userId` in the query, or the legacy path. */
interface Routes {
	items: string;
	item(id: string): string;
	played(id: string): string;
	userData(id: string): string;
	views: string;
	/** Whether user-scoped calls need `userId` in the query. */
	userInQuery: boolean;
}

function legacyRoutes(userId: string): Routes {
	const u = `/Users/${encodeURIComponent(userId)}`;
	return {
		items: `${u}/Items`,
		item: (id) => `${u}/Items/${encodeURIComponent(id)}`,
		played: (id) => `${u}/PlayedItems/${encodeURIComponent(id)}`,
		userData: (id) => `${u}/Items/${encodeURIComponent(id)}/UserData`,
		views: `${u}/Views`,
		userInQuery: false,
	};
}

const MODERN_ROUTES: Routes = {
	items: '/Items',
	item: (id) => `/Items/${encodeURIComponent(id)}`,
	played: (id) => `/UserPlayedItems/${encodeURIComponent(id)}`,
	userData: (id) => `/UserItems/${encodeURIComponent(id)}/UserData`,
	views: '/UserViews',
	userInQuery: true,
};

abstract class MediaBrowserClient implements MediaClient {
	abstract readonly backend: 'jellyfin' | 'emby';
	requests = 0;
	private user?: Promise<string>;
	private routeSet?: Promise<Routes>;
	private index?: Promise<IdIndex>;

	constructor(protected readonly options: ClientOptions) {}

	protected abstract chooseRoutes(userId: string): Promise<Routes>;
	/** The user whose state is used when the node does not name one. */
	protected abstract defaultUser(): Promise<string>;
	abstract listUsers(): Promise<UserInfo[]>;
	abstract findItems(query: FindQuery): Promise<WatchItem[]>;

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
		const { routes, query } = await this.scoped();
		const body = await this.call('list libraries', { method: 'GET', path: routes.views, query });
		const items = isPlainObject(body) && Array.isArray(body.Items) ? body.Items : [];
		return items.filter(isPlainObject).map((v) => ({
			id: String(v.Id),
			title: String(v.Name ?? ''),
			type: v.CollectionType === 'movies' ? 'movie' : v.CollectionType === 'tvshows' ? 'show' : String(v.CollectionType ?? 'other'),
			backend: this.backend,
		}));
	}

	/** Pages through an Items query: the first page gives the total, the rest run concurrently. */
	protected async readItems(what: string, extra: Record<string, QueryValue>): Promise<unknown[]> {
		const { routes, query } = await this.scoped({ Recursive: true, EnableTotalRecordCount: true, ...extra });
		const size = this.options.pageSize;
		const page = async (start: number) => {
			const body = await this.call(what, { method: 'GET', path: routes.items, query: { ...query, StartIndex: start, Limit: size } });
			if (!isPlainObject(body) || !Array.isArray(body.Items)) throw new BackendError(`${what}: the server did not answer with an item list`);
			return { items: body.Items as unknown[], total: Number(body.TotalRecordCount ?? body.Items.length) };
		};
		const first = await page(0);
		const starts: number[] = [];
		for (let start = size; start < first.total; start += size) starts.push(start);
		const rest = await mapLimit(starts, this.options.concurrency, async (start) => (await page(start)).items);
		const rows = [...first.items, ...rest.flat()];
		if (rows.length < first.total) throw new BackendError(`${what}: got ${rows.length} of ${first.total} items; the listing changed or was cut short`);
		return rows;
	}

	protected async seriesGuids(parentId?: string): Promise<Map<string, Guids>> {
		const rows = await this.readItems('list series', { IncludeItemTypes: 'Series', Fields: 'ProviderIds', ParentId: parentId });
		const map = new Map<string, Guids>();
		for (const r of rows) if (isPlainObject(r) && toText(r.Id)) map.set(String(r.Id), guidsFromProviderIds(r.ProviderIds));
		return map;
	}

	protected toItems(rows: unknown[], seriesGuids: Map<string, Guids> | undefined, userId: string): WatchItem[] {
		const fallbackTime = new Date().toISOString();
		const out: WatchItem[] = [];
		for (const row of rows) {
			const item = mediaBrowserItemToWatchItem(row, { backend: this.backend, userId, seriesGuids, userDataRequested: true, fallbackTime });
			if (item) out.push(item);
		}
		return out;
	}

	async listWatchState(query: WatchStateQuery = {}): Promise<WatchItem[]> {
		const userId = await this.userId();
		const libraries = selectLibraries(await this.listLibraries(), query.libraries);
		// Server-side filters narrow the read; the same rules are re-applied to what comes back.
		const filters: Record<string, QueryValue> = {};
		if (query.only === 'played') filters.IsPlayed = true;
		if (query.only === 'inProgress') filters.Filters = 'IsResumable';
		if (query.changedSince) filters.MinDateLastSavedForUser = query.changedSince;
		const items: WatchItem[] = [];
		const all = !query.libraries || query.libraries.length === 0;
		for (const library of all ? [undefined] : libraries) {
			const parent = library?.id;
			const wantsShows = !library || library.type === 'show';
			const seriesGuids = wantsShows ? await this.seriesGuids(parent) : undefined;
			const types = !library ? 'Movie,Episode' : library.type === 'movie' ? 'Movie' : 'Episode';
			const rows = await this.readItems('list items', { IncludeItemTypes: types, Fields: ITEM_FIELDS, EnableUserData: true, ParentId: parent, ...filters });
			items.push(...this.toItems(rows, seriesGuids, userId).filter((i) => keepForQuery(i, query)));
		}
		return items;
	}

	async getItem(id: string): Promise<WatchItem> {
		const { routes, query } = await this.scoped();
		const userId = await this.userId();
		const dto = await this.call(`read item ${id}`, { method: 'GET', path: routes.item(id), query });
		let seriesGuids: Map<string, Guids> | undefined;
		if (isPlainObject(dto) && dto.Type === 'Episode' && toText(dto.SeriesId)) {
			const series = await this.call(`read series ${String(dto.SeriesId)}`, { method: 'GET', path: routes.item(String(dto.SeriesId)), query });
			if (isPlainObject(series)) seriesGuids = new Map([[String(dto.SeriesId), guidsFromProviderIds(series.ProviderIds)]]);
		}
		const item = mediaBrowserItemToWatchItem(dto, { backend: this.backend, userId, seriesGuids, userDataRequested: true, fallbackTime: new Date().toISOString() });
		if (!item) throw new BackendError(`read item ${id}: not a movie or an episode`);
		return item;
	}

	/** The id index, built from one full listing, for servers without a lookup by external id. */
	protected async indexed(query: FindQuery): Promise<WatchItem[]> {
		this.index ??= this.listWatchState().then((items) => IdIndex.of(items));
		return (await this.index).find(query);
	}

	async markPlayed(item: WatchItem, playedAt?: string): Promise<void> {
		const { routes, query } = await this.scoped(playedAt ? { datePlayed: toCompactUtc(playedAt) } : {});
		await this.call(`mark ${item.id} played`, { method: 'POST', path: routes.played(item.id), query });
	}

	async markUnplayed(item: WatchItem): Promise<void> {
		const { routes, query } = await this.scoped();
		await this.call(`mark ${item.id} unplayed`, { method: 'DELETE', path: routes.played(item.id), query });
	}

	async setPosition(item: WatchItem, positionMs: number): Promise<void> {
		const { routes, query } = await this.scoped();
		await this.call(`set position of ${item.id}`, {
			method: 'POST',
			path: routes.userData(item.id),
			query,
			body: { PlaybackPositionTicks: msToTicks(positionMs) },
		});
	}
}

export class JellyfinClient extends MediaBrowserClient {
	readonly backend = 'jellyfin' as const;

	/** 10.9 moved user-scoped routes to query style; older servers only have the legacy ones. */
	protected async chooseRoutes(userId: string): Promise<Routes> {
		const info = await this.call('read server version', { method: 'GET', path: '/System/Info/Public' });
		const version = isPlainObject(info) ? String(info.Version ?? '') : '';
		const [major, minor] = version.split('.').map(Number);
		const modern = major > 10 || (major === 10 && minor >= 9);
		return modern ? MODERN_ROUTES : legacyRoutes(userId);
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

	async listUsers(): Promise<UserInfo[]> {
		const body = await this.call('list users', { method: 'GET', path: '/Users' });
		return (Array.isArray(body) ? body : []).filter(isPlainObject).map((u) => ({
			id: String(u.Id),
			name: String(u.Name ?? ''),
			isAdmin: isPlainObject(u.Policy) ? u.Policy.IsAdministrator === true : undefined,
			backend: 'jellyfin' as const,
		}));
	}

	/** Jellyfin has no query by external id (backend-apis.md §2.2): use the index. */
	async findItems(query: FindQuery): Promise<WatchItem[]> {
		return await this.indexed(query);
	}
}

export class EmbyClient extends MediaBrowserClient {
	readonly backend = 'emby' as const;

	protected async chooseRoutes(userId: string): Promise<Routes> {
		return legacyRoutes(userId);
	}

	protected async defaultUser(): Promise<string> {
		throw new BackendError('Emby API keys have no user: choose the User whose watch state to use');
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
	 * `AnyProviderIdEquals` finds items by any of their ids in one request. The answer is checked
	 * again here: a server that ignored the filter must not make us write to unrelated items.
	 */
	async findItems(query: FindQuery): Promise<WatchItem[]> {
		const userId = await this.userId();
		const direct = providerFilter(query.guids);
		if (direct) {
			const rows = await this.readItems('find item', {
				AnyProviderIdEquals: direct,
				IncludeItemTypes: query.type === 'movie' ? 'Movie' : 'Episode',
				Fields: ITEM_FIELDS,
				EnableUserData: true,
			});
			const seriesGuids = query.type === 'episode' ? await this.seriesOf(rows) : undefined;
			const hits = this.toItems(rows, seriesGuids, userId).filter((i) => sharesId(i.guids, query.guids));
			if (hits.length > 0) return hits;
		}
		const showFilter = query.type === 'episode' && query.season !== undefined && query.episode !== undefined ? providerFilter(query.show?.guids ?? {}) : undefined;
		if (!showFilter) return [];
		const series = await this.readItems('find series', { AnyProviderIdEquals: showFilter, IncludeItemTypes: 'Series', Fields: 'ProviderIds' });
		const hits: WatchItem[] = [];
		for (const s of series) {
			if (!isPlainObject(s) || !sharesId(guidsFromProviderIds(s.ProviderIds), query.show!.guids)) continue;
			const seriesGuids = new Map([[String(s.Id), guidsFromProviderIds(s.ProviderIds)]]);
			const episodes = await this.readItems('list episodes', { ParentId: String(s.Id), IncludeItemTypes: 'Episode', Fields: ITEM_FIELDS, EnableUserData: true });
			hits.push(...this.toItems(episodes, seriesGuids, userId).filter((e) => e.season === query.season && e.episode === query.episode));
		}
		return hits;
	}

	private async seriesOf(rows: unknown[]): Promise<Map<string, Guids>> {
		const map = new Map<string, Guids>();
		const { routes, query } = await this.scoped();
		const ids = [...new Set(rows.filter(isPlainObject).map((r) => toText(r.SeriesId)).filter((id): id is string => !!id))];
		await mapLimit(ids, this.options.concurrency, async (id) => {
			const s = await this.call(`read series ${id}`, { method: 'GET', path: routes.item(id), query });
			if (isPlainObject(s)) map.set(id, guidsFromProviderIds(s.ProviderIds));
		});
		return map;
	}
}

function providerFilter(guids: Guids): string | undefined {
	const pairs = GUID_KEYS.filter((k) => guids[k]).map((k) => `${k}.${guids[k]}`);
	return pairs.length > 0 ? pairs.join(',') : undefined;
}

function sharesId(a: Guids, b: Guids): boolean {
	return GUID_KEYS.some((k) => !!a[k] && a[k] === b[k]);
}
