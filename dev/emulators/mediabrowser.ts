/**
 * Emulated Jellyfin and Emby servers. Both descend from MediaBrowser and share most of the API;
 * the differences are explicit in `Flavor` (backend-apis.md §2.2, §3.2):
 * - auth: Jellyfin `Authorization: MediaBrowser Token="…"` or `?ApiKey=` (legacy headers only
 *   when enabled); Emby `X-Emby-Token` or `?api_key=`;
 * - ids: Jellyfin 32-hex GUIDs, Emby numeric strings;
 * - routes: Jellyfin serves the 10.9+ query-style routes (unless emulating an older version) and
 *   the legacy `/Users/{userId}/…` ones; Emby serves `/Users/{userId}/…`, with or without `/emby`;
 * - find: only Emby has `AnyProviderIdEquals` (Jellyfin ignores it, as unknown parameters are);
 * - Emby omits UserData of untouched items and answers the UserData POST with an empty body.
 * Units are .NET ticks (1 ms = 10 000 ticks); dates ISO-8601 with 7 fractional digits.
 */
import type { Guids } from '../../nodes/shared/model';
import { allItems, emptyState, type EmulatedUser, type ItemState, type SeedItem, type SeedLibrary, type SeedShow } from './library';
import { EmulatedServer, StateStore, type Reply, type RequestContext, type Route } from './server';

const TICKS = 10_000;

export interface MediaBrowserOptions {
	library: SeedLibrary;
	/** Regular users; `apiKey` acts as an administrator without being a user. */
	users: EmulatedUser[];
	apiKey: string;
	serverId?: string;
	name?: string;
	version?: string;
	/** Jellyfin: accept X-Emby-Token / api_key (on by default in 10.11, off on later versions). */
	legacyAuthorization?: boolean;
	/** Emby: behave like a server that ignores AnyProviderIdEquals (answers with everything). */
	ignoreProviderFilter?: boolean;
}

type Flavor = 'jellyfin' | 'emby';

