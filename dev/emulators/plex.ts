/**
 * Emulated Plex Media Server (backend-apis.md §1.2): JSON only with `Accept: application/json`
 * (XML otherwise), X-Plex-Token in a header or the query (401 with an HTML body without it),
 * zero-valued attributes omitted, paging by X-Plex-Container-Start/Size as headers or query,
 * per-user state (each user has a token), `/:/scrobble`, `/:/unscrobble`, `/:/progress` and
 * `/:/timeline` (which ignores updates without X-Plex-Client-Identifier, as PMS does).
 */
import { allItems, emptyState, type EmulatedUser, type ItemState, type SeedItem, type SeedLibrary, type SeedShow } from './library';
import { EmulatedServer, StateStore, type Reply, type RequestContext, type Route } from './server';

export interface PlexEmulatorOptions {
	library: SeedLibrary;
	/** The first user is the server owner. */
	users: EmulatedUser[];
	machineIdentifier?: string;
	name?: string;
	/** Give items legacy-agent guid strings instead of a Guid array. */
	legacyAgents?: boolean;
}

const MOVIE_SECTION = '1';
const SHOW_SECTION = '2';

export const plexKeys = {
	movie: (n: number) => String(100000 + n),
	show: (n: number) => String(5000000 + n),
	season: (show: number, season: number) => String(6000000 + show * 100 + season),
	episode: (n: number) => String(1000000 + n),
};

function hex24(prefix: string, n: number): string {
	return (prefix + n.toString(16)).padStart(24, '0');
}

export class PlexEmulator extends EmulatedServer {
	readonly state = new StateStore();
	readonly machineIdentifier: string;
	private readonly items = new Map<string, SeedItem>();
	private readonly shows = new Map<string, SeedShow>();

	constructor(readonly options: PlexEmulatorOptions) {
		super();
		this.machineIdentifier = options.machineIdentifier ?? '0123456789abcdef0123456789abcdef01234567';
		for (const item of allItems(options.library)) this.items.set(this.keyOf(item), item);
		for (const show of options.library.shows) this.shows.set(plexKeys.show(show.n), show);
	}

	keyOf(item: SeedItem): string {
		return item.kind === 'movie' ? plexKeys.movie(item.n) : plexKeys.episode(item.n);
	}

	/** Sets a user's state directly (test setup), without logging a write. */
	seedState(userId: string, item: SeedItem, state: Partial<ItemState>): void {
		this.state.set(userId, this.keyOf(item), { ...emptyState(), ...state });
	}

	stateOf(userId: string, item: SeedItem): ItemState {
		return this.state.get(userId, this.keyOf(item)) ?? emptyState();
	}

	private user(ctx: RequestContext): EmulatedUser {
		const token = (ctx.headers['x-plex-token'] as string | undefined) ?? ctx.query.get('X-Plex-Token') ?? '';
		return this.options.users.find((u) => u.token === token)!;
	}

	protected authenticate(ctx: RequestContext): Reply | undefined {
		if (ctx.path === '/identity') return undefined;
		const token = (ctx.headers['x-plex-token'] as string | undefined) ?? ctx.query.get('X-Plex-Token');
		if (token && this.options.users.some((u) => u.token === token)) return undefined;
		return {
			status: 401,
			headers: { 'content-type': 'text/html' },
			body: '<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>',
			raw: true,
		};
	}

	private container(ctx: RequestContext, container: Record<string, unknown>, headers: Record<string, string> = {}): Reply {
		const accept = String(ctx.headers.accept ?? '');
		if (!accept.includes('application/json')) {
			const attrs = Object.entries(container)
				.filter(([, v]) => typeof v !== 'object')
				.map(([k, v]) => `${k}="${String(v)}"`)
				.join(' ');
			return { status: 200, headers: { ...headers, 'content-type': 'text/xml;charset=utf-8' }, body: `<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer ${attrs}/>`, raw: true };
		}
		return { status: 200, headers, body: { MediaContainer: container } };
	}