function iso(ms: number): string {
	return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

function parseDatePlayed(value: string | null): number | undefined {
	if (!value) return undefined;
	const compact = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
	if (compact) {
		const [, y, mo, d, h, mi, s] = compact.map(Number);
		return Date.UTC(y, mo - 1, d, h, mi, s);
	}
	const t = Date.parse(value);
	return Number.isNaN(t) ? undefined : t;
}

abstract class MediaBrowserEmulator extends EmulatedServer {
	readonly state = new StateStore();
	readonly serverId: string;
	protected readonly items = new Map<string, SeedItem>();
	protected readonly shows = new Map<string, SeedShow>();
	protected abstract readonly flavor: Flavor;

	constructor(readonly options: MediaBrowserOptions) {
		super();
		this.serverId = options.serverId ?? 'a1b2c3d4e5f64718293a4b5c6d7e8f90';
		for (const item of allItems(options.library)) this.items.set(this.idOf(item), item);
		for (const show of options.library.shows) this.shows.set(this.showId(show), show);
	}

	abstract idOf(item: SeedItem): string;
	abstract showId(show: SeedShow): string;
	abstract seasonId(show: SeedShow, season: number): string;
	protected abstract libraryId(kind: 'movies' | 'tvshows'): string;
	/** The user a token acts as; `admin` for the API key. */
	protected abstract tokenOf(ctx: RequestContext): string | undefined;

	seedState(userId: string, item: SeedItem, state: Partial<ItemState>): void {
		this.state.set(userId, this.idOf(item), { ...emptyState(), ...state });
	}

	stateOf(userId: string, item: SeedItem): ItemState {
		return this.state.get(userId, this.idOf(item)) ?? emptyState();
	}

	/** Query parameters are case-insensitive on these servers (ASP.NET binding). */
	protected param(ctx: RequestContext, name: string): string | null {
		const lower = name.toLowerCase();
		for (const [k, v] of ctx.query) if (k.toLowerCase() === lower) return v;
		return null;
	}

	protected caller(ctx: RequestContext): EmulatedUser | 'admin' | undefined {
		const token = this.tokenOf(ctx);
		if (!token) return undefined;
		if (token === this.options.apiKey) return 'admin';
		return this.options.users.find((u) => u.token === token);
	}

	protected authenticate(ctx: RequestContext): Reply | undefined {
		if (/^\/System\/Info\/Public$/i.test(ctx.path)) return undefined;
		if (this.caller(ctx)) return undefined;
		return this.flavor === 'emby'
			? { status: 401, body: 'Access token is invalid or expired.', raw: true }
			: { status: 401, body: '', raw: true };
	}

	/** Resolves the user a user-scoped call acts on; a user token may only act on itself. */
	protected targetUser(ctx: RequestContext, fromPath?: string): EmulatedUser | Reply {
		const caller = this.caller(ctx)!;
		const wanted = fromPath ?? this.param(ctx, 'userId') ?? (caller === 'admin' ? undefined : caller.id);
		if (!wanted) return { status: 400, body: { message: 'userId is required' } };
		const user = this.options.users.find((u) => u.id === wanted.replace(/-/g, '').toLowerCase() || u.id === wanted);
		if (!user) return { status: 404, body: { message: 'User not found' } };
		if (caller !== 'admin' && caller.id !== user.id) return { status: 403, body: { message: 'Forbidden' } };
		return user;
	}

	protected userData(item: SeedItem, user: EmulatedUser): Record<string, unknown> | undefined {
		const id = this.idOf(item);
		const s = this.state.get(user.id, id);
		if (!s && this.flavor === 'emby') return undefined;
		const st = s ?? emptyState();
		const data: Record<string, unknown> = {
			PlaybackPositionTicks: st.positionMs * TICKS,
			PlayCount: st.playCount,
			IsFavorite: false,
			Played: st.played,
			Key: id,
			ItemId: id,
		};
		if (st.lastPlayedAt) data.LastPlayedDate = iso(st.lastPlayedAt);
		if (st.positionMs > 0) data.PlayedPercentage = (st.positionMs / item.durationMs) * 100;
		if (this.flavor === 'emby') data.ServerId = this.serverId;
		return data;
	}

	protected itemDto(item: SeedItem, user: EmulatedUser | undefined, fields: Set<string>): Record<string, unknown> {
		const id = this.idOf(item);
		const dto: Record<string, unknown> = {
			Name: item.title,
			ServerId: this.serverId,
			Id: id,
			RunTimeTicks: item.durationMs * TICKS,
			IsFolder: false,
			Type: item.kind === 'movie' ? 'Movie' : 'Episode',
			MediaType: 'Video',
			LocationType: 'FileSystem',
		};
		if (item.kind === 'movie') {
			dto.ProductionYear = item.year;
			dto.ParentId = this.libraryId('movies');
		} else {
			Object.assign(dto, {
				ProductionYear: item.show.year,
				IndexNumber: item.episode,
				ParentIndexNumber: item.season,
				SeriesName: item.show.title,
				SeriesId: this.showId(item.show),
				SeasonId: this.seasonId(item.show, item.season),
				SeasonName: `Season ${item.season}`,
				ParentId: this.seasonId(item.show, item.season),
			});
		}
		if (fields.has('providerids')) dto.ProviderIds = providerIds(item.guids);
		if (fields.has('datecreated')) dto.DateCreated = iso(item.addedAt);
		if (fields.has('path')) dto.Path = `/media/${item.kind === 'movie' ? 'movies' : 'tv'}/${item.title}.mkv`;
		if (user) {
			const data = this.userData(item, user);
			if (data) dto.UserData = data;
		}
		return dto;
	}

	protected seriesDto(show: SeedShow, fields: Set<string>): Record<string, unknown> {
		const dto: Record<string, unknown> = { Name: show.title, ServerId: this.serverId, Id: this.showId(show), Type: 'Series', IsFolder: true, ProductionYear: show.year };
		if (fields.has('providerids')) dto.ProviderIds = providerIds(show.guids);
		return dto;
	}

	/** The shared `Items` query: recursive listing with type, parent, played, date and id filters, paged. */
	protected listItems(ctx: RequestContext, user: EmulatedUser): Reply {
		const p = (n: string) => this.param(ctx, n);
		const fields = new Set((p('fields') ?? '').toLowerCase().split(',').filter(Boolean));
		const types = new Set((p('includeItemTypes') ?? 'Movie,Episode,Series').split(','));
		const parentId = p('parentId');
		const ids = p('ids') ? new Set(p('ids')!.split(',')) : undefined;
		const anyProvider = this.flavor === 'emby' && !this.options.ignoreProviderFilter && p('AnyProviderIdEquals') ? parseProviderFilter(p('AnyProviderIdEquals')!) : undefined;
		const isPlayed = p('isPlayed');
		const filters = new Set((p('filters') ?? '').split(',').filter(Boolean));
		const minSaved = p('minDateLastSavedForUser') ? Date.parse(p('minDateLastSavedForUser')!) : undefined;

		const rows: Array<Record<string, unknown>> = [];
		if (types.has('Series')) {
			for (const show of this.options.library.shows) {
				if (parentId && parentId !== this.libraryId('tvshows')) continue;
				if (ids && !ids.has(this.showId(show))) continue;
				if (anyProvider && !matchesProvider(show.guids, anyProvider)) continue;
				rows.push(this.seriesDto(show, fields));
			}
		}
		const candidates: SeedItem[] = [];
		if (types.has('Movie')) candidates.push(...this.options.library.movies);
		if (types.has('Episode')) candidates.push(...this.options.library.episodes);
		for (const item of candidates) {
			const id = this.idOf(item);
			if (parentId) {
				const parents = item.kind === 'movie' ? [this.libraryId('movies')] : [this.libraryId('tvshows'), this.showId(item.show), this.seasonId(item.show, item.season)];
				if (!parents.includes(parentId)) continue;
			}
			if (ids && !ids.has(id)) continue;
			if (anyProvider && !matchesProvider(item.guids, anyProvider)) continue;
			const st = this.state.get(user.id, id) ?? emptyState();
			if (isPlayed !== null && String(st.played) !== isPlayed.toLowerCase()) continue;
			if (filters.has('IsPlayed') && !st.played) continue;
			if (filters.has('IsResumable') && !(st.positionMs > 0)) continue;
			if (minSaved !== undefined && !(st.updatedAt >= minSaved)) continue;
			rows.push(this.itemDto(item, user, fields));
		}
		const start = Number(p('startIndex') ?? 0) || 0;
		const limit = p('limit') !== null ? Number(p('limit')) : rows.length;
		return { status: 200, body: { Items: rows.slice(start, start + limit), TotalRecordCount: rows.length, StartIndex: start } };
	}

	protected getItem(ctx: RequestContext, user: EmulatedUser, id: string): Reply {
		const item = this.items.get(id);
		if (item) return { status: 200, body: this.itemDto(item, user, new Set(['providerids', 'datecreated', 'path'])) };
		const show = this.shows.get(id);
		if (show) return { status: 200, body: this.seriesDto(show, new Set(['providerids'])) };
		return { status: 404, body: { message: 'Item not found' } };
	}

	protected markPlayed(ctx: RequestContext, user: EmulatedUser, id: string, played: boolean): Reply {
		const item = this.items.get(id);
		if (!item) return { status: 404, body: { message: 'Item not found' } };
		const prev = this.state.get(user.id, id) ?? emptyState();
		const now = Date.now();
		if (played) {
			const at = parseDatePlayed(this.param(ctx, 'datePlayed'));
			if (this.param(ctx, 'datePlayed') && at === undefined) return { status: 400, body: { message: 'invalid datePlayed' } };
			this.state.set(user.id, id, { played: true, playCount: Math.max(1, prev.playCount + (at ? 1 : 0)), lastPlayedAt: at ?? prev.lastPlayedAt ?? now, positionMs: 0, updatedAt: now });
			this.record({ userId: user.id, itemId: id, action: 'played', playedAt: at, method: ctx.method, path: ctx.path });
		} else {
			this.state.set(user.id, id, { played: false, playCount: 0, positionMs: 0, updatedAt: now });
			this.record({ userId: user.id, itemId: id, action: 'unplayed', method: ctx.method, path: ctx.path });
		}
		return { status: 200, body: this.userData(item, user) ?? {} };
	}

	protected saveUserData(ctx: RequestContext, user: EmulatedUser, id: string): Reply {
		const item = this.items.get(id);
		if (!item) return { status: 404, body: { message: 'Item not found' } };
		const body = (ctx.body ?? {}) as Record<string, unknown>;
		const ticks = body.PlaybackPositionTicks;
		if (ticks !== undefined && (typeof ticks !== 'number' || ticks < 0)) return { status: 400, body: { message: 'invalid PlaybackPositionTicks' } };
		const prev = this.state.get(user.id, id) ?? emptyState();
		const next: ItemState = { ...prev, updatedAt: Date.now() };
		if (typeof ticks === 'number') next.positionMs = Math.round(ticks / TICKS);
		if (typeof body.Played === 'boolean') next.played = body.Played;
		this.state.set(user.id, id, next);
		this.record({ userId: user.id, itemId: id, action: 'position', positionMs: next.positionMs, method: ctx.method, path: ctx.path });
		return this.flavor === 'emby' ? { status: 200 } : { status: 200, body: this.userData(item, user) };
	}

	protected publicInfo(): Reply {
		return {
			status: 200,
			body: {
				LocalAddress: this.url,
				ServerName: this.options.name ?? `emulator-${this.flavor}`,
				Version: this.options.version ?? (this.flavor === 'emby' ? '4.8.11.0' : '10.11.8'),
				ProductName: this.flavor === 'emby' ? 'Emby Server' : 'Jellyfin Server',
				OperatingSystem: '',
				Id: this.serverId,
				StartupWizardCompleted: true,
			},
		};
	}

	protected users(): Array<Record<string, unknown>> {
		return this.options.users.map((u) => ({ Name: u.name, ServerId: this.serverId, Id: u.id, HasPassword: true, Policy: { IsAdministrator: !!u.admin, IsDisabled: false, IsHidden: false } }));
	}

	protected views(): Reply {
		const lib = (kind: 'movies' | 'tvshows', name: string) => ({ Name: name, ServerId: this.serverId, Id: this.libraryId(kind), Type: 'CollectionFolder', CollectionType: kind, IsFolder: true });
		return { status: 200, body: { Items: [lib('movies', 'Movies'), lib('tvshows', 'Shows')], TotalRecordCount: 2, StartIndex: 0 } };
	}

	/** Wraps a user-scoped handler: resolves the user from the path or the query first. */
	protected scoped(handler: (ctx: RequestContext, user: EmulatedUser, id: string) => Reply, userInPath: boolean): (ctx: RequestContext) => Reply {
		return (ctx) => {
			const user = this.targetUser(ctx, userInPath ? ctx.params[0] : undefined);
			if ('status' in user) return user;
			return handler(ctx, user, userInPath ? ctx.params[1] : ctx.params[0]);
		};
	}
}

function providerIds(guids: Guids): Record<string, string> {
	const out: Record<string, string> = {};
	const names: Record<string, string> = { imdb: 'Imdb', tmdb: 'Tmdb', tvdb: 'Tvdb' };
	for (const [k, v] of Object.entries(guids)) if (v !== undefined && names[k]) out[names[k]] = v;
	return out;
}

function parseProviderFilter(value: string): Array<[string, string]> {
	return value
		.split(',')
		.map((pair) => pair.split('.'))
		.filter((p) => p.length === 2)
		.map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
}

function matchesProvider(guids: Guids, wanted: Array<[string, string]>): boolean {
	return wanted.some(([k, v]) => guids[k as keyof Guids] === v);
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
	const [a, b] = version.split('.').map(Number);
	return a > major || (a === major && b >= minor);
}

export class JellyfinEmulator extends MediaBrowserEmulator {
	protected readonly flavor = 'jellyfin' as const;

	idOf(item: SeedItem): string {
		return (item.kind === 'movie' ? 'a' : 'e') + item.n.toString(16).padStart(31, '0');
	}
	showId(show: SeedShow): string {
		return 's' + show.n.toString(16).padStart(31, '0');
	}
	seasonId(show: SeedShow, season: number): string {
		return 'c' + (show.n * 100 + season).toString(16).padStart(31, '0');
	}
	protected libraryId(kind: 'movies' | 'tvshows'): string {
		return kind === 'movies' ? 'f0000000000000000000000000000001' : 'f0000000000000000000000000000002';
	}

	protected tokenOf(ctx: RequestContext): string | undefined {
		const auth = String(ctx.headers.authorization ?? '');
		const m = /^(MediaBrowser|Emby)\s+(.*)$/i.exec(auth);
		if (m && (m[1].toLowerCase() === 'mediabrowser' || this.options.legacyAuthorization)) {
			const token = /Token="([^"]*)"/i.exec(m[2]);
			if (token) return token[1];
		}
		const apiKey = this.param(ctx, 'ApiKey');
		if (apiKey) return apiKey;
		if (this.options.legacyAuthorization) {
			return (ctx.headers['x-emby-token'] as string | undefined) ?? (ctx.headers['x-mediabrowser-token'] as string | undefined) ?? this.param(ctx, 'api_key') ?? undefined;
		}
		return undefined;
	}

	protected routes(): Route[] {
		const modern = versionAtLeast(this.options.version ?? '10.11.8', 10, 9);
		const legacy: Route[] = [
			{ method: 'GET', pattern: /^\/Users\/(\w+)\/Views$/i, handler: this.scoped(() => this.views(), true) },
			{ method: 'GET', pattern: /^\/Users\/(\w+)\/Items$/i, handler: (ctx) => this.withUser(ctx, ctx.params[0], (u) => this.listItems(ctx, u)) },
			{ method: 'GET', pattern: /^\/Users\/(\w+)\/Items\/(\w+)$/i, handler: this.scoped((ctx, u, id) => this.getItem(ctx, u, id), true) },
			{ method: 'POST', pattern: /^\/Users\/(\w+)\/PlayedItems\/(\w+)$/i, handler: this.scoped((ctx, u, id) => this.markPlayed(ctx, u, id, true), true) },
			{ method: 'DELETE', pattern: /^\/Users\/(\w+)\/PlayedItems\/(\w+)$/i, handler: this.scoped((ctx, u, id) => this.markPlayed(ctx, u, id, false), true) },
			{ method: 'POST', pattern: /^\/Users\/(\w+)\/Items\/(\w+)\/UserData$/i, handler: this.scoped((ctx, u, id) => this.saveUserData(ctx, u, id), true) },
		];
		const current: Route[] = [
			{ method: 'GET', pattern: /^\/UserViews$/i, handler: (ctx) => this.withUser(ctx, undefined, () => this.views()) },
			{ method: 'GET', pattern: /^\/Items$/i, handler: (ctx) => this.withUser(ctx, undefined, (u) => this.listItems(ctx, u)) },
			{ method: 'GET', pattern: /^\/Items\/(\w+)$/i, handler: this.scoped((ctx, u, id) => this.getItem(ctx, u, id), false) },
			{ method: 'POST', pattern: /^\/UserPlayedItems\/(\w+)$/i, handler: this.scoped((ctx, u, id) => this.markPlayed(ctx, u, id, true), false) },
			{ method: 'DELETE', pattern: /^\/UserPlayedItems\/(\w+)$/i, handler: this.scoped((ctx, u, id) => this.markPlayed(ctx, u, id, false), false) },
			{ method: 'POST', pattern: /^\/UserItems\/(\w+)\/UserData$/i, handler: this.scoped((ctx, u, id) => this.saveUserData(ctx, u, id), false) },
		];
		return [
			{ method: 'GET', pattern: /^\/System\/Info\/Public$/i, handler: () => this.publicInfo() },
			{ method: 'GET', pattern: /^\/System\/Info$/i, handler: () => ({ ...this.publicInfo(), body: { ...(this.publicInfo().body as object), HasPendingRestart: false } }) },
			{
				method: 'GET',
				pattern: /^\/Users$/i,
				handler: (ctx) => (this.caller(ctx) === 'admin' || (this.caller(ctx) as EmulatedUser).admin ? { status: 200, body: this.users() } : { status: 403, body: { message: 'Forbidden' } }),
			},
			{
				method: 'GET',
				pattern: /^\/Users\/Me$/i,
				handler: (ctx) => {
					const caller = this.caller(ctx);
					if (caller === 'admin' || !caller) return { status: 400, body: { message: 'API keys have no user' } };
					return { status: 200, body: this.users().find((u) => u.Id === caller.id) };
				},
			},
			...(modern ? current : []),
			...legacy,
		];
	}

	private withUser(ctx: RequestContext, fromPath: string | undefined, handler: (u: EmulatedUser) => Reply): Reply {
		const user = this.targetUser(ctx, fromPath);
		return 'status' in user ? user : handler(user);
	}
}

export class EmbyEmulator extends MediaBrowserEmulator {
	protected readonly flavor = 'emby' as const;

	idOf(item: SeedItem): string {
		return String(item.kind === 'movie' ? 100000 + item.n : 1000000 + item.n);
	}
	showId(show: SeedShow): string {
		return String(5000000 + show.n);
	}
	seasonId(show: SeedShow, season: number): string {
		return String(6000000 + show.n * 100 + season);
	}
	protected libraryId(kind: 'movies' | 'tvshows'): string {
		return kind === 'movies' ? '3' : '4';
	}

	protected stripPrefix(path: string): string {
		return path.replace(/^\/emby(?=\/)/i, '');
	}

	protected tokenOf(ctx: RequestContext): string | undefined {
		const header = ctx.headers['x-emby-token'] as string | undefined;
		if (header) return header;
		const auth = String(ctx.headers['x-emby-authorization'] ?? ctx.headers.authorization ?? '');
		const token = /Token="([^"]*)"/i.exec(auth);
		if (token) return token[1];
		return this.param(ctx, 'api_key') ?? undefined;
	}

	protected routes(): Route[] {
		const items = (ctx: RequestContext): Reply => {
			const user = this.targetUser(ctx, ctx.params[0]);
			return 'status' in user ? user : this.listItems(ctx, user);
		};
		return [
			{ method: 'GET', pattern: /^\/System\/Info\/Public$/i, handler: () => this.publicInfo() },
			{ method: 'GET', pattern: /^\/System\/Info$/i, handler: () => this.publicInfo() },
			{ method: 'GET', pattern: /^\/Users\/Query$/i, handler: () => ({ status: 200, body: { Items: this.users(), TotalRecordCount: this.options.users.length } }) },
			{ method: 'GET', pattern: /^\/Users$/i, handler: () => ({ status: 200, body: this.users() }) },
			{ method: 'GET', pattern: /^\/Users\/(\w+)\/Views$/i, handler: this.scoped(() => this.views(), true) },
			{ method: 'GET', pattern: /^\/Users\/(\w+)\/Items$/i, handler: items },
			{ method: 'GET', pattern: /^\/Users\/(\w+)\/Items\/(\w+)$/i, handler: this.scoped((ctx, u, id) => this.getItem(ctx, u, id), true) },
			{ method: 'POST', pattern: /^\/Users\/(\w+)\/PlayedItems\/(\w+)$/i, handler: this.scoped((ctx, u, id) => this.markPlayed(ctx, u, id, true), true) },
			{ method: 'DELETE', pattern: /^\/Users\/(\w+)\/PlayedItems\/(\w+)$/i, handler: this.scoped((ctx, u, id) => this.markPlayed(ctx, u, id, false), true) },
			{ method: 'POST', pattern: /^\/Users\/(\w+)\/PlayedItems\/(\w+)\/Delete$/i, handler: this.scoped((ctx, u, id) => this.markPlayed(ctx, u, id, false), true) },
			{ method: 'POST', pattern: /^\/Users\/(\w+)\/Items\/(\w+)\/UserData$/i, handler: this.scoped((ctx, u, id) => this.saveUserData(ctx, u, id), true) },
		];
	}
}