	protected routes(): Route[] {
		return [
			{ method: 'GET', pattern: /^\/identity$/, handler: (ctx) => this.container(ctx, { size: 0, claimed: true, machineIdentifier: this.machineIdentifier, version: '1.41.3.9314-a0bfb8370' }) },
			{
				method: 'GET',
				pattern: /^\/$/,
				handler: (ctx) => this.container(ctx, { size: 0, friendlyName: this.options.name ?? 'emulator-plex', machineIdentifier: this.machineIdentifier, version: '1.41.3.9314-a0bfb8370', platform: 'Linux' }),
			},
			{
				method: 'GET',
				pattern: /^\/accounts$/,
				handler: (ctx) => {
					if (this.user(ctx) !== this.options.users[0]) return { status: 401, body: 'owner only', raw: true };
					const Account = this.options.users.map((u, i) => ({ id: i === 0 ? 1 : Number(u.id), key: `/accounts/${i === 0 ? 1 : u.id}`, name: u.name }));
					return this.container(ctx, { size: Account.length, Account });
				},
			},
			{
				method: 'GET',
				pattern: /^\/library\/sections$/,
				handler: (ctx) =>
					this.container(ctx, {
						size: 2,
						Directory: [
							{ key: MOVIE_SECTION, title: 'Movies', type: 'movie', agent: 'tv.plex.agents.movie', uuid: 'section-movies', updatedAt: 1716000000 },
							{ key: SHOW_SECTION, title: 'TV Shows', type: 'show', agent: 'tv.plex.agents.series', uuid: 'section-shows', updatedAt: 1716000000 },
						],
					}),
			},
			{ method: 'GET', pattern: /^\/library\/sections\/(\w+)\/all$/, handler: (ctx) => this.listSection(ctx) },
			{ method: 'GET', pattern: /^\/library\/metadata\/(\d+)$/, handler: (ctx) => this.getMetadata(ctx) },
			...['GET', 'PUT'].flatMap((method) => [
				{ method, pattern: /^\/:\/scrobble$/, handler: (ctx: RequestContext) => this.scrobble(ctx, true) },
				{ method, pattern: /^\/:\/unscrobble$/, handler: (ctx: RequestContext) => this.scrobble(ctx, false) },
				{ method, pattern: /^\/:\/progress$/, handler: (ctx: RequestContext) => this.progress(ctx, ctx.query.get('key'), ctx.query.get('time')) },
			]),
			{
				method: 'POST',
				pattern: /^\/:\/timeline$/,
				handler: (ctx) => {
					// PMS ignores timeline reports from clients that do not identify themselves.
					if (!ctx.headers['x-plex-client-identifier'] || !ctx.query.get('duration')) return { status: 200 };
					return this.progress(ctx, ctx.query.get('ratingKey'), ctx.query.get('time'));
				},
			},
		];
	}

	private paging(ctx: RequestContext): { start: number; size: number } {
		const start = Number(ctx.headers['x-plex-container-start'] ?? ctx.query.get('X-Plex-Container-Start') ?? 0);
		const size = Number(ctx.headers['x-plex-container-size'] ?? ctx.query.get('X-Plex-Container-Size') ?? 1_000_000);
		return { start: Math.max(0, start || 0), size: Math.max(0, Number.isFinite(size) ? size : 1_000_000) };
	}

	private listSection(ctx: RequestContext): Reply {
		const [section] = ctx.params;
		const user = this.user(ctx);
		const type = ctx.query.get('type');
		const guids = ctx.query.get('includeGuids') === '1';
		let rows: Array<Record<string, unknown>>;
		if (section === MOVIE_SECTION && (type === null || type === '1')) {
			rows = this.options.library.movies.map((m) => this.itemJson(m, user, guids));
		} else if (section === SHOW_SECTION && (type === null || type === '2')) {
			rows = this.options.library.shows.map((s) => this.showJson(s, guids));
		} else if (section === SHOW_SECTION && type === '4') {
			rows = this.options.library.episodes.map((e) => this.itemJson(e, user, guids));
		} else if (section === MOVIE_SECTION || section === SHOW_SECTION) {
			rows = [];
		} else {
			return { status: 404, body: { message: 'section not found' } };
		}
		const { start, size } = this.paging(ctx);
		const page = rows.slice(start, start + size);
		return this.container(
			ctx,
			{ size: page.length, totalSize: rows.length, offset: start, librarySectionID: Number(section), Metadata: page },
			{ 'X-Plex-Container-Total-Size': String(rows.length), 'X-Plex-Container-Start': String(start) },
		);
	}

	private getMetadata(ctx: RequestContext): Reply {
		const [key] = ctx.params;
		const item = this.items.get(key);
		if (item) return this.container(ctx, { size: 1, Metadata: [this.itemJson(item, this.user(ctx), ctx.query.get('includeGuids') === '1')] });
		const show = this.shows.get(key);
		if (show) return this.container(ctx, { size: 1, Metadata: [this.showJson(show, true)] });
		return { status: 404, body: '<html><head><title>Not Found</title></head></html>', headers: { 'content-type': 'text/html' }, raw: true };
	}

	private guidFields(prefix: string, n: number, guids: Record<string, string | undefined>, include: boolean): Record<string, unknown> {
		if (this.options.legacyAgents) {
			const legacy = guids.imdb ? `com.plexapp.agents.imdb://${guids.imdb}?lang=en` : guids.tmdb ? `com.plexapp.agents.themoviedb://${guids.tmdb}?lang=en` : `local://${n}`;
			return { guid: legacy };
		}
		const fields: Record<string, unknown> = { guid: `plex://${prefix}/${hex24(prefix === 'movie' ? '1' : prefix === 'show' ? '2' : '3', n)}` };
		if (include) {
			const list = Object.entries(guids)
				.filter(([, v]) => v !== undefined)
				.map(([k, v]) => ({ id: `${k}://${v}` }));
			if (list.length > 0) fields.Guid = list;
		}
		return fields;
	}

	private showJson(show: SeedShow, includeGuids: boolean): Record<string, unknown> {
		return {
			ratingKey: plexKeys.show(show.n),
			key: `/library/metadata/${plexKeys.show(show.n)}/children`,
			...this.guidFields('show', show.n, { ...show.guids }, includeGuids),
			type: 'show',
			title: show.title,
			year: show.year,
			librarySectionID: Number(SHOW_SECTION),
			librarySectionTitle: 'TV Shows',
		};
	}

	private itemJson(item: SeedItem, user: EmulatedUser, includeGuids: boolean): Record<string, unknown> {
		const key = this.keyOf(item);
		const state = this.state.get(user.id, key) ?? emptyState();
		const base: Record<string, unknown> = {
			ratingKey: key,
			key: `/library/metadata/${key}`,
			...this.guidFields(item.kind, item.n, { ...item.guids }, includeGuids),
			type: item.kind,
			title: item.title,
		};
		if (item.kind === 'movie') {
			Object.assign(base, { librarySectionID: Number(MOVIE_SECTION), librarySectionTitle: 'Movies', year: item.year });
		} else {
			Object.assign(base, {
				librarySectionID: Number(SHOW_SECTION),
				librarySectionTitle: 'TV Shows',
				grandparentRatingKey: plexKeys.show(item.show.n),
				grandparentTitle: item.show.title,
				parentRatingKey: plexKeys.season(item.show.n, item.season),
				parentTitle: `Season ${item.season}`,
				parentIndex: item.season,
				index: item.episode,
				year: item.show.year,
			});
		}
		base.duration = item.durationMs;
		base.addedAt = Math.floor(item.addedAt / 1000);
		base.updatedAt = Math.floor(item.addedAt / 1000) + 60;
		// PMS omits zero values.
		if (state.playCount > 0) base.viewCount = state.playCount;
		if (state.positionMs > 0) base.viewOffset = state.positionMs;
		if (state.lastPlayedAt) base.lastViewedAt = Math.floor(state.lastPlayedAt / 1000);
		return base;
	}

	private scrobble(ctx: RequestContext, played: boolean): Reply {
		if (ctx.query.get('identifier') !== 'com.plexapp.plugins.library') return { status: 400, body: 'missing identifier', raw: true };
		const key = ctx.query.get('key');
		if (!key || !this.items.has(key)) return { status: 404, body: 'not found', raw: true };
		const user = this.user(ctx);
		const prev = this.state.get(user.id, key) ?? emptyState();
		const now = Date.now();
		this.state.set(
			user.id,
			key,
			played
				? { played: true, playCount: prev.playCount + 1, lastPlayedAt: now, positionMs: 0, updatedAt: now }
				: { played: false, playCount: 0, lastPlayedAt: prev.lastPlayedAt, positionMs: 0, updatedAt: now },
		);
		this.record({ userId: user.id, itemId: key, action: played ? 'played' : 'unplayed', method: ctx.method, path: ctx.path });
		return { status: 200 };
	}

	private progress(ctx: RequestContext, key: string | null, time: string | null): Reply {
		if (ctx.query.get('identifier') !== 'com.plexapp.plugins.library') return { status: 400, body: 'missing identifier', raw: true };
		const item = key ? this.items.get(key) : undefined;
		if (!key || !item) return { status: 404, body: 'not found', raw: true };
		const ms = Number(time);
		if (!Number.isFinite(ms) || ms < 0) return { status: 400, body: 'bad time', raw: true };
		const user = this.user(ctx);
		const prev = this.state.get(user.id, key) ?? emptyState();
		const now = Date.now();
		if (ms / item.durationMs > 0.9) {
			// PMS counts a report past 90 % as watched.
			this.state.set(user.id, key, { played: true, playCount: prev.playCount + 1, lastPlayedAt: now, positionMs: 0, updatedAt: now });
			this.record({ userId: user.id, itemId: key, action: 'played', method: ctx.method, path: ctx.path });
		} else {
			this.state.set(user.id, key, { ...prev, positionMs: ms, updatedAt: now });
			this.record({ userId: user.id, itemId: key, action: 'position', positionMs: ms, method: ctx.method, path: ctx.path });
		}
		return { status: 200 };
	}
}
