/**
 * Emulated Trakt API v2 (backend-apis.md §5): required headers (trakt-api-key, trakt-api-version),
 * scrobble start / pause / stop with the 1 %, 80 % and 409 rules, history (paged) add / remove,
 * playback, search by id, last activities, and the 1-write-per-second limit (429 + Retry-After).
 *
 * OAuth lives on its own host, as on Trakt (`auth` below; trakt/trakt-api oauth/index.ts: "Use the
 * https://auth.trakt.tv hostname for all OAuth requests ... Do not use the API hostname"; the API
 * host still answers, and the token log says which host was asked), and follows the contract: a code and every refresh must name the redirect URI the code was issued
 * for (tokenBaseSchema: redirect_uri required), refresh tokens are single-use, access tokens
 * last 7 days. The emulator's clock can be moved on (`advanceClock`) to let tokens expire.
 */
import type { Guids } from '../../nodes/shared/model';
import type { SeedEpisode, SeedLibrary, SeedMovie, SeedShow } from './library';
import { EmulatedServer, type Reply, type RequestContext, type Route } from './server';

export interface TraktEmulatorOptions {
	library: SeedLibrary;
	clientId: string;
	clientSecret: string;
	/** Enforce 1 write per second per user (on by default). */
	rateLimit?: boolean;
	/** A second stop of the same item within this many ms is a 409 (default 10 min). */
	scrobbleConflictMs?: number;
	/** Authenticated GETs per user per 5 minutes (Trakt's AUTHED_API_GET_LIMIT: 1,000). */
	getLimit?: number;
	/**
	 * How Trakt numbers an episode when that differs from the servers' numbering: Trakt keeps one
	 * order per show (TVDB's aired order), while a server may list an anime in absolute order
	 * (every episode in season 1) or a show in DVD order (trakt/trakt-api shows/index.ts: seasons
	 * and episodes are Trakt's own; an episode is found by its own tvdb / trakt id,
	 * idsRequestSchema.ts, or by Trakt's season and number).
	 */
	numbering?: (episode: SeedEpisode) => { season: number; number: number } | undefined;
}

/** Trakt's aired order for a show the servers list in absolute order: seasons of `perSeason` episodes. */
export function airedOrder(library: SeedLibrary, showN: number, perSeason: number): (e: SeedEpisode) => { season: number; number: number } | undefined {
	const episodes = library.episodes.filter((e) => e.show.n === showN);
	return (e) => {
		const i = episodes.indexOf(e);
		return i < 0 ? undefined : { season: Math.floor(i / perSeason) + 1, number: (i % perSeason) + 1 };
	};
}

interface HistoryEntry {
	id: number;
	watchedAt: string;
	action: 'scrobble' | 'watch';
	item: SeedMovie | SeedEpisode;
}

interface Playback {
	id: number;
	progress: number;
	pausedAt: string;
	item: SeedMovie | SeedEpisode;
}

const traktId = {
	movie: (m: SeedMovie) => 10_000 + m.n,
	show: (s: SeedShow) => 20_000 + s.n,
	episode: (e: SeedEpisode) => 30_000 + e.n,
};

/** The redirect URI Trakt shows the code on instead of redirecting (an app's default). */
export const TRAKT_OOB_REDIRECT = 'urn:ietf:wg:oauth:2.0:oob';

const ACCESS_TOKEN_LIFE_MS = 7 * 86_400_000;
/** Doorkeeper's default code lifetime, which Trakt runs on (its 401s say realm="Doorkeeper"). */
const CODE_LIFE_MS = 10 * 60_000;

interface Grant {
	user: string;
	redirectUri: string;
}

/** One token request as received, for tests to check what a client sent. */
export interface TokenRequest {
	grantType: string;
	refreshToken?: string;
	redirectUri?: string;
	status: number;
	/** Which host was asked: Trakt wants OAuth on auth.trakt.tv, the API host still answers it. */
	host: 'auth' | 'api';
}

export class TraktEmulator extends EmulatedServer {
	readonly history: HistoryEntry[] = [];
	readonly playback: Playback[] = [];
	/** The user's ratings by item (keyOf): one per item, a new one replaces it. */
	readonly ratings = new Map<string, { rating: number; ratedAt: string; item: SeedMovie | SeedEpisode }>();
	readonly scrobbles: Array<{ action: string; progress: number; item: string }> = [];
	/** The OAuth host (auth.trakt.tv); started and stopped with the API host. */
	readonly auth: TraktAuthHost;
	readonly tokenLog: TokenRequest[] = [];
	private nextId = 1;
	private readonly codes = new Map<string, Grant & { expiresAt: number }>();
	private readonly access = new Map<string, Grant & { expiresAt: number }>();
	private readonly refresh = new Map<string, Grant>();
	private readonly lastWrite = new Map<string, number>();
	private readonly gets = new Map<string, { windowStart: number; count: number }>();
	/** Requests refused by the rate limits (429). */
	rateLimited = 0;

	constructor(readonly options: TraktEmulatorOptions) {
		super();
		this.auth = new TraktAuthHost(this);
	}

	get tokenRequests(): number {
		return this.tokenLog.length;
	}


	/** Moves the emulator's clock on, e.g. past an access token's 7 days. */
	advanceClock(ms: number): void {
		this.clockOffsetMs += ms;
	}

	override async start(port = 0): Promise<string> {
		await this.auth.start();
		return await super.start(port);
	}

	override async stop(): Promise<void> {
		await this.auth.stop();
		await super.stop();
	}

	/** An authorization code as the authorize page hands it out for `redirectUri`. */
	issueCode(redirectUri = TRAKT_OOB_REDIRECT, user = 'alice'): string {
		const code = `dummy-trakt-code-${this.nextId++}`;
		this.codes.set(code, { user, redirectUri, expiresAt: this.now() + CODE_LIFE_MS });
		return code;
	}

	/** A valid token pair without the OAuth dance (tests, the demo). */
	issueTokens(user = 'alice', redirectUri = TRAKT_OOB_REDIRECT): { access_token: string; refresh_token: string; expires_at: string } {
		const pair = this.mint({ user, redirectUri });
		return { ...pair, expires_at: new Date(this.now() + ACCESS_TOKEN_LIFE_MS).toISOString() };
	}

	revokeAccessTokens(): void {
		this.access.clear();
	}

	/** What the user's "Revoke access" on trakt.tv does: no token of theirs works any more. */
	revokeAll(): void {
		this.access.clear();
		this.refresh.clear();
	}

	private mint(grant: Grant) {
		const n = this.nextId++;
		const pair = { access_token: `dummy-trakt-access-${n}`, refresh_token: `dummy-trakt-refresh-${n}` };
		this.access.set(pair.access_token, { ...grant, expiresAt: this.now() + ACCESS_TOKEN_LIFE_MS });
		this.refresh.set(pair.refresh_token, grant);
		return pair;
	}

	protected refusal(status: number, reason: string): Reply {
		return { status, body: { error: status === 404 ? 'not_found' : 'bad_request', error_description: reason } };
	}

	protected authenticate(ctx: RequestContext): Reply | undefined {
		if (ctx.path.startsWith('/oauth/')) return undefined;
		if (ctx.headers['trakt-api-key'] !== this.options.clientId) return { status: 403, body: { error: 'invalid api key' } };
		if (ctx.headers['trakt-api-version'] !== '2') return { status: 400, body: { error: 'trakt-api-version 2 required' } };
		// Search is public: the API key is enough (trakt-api contracts: only sync, scrobble and
		// users routes carry authMetadata('required')). An invalid token is refused everywhere.
		const auth = String(ctx.headers.authorization ?? '');
		const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
		if (!token && ctx.path.startsWith('/search/')) return undefined;
		const grant = token ? this.access.get(token) : undefined;
		if (!grant) return { status: 401, body: { error: 'invalid_token', error_description: 'The access token is invalid' } };
		if (grant.expiresAt <= this.now()) return { status: 401, body: { error: 'invalid_token', error_description: 'The access token expired' } };
		return undefined;
	}

	private user(ctx: RequestContext): string {
		return this.access.get(/^Bearer\s+(.+)$/i.exec(String(ctx.headers.authorization))![1])!.user;
	}

	/** 1 POST/PUT/DELETE per second per user; 1,000 authenticated GETs per 5 minutes. */
	private limited(ctx: RequestContext): Reply | undefined {
		if (this.options.rateLimit === false) return undefined;
		const user = this.user(ctx);
		const now = Date.now();
		if (ctx.method === 'GET') {
			const window = this.gets.get(user);
			if (!window || now - window.windowStart >= 300_000) {
				this.gets.set(user, { windowStart: now, count: 1 });
				return undefined;
			}
			if (++window.count <= (this.options.getLimit ?? 1000)) return undefined;
			this.rateLimited++;
			const retry = Math.ceil((window.windowStart + 300_000 - now) / 1000);
			return { status: 429, headers: { 'retry-after': String(retry), 'x-ratelimit': JSON.stringify({ name: 'AUTHED_API_GET_LIMIT', period: 300, limit: this.options.getLimit ?? 1000 }) }, body: { error: 'rate limit exceeded' } };
		}
		const last = this.lastWrite.get(user) ?? 0;
		if (now - last < 1000) {
			this.rateLimited++;
			const until = new Date(last + 1000).toISOString();
			return {
				status: 429,
				headers: { 'retry-after': '1', 'x-ratelimit': JSON.stringify({ name: 'AUTHED_API_POST_LIMIT', period: 1, limit: 1, remaining: 0, until }) },
				body: { error: 'rate limit exceeded' },
			};
		}
		this.lastWrite.set(user, now);
		return undefined;
	}

	protected routes(): Route[] {
		// Trakt's rate limits, for reads and writes of an authenticated user.
		const limit = (handler: (ctx: RequestContext) => Reply) => (ctx: RequestContext) => this.limited(ctx) ?? handler(ctx);
		return [
			// Still answered on the API host (clients posting there in 2026: trakt/trakt-api#888), logged as such.
			{ method: 'POST', pattern: /^\/oauth\/token$/, handler: (ctx) => this.token(ctx, 'api') },
			{ method: 'POST', pattern: /^\/scrobble\/(start|pause|stop)$/, handler: limit((ctx) => this.scrobble(ctx)) },
			{ method: 'GET', pattern: /^\/sync\/history(?:\/(movies|episodes|shows))?$/, handler: limit((ctx) => this.getHistory(ctx)) },
			{ method: 'GET', pattern: /^\/sync\/watched\/(movies|shows)$/, handler: limit((ctx) => this.getWatched(ctx.params[0] as 'movies' | 'shows')) },
			{ method: 'POST', pattern: /^\/sync\/history$/, handler: limit((ctx) => this.addHistory(ctx)) },
			{ method: 'POST', pattern: /^\/sync\/history\/remove$/, handler: limit((ctx) => this.removeHistory(ctx)) },
			{ method: 'GET', pattern: /^\/sync\/playback(?:\/(movies|episodes))?$/, handler: limit((ctx) => this.getPlayback(ctx)) },
			{
				method: 'DELETE',
				pattern: /^\/sync\/playback\/(\d+)$/,
				handler: limit((ctx) => {
					const i = this.playback.findIndex((p) => p.id === Number(ctx.params[0]));
					if (i < 0) return { status: 404, body: { error: 'not found' } };
					this.playback.splice(i, 1);
					return { status: 204 };
				}),
			},
			{ method: 'GET', pattern: /^\/search\/(trakt|imdb|tmdb|tvdb)\/([^/]+)$/, handler: (ctx) => this.search(ctx) },
			{ method: 'GET', pattern: /^\/sync\/last_activities$/, handler: limit(() => this.lastActivities()) },
			{ method: 'GET', pattern: /^\/sync\/ratings\/(movies|episodes)(?:\/([^/]+))?$/, handler: limit((ctx) => this.getRatings(ctx)) },
			{ method: 'POST', pattern: /^\/sync\/ratings$/, handler: limit((ctx) => this.addRatings(ctx)) },
			{ method: 'POST', pattern: /^\/sync\/ratings\/remove$/, handler: limit((ctx) => this.removeRatings(ctx)) },
		];
	}

	/**
	 * POST /oauth/token on the auth host. Bodies are JSON in the contract; a form body is read too
	 * (a Rails server takes both). Every failure is a 400 with an OAuth error (oauth/index.ts:
	 * responses 400 tokenErrorResponseSchema), client authentication failures a 401.
	 */
	token(ctx: RequestContext, host: 'auth' | 'api'): Reply {
		const body = formOrJson(ctx.body);
		const reply = this.exchange(body);
		this.tokenLog.push({ grantType: String(body.grant_type ?? ''), refreshToken: body.refresh_token, redirectUri: body.redirect_uri, status: reply.status, host });
		return reply;
	}

	private exchange(body: Record<string, string | undefined>): Reply {
		const refuse = (error: string, description: string, status = 400): Reply => ({ status, body: { error, error_description: description } });
		if (body.client_id !== this.options.clientId || body.client_secret !== this.options.clientSecret) {
			return refuse('invalid_client', 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.', 401);
		}
		// tokenBaseSchema: client_id, client_secret and redirect_uri for both grants.
		if (!body.redirect_uri) return refuse('invalid_request', 'The request is missing a required parameter: redirect_uri.');
		const invalidGrant = () =>
			refuse('invalid_grant', 'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.');
		if (body.grant_type === 'authorization_code') {
			const grant = body.code ? this.codes.get(body.code) : undefined;
			if (!grant || grant.expiresAt <= this.now() || grant.redirectUri !== body.redirect_uri) return invalidGrant();
			this.codes.delete(body.code!);
			return { status: 200, body: this.tokenBody(this.mint(grant)) };
		}
		if (body.grant_type === 'refresh_token') {
			const grant = body.refresh_token ? this.refresh.get(body.refresh_token) : undefined;
			if (!grant || grant.redirectUri !== body.redirect_uri) return invalidGrant();
			// Single-use: the answer's refresh token replaces this one.
			this.refresh.delete(body.refresh_token!);
			return { status: 200, body: this.tokenBody(this.mint(grant)) };
		}
		return refuse('unsupported_grant_type', 'The authorization grant type is not supported by the authorization server.');
	}

	private tokenBody(pair: { access_token: string; refresh_token: string }) {
		return { ...pair, token_type: 'bearer', expires_in: ACCESS_TOKEN_LIFE_MS / 1000, scope: 'public', created_at: Math.floor(this.now() / 1000) };
	}

	private movieJson(m: SeedMovie) {
		return { title: m.title, year: m.year, ids: { trakt: traktId.movie(m), slug: `movie-${m.n}`, ...m.guids } };
	}
	private showJson(s: SeedShow) {
		return { title: s.title, year: s.year, ids: { trakt: traktId.show(s), slug: `show-${s.n}`, ...s.guids } };
	}
	/** The episode's season and number as Trakt has them. */
	numberOf(e: SeedEpisode): { season: number; number: number } {
		return this.options.numbering?.(e) ?? { season: e.season, number: e.episode };
	}

	private episodeJson(e: SeedEpisode) {
		return { ...this.numberOf(e), title: e.title, ids: { trakt: traktId.episode(e), ...e.guids } };
	}
	private itemJson(item: SeedMovie | SeedEpisode) {
		return item.kind === 'movie' ? { type: 'movie', movie: this.movieJson(item) } : { type: 'episode', episode: this.episodeJson(item), show: this.showJson(item.show) };
	}

	/**
	 * Finds what a request body names: movie ids, episode ids, or show ids + season + number. An
	 * episode is identified by its Trakt or TVDB id only (trakt/trakt-api idsRequestSchema.ts,
	 * episodeIdsRequestSchema: trakt | tvdb); its IMDb or TMDb id finds nothing.
	 */
	resolve(body: Record<string, unknown>): SeedMovie | SeedEpisode | undefined {
		const lib = this.options.library;
		const matches = (ids: unknown, guids: Guids, trakt: number, providers: ReadonlyArray<'imdb' | 'tmdb' | 'tvdb'>) => {
			if (!ids || typeof ids !== 'object') return false;
			const i = ids as Record<string, unknown>;
			return i.trakt === trakt || providers.some((k) => i[k] !== undefined && String(i[k]) === guids[k]);
		};
		if (body.movie) return lib.movies.find((m) => matches((body.movie as Record<string, unknown>).ids, m.guids, traktId.movie(m), ['imdb', 'tmdb']));
		const ep = body.episode as Record<string, unknown> | undefined;
		if (!ep) return undefined;
		if (ep.ids) {
			const hit = lib.episodes.find((e) => matches(ep.ids, e.guids, traktId.episode(e), ['tvdb']));
			if (hit) return hit;
		}
		const show = body.show as Record<string, unknown> | undefined;
		if (show && ep.season !== undefined && ep.number !== undefined) {
			const s = lib.shows.find((x) => matches(show.ids, x.guids, traktId.show(x), ['imdb', 'tmdb', 'tvdb']));
			// Trakt's own season and number (which the server's may not be).
			return s ? lib.episodes.find((e) => e.show === s && this.numberOf(e).season === Number(ep.season) && this.numberOf(e).number === Number(ep.number)) : undefined;
		}
		return undefined;
	}

	private keyOf(item: SeedMovie | SeedEpisode): string {
		return item.kind === 'movie' ? `m${item.n}` : `e${item.n}`;
	}

	private scrobble(ctx: RequestContext): Reply {
		const action = ctx.path.split('/').pop() as 'start' | 'pause' | 'stop';
		const body = (ctx.body ?? {}) as Record<string, unknown>;
		const progress = Number(body.progress);
		if (!Number.isFinite(progress) || progress < 0 || progress > 100) return { status: 422, body: { error: 'progress must be 0..100' } };
		const item = this.resolve(body);
		if (!item) return { status: 404, body: { error: 'not found' } };
		const key = this.keyOf(item);
		const nowIso = new Date().toISOString();
		const dropPlayback = () => {
			for (let i = this.playback.length - 1; i >= 0; i--) if (this.keyOf(this.playback[i].item) === key) this.playback.splice(i, 1);
		};
		const savePlayback = () => {
			dropPlayback();
			this.playback.push({ id: this.nextId++, progress, pausedAt: nowIso, item });
		};
		let result: string = action;
		if (action === 'start') {
			dropPlayback();
		} else if (action === 'pause') {
			savePlayback();
		} else {
			if (progress < 1) return { status: 422, body: { error: 'progress below 1 %' } };
			if (progress > 80) {
				const recent = this.history.find((h) => this.keyOf(h.item) === key && h.action === 'scrobble' && Date.now() - Date.parse(h.watchedAt) < (this.options.scrobbleConflictMs ?? 600_000));
				if (recent) {
					const expires = new Date(Date.parse(recent.watchedAt) + (this.options.scrobbleConflictMs ?? 600_000)).toISOString();
					return { status: 409, body: { watched_at: recent.watchedAt, expires_at: expires } };
				}
				dropPlayback();
				this.history.push({ id: this.nextId++, watchedAt: nowIso, action: 'scrobble', item });
				result = 'scrobble';
			} else {
				savePlayback();
				result = 'pause';
			}
		}
		this.scrobbles.push({ action: result, progress, item: key });
		return { status: 201, body: { id: this.nextId++, action: result, progress, sharing: { twitter: false, tumblr: false }, ...this.itemJson(item) } };
	}

	private page(ctx: RequestContext, rows: unknown[]): Reply {
		const page = Math.max(1, Number(ctx.query.get('page') ?? 1));
		const limit = Math.max(1, Math.min(1000, Number(ctx.query.get('limit') ?? 10)));
		const pages = Math.max(1, Math.ceil(rows.length / limit));
		return {
			status: 200,
			headers: { 'X-Pagination-Page': String(page), 'X-Pagination-Limit': String(limit), 'X-Pagination-Page-Count': String(pages), 'X-Pagination-Item-Count': String(rows.length) },
			body: rows.slice((page - 1) * limit, page * limit),
		};
	}

	private getHistory(ctx: RequestContext): Reply {
		const type = ctx.params[0];
		const rows = this.history
			.filter((h) => !type || (type === 'movies' ? h.item.kind === 'movie' : h.item.kind === 'episode'))
			.sort((a, b) => (a.watchedAt < b.watchedAt ? 1 : -1))
			.map((h) => ({ id: h.id, watched_at: h.watchedAt, action: h.action, ...this.itemJson(h.item) }));
		return this.page(ctx, rows);
	}

	/**
	 * Everything watched, one row per movie or per show with its seasons' episodes, plays counted
	 * and the last play: one answer however long the history (Trakt's GET /sync/watched/{type}).
	 */
	private getWatched(type: 'movies' | 'shows'): Reply {
		const latest = (a: string | undefined, b: string) => (!a || b > a ? b : a);
		if (type === 'movies') {
			const byMovie = new Map<SeedMovie, { plays: number; last: string }>();
			for (const h of this.history) {
				if (h.item.kind !== 'movie') continue;
				const row = byMovie.get(h.item) ?? { plays: 0, last: '' };
				byMovie.set(h.item, { plays: row.plays + 1, last: latest(row.last, h.watchedAt) });
			}
			return { status: 200, body: [...byMovie].map(([m, r]) => ({ plays: r.plays, last_watched_at: r.last, last_updated_at: r.last, movie: this.movieJson(m) })) };
		}
		const byShow = new Map<SeedShow, Map<number, Map<number, { plays: number; last: string }>>>();
		for (const h of this.history) {
			if (h.item.kind !== 'episode') continue;
			const seasons = byShow.get(h.item.show) ?? new Map<number, Map<number, { plays: number; last: string }>>();
			byShow.set(h.item.show, seasons);
			const { season, number } = this.numberOf(h.item);
			const episodes = seasons.get(season) ?? new Map<number, { plays: number; last: string }>();
			seasons.set(season, episodes);
			const row = episodes.get(number) ?? { plays: 0, last: '' };
			episodes.set(number, { plays: row.plays + 1, last: latest(row.last, h.watchedAt) });
		}
		const body = [...byShow].map(([show, seasons]) => {
			const all = [...seasons.values()].flatMap((e) => [...e.values()]);
			const last = all.reduce((a, r) => latest(a, r.last), '');
			return {
				plays: all.reduce((n, r) => n + r.plays, 0),
				last_watched_at: last,
				last_updated_at: last,
				show: this.showJson(show),
				seasons: [...seasons].map(([number, episodes]) => ({ number, episodes: [...episodes].map(([n, r]) => ({ number: n, plays: r.plays, last_watched_at: r.last })) })),
			};
		});
		return { status: 200, body };
	}

	/** Every item a history body names, with its watched_at. */
	private itemsOf(body: Record<string, unknown>): { found: Array<[SeedMovie | SeedEpisode, string | undefined]>; notFound: { movies: unknown[]; episodes: unknown[]; shows: unknown[] } } {
		const found: Array<[SeedMovie | SeedEpisode, string | undefined]> = [];
		const notFound = { movies: [] as unknown[], episodes: [] as unknown[], shows: [] as unknown[] };
		for (const m of (body.movies as Array<Record<string, unknown>>) ?? []) {
			const item = this.resolve({ movie: m });
			if (item) found.push([item, m.watched_at as string | undefined]);
			else notFound.movies.push(m);
		}
		for (const e of (body.episodes as Array<Record<string, unknown>>) ?? []) {
			const item = this.resolve({ episode: e });
			if (item) found.push([item, e.watched_at as string | undefined]);
			else notFound.episodes.push(e);
		}
		for (const s of (body.shows as Array<Record<string, unknown>>) ?? []) {
			for (const season of (s.seasons as Array<Record<string, unknown>>) ?? []) {
				for (const ep of (season.episodes as Array<Record<string, unknown>>) ?? []) {
					const item = this.resolve({ show: s, episode: { season: season.number, number: ep.number } });
					if (item) found.push([item, ep.watched_at as string | undefined]);
					else notFound.shows.push(s);
				}
			}
		}
		return { found, notFound };
	}

	private addHistory(ctx: RequestContext): Reply {
		const { found, notFound } = this.itemsOf((ctx.body ?? {}) as Record<string, unknown>);
		const now = new Date().toISOString();
		// Trakt does not de-duplicate: the same item and date twice is two plays.
		for (const [item, at] of found) this.history.push({ id: this.nextId++, watchedAt: at ?? now, action: 'watch', item });
		return {
			status: 201,
			body: {
				added: { movies: found.filter(([i]) => i.kind === 'movie').length, episodes: found.filter(([i]) => i.kind === 'episode').length },
				not_found: { ...notFound, seasons: [], ids: [] },
			},
		};
	}

	private removeHistory(ctx: RequestContext): Reply {
		const body = (ctx.body ?? {}) as Record<string, unknown>;
		const ids = new Set(((body.ids as number[]) ?? []).map(Number));
		const { found } = this.itemsOf(body);
		const keys = new Set(found.map(([i]) => this.keyOf(i)));
		let movies = 0;
		let episodes = 0;
		for (let i = this.history.length - 1; i >= 0; i--) {
			const h = this.history[i];
			if (ids.has(h.id) || keys.has(this.keyOf(h.item))) {
				if (h.item.kind === 'movie') movies++;
				else episodes++;
				this.history.splice(i, 1);
			}
		}
		return { status: 200, body: { deleted: { movies, episodes }, not_found: { movies: [], shows: [], seasons: [], episodes: [], ids: [] } } };
	}

	/**
	 * GET /sync/ratings/{type}/{rating}: rows of { rated_at, rating, type, movie | episode + show }
	 * (sync/index.ts syncRatingItemResponseSchema), filtered by a rating list ("8" or "8,9,10");
	 * pagination is optional, as for the other sync lists: all rows unless a page is asked for.
	 */
	private getRatings(ctx: RequestContext): Reply {
		const kind = ctx.params[0] === 'movies' ? 'movie' : 'episode';
		const wanted = ctx.params[1] ? new Set(ctx.params[1].split(',').map(Number)) : undefined;
		if (wanted && [...wanted].some((r) => !Number.isInteger(r) || r < 1 || r > 10)) return { status: 400, body: { error: 'rating filter must be 1..10' } };
		const rows = [...this.ratings.values()]
			.filter((r) => r.item.kind === kind && (!wanted || wanted.has(r.rating)))
			.sort((a, b) => (a.ratedAt < b.ratedAt ? 1 : -1))
			.map((r) => ({ rated_at: r.ratedAt, rating: r.rating, ...this.itemJson(r.item) }));
		return ctx.query.has('page') || ctx.query.has('limit') ? this.page(ctx, rows) : { status: 200, body: rows };
	}

	/**
	 * POST /sync/ratings: every entry needs an integer `rating` 1..10 (ratingsParamSchema), else the
	 * request is refused whole with 422 (Trakt's status for validation errors, as for a scrobble under
	 * 1 %); `rated_at` dates it, now without one. A film or episode is rated once: a new rating replaces.
	 */
	private addRatings(ctx: RequestContext): Reply {
		const body = (ctx.body ?? {}) as Record<string, unknown>;
		const entries = [...((body.movies as unknown[]) ?? []), ...((body.episodes as unknown[]) ?? [])];
		const valid = (e: unknown) => typeof e === 'object' && e !== null && Number.isInteger((e as Record<string, unknown>).rating) && Number((e as Record<string, unknown>).rating) >= 1 && Number((e as Record<string, unknown>).rating) <= 10;
		if (!entries.every(valid)) return { status: 422, body: { error: 'rating must be an integer between 1 and 10' } };
		const now = new Date().toISOString();
		const added = { movies: 0, shows: 0, seasons: 0, episodes: 0 };
		const notFound = { movies: [] as unknown[], shows: [] as unknown[], seasons: [] as unknown[], episodes: [] as unknown[] };
		for (const [list, kind] of [[body.movies, 'movies'], [body.episodes, 'episodes']] as const) {
			for (const e of (list as Array<Record<string, unknown>>) ?? []) {
				const item = this.resolve(kind === 'movies' ? { movie: e } : { episode: e });
				if (!item) {
					notFound[kind].push(e);
					continue;
				}
				const ratedAt = typeof e.rated_at === 'string' && !Number.isNaN(Date.parse(e.rated_at)) ? new Date(e.rated_at).toISOString() : now;
				this.ratings.set(this.keyOf(item), { rating: Number(e.rating), ratedAt, item });
				added[kind]++;
			}
		}
		return { status: 201, body: { added, not_found: notFound } };
	}

	private removeRatings(ctx: RequestContext): Reply {
		const body = (ctx.body ?? {}) as Record<string, unknown>;
		const deleted = { movies: 0, shows: 0, seasons: 0, episodes: 0 };
		const notFound = { movies: [] as unknown[], shows: [] as unknown[], seasons: [] as unknown[], episodes: [] as unknown[] };
		for (const [list, kind] of [[body.movies, 'movies'], [body.episodes, 'episodes']] as const) {
			for (const e of (list as Array<Record<string, unknown>>) ?? []) {
				const item = this.resolve(kind === 'movies' ? { movie: e } : { episode: e });
				if (item && this.ratings.delete(this.keyOf(item))) deleted[kind]++;
				else if (!item) notFound[kind].push(e);
			}
		}
		return { status: 200, body: { deleted, not_found: notFound } };
	}

	private getPlayback(ctx: RequestContext): Reply {
		const type = ctx.params[0];
		// extended=full adds each item's runtime in minutes (Trakt's "full" extended info).
		const full = ctx.query.get('extended') === 'full';
		const withRuntime = (p: Playback) => {
			const json = this.itemJson(p.item) as unknown as Record<string, Record<string, unknown>>;
			const media = p.item.kind === 'movie' ? json.movie : json.episode;
			if (full) media.runtime = Math.round(p.item.durationMs / 60_000);
			return json;
		};
		const rows = this.playback
			.filter((p) => !type || (type === 'movies' ? p.item.kind === 'movie' : p.item.kind === 'episode'))
			.map((p) => ({ progress: p.progress, paused_at: p.pausedAt, id: p.id, ...withRuntime(p) }));
		return { status: 200, body: rows };
	}

	private search(ctx: RequestContext): Reply {
		const [idType, id] = ctx.params;
		const type = ctx.query.get('type');
		const lib = this.options.library;
		const hit = (guids: Guids, trakt: number) => (idType === 'trakt' ? String(trakt) === id : guids[idType as keyof Guids] === id);
		const out: unknown[] = [];
		if (!type || type === 'movie') for (const m of lib.movies) if (hit(m.guids, traktId.movie(m))) out.push({ type: 'movie', score: 1000, movie: this.movieJson(m) });
		if (!type || type === 'show') for (const s of lib.shows) if (hit(s.guids, traktId.show(s))) out.push({ type: 'show', score: 1000, show: this.showJson(s) });
		if (!type || type === 'episode') for (const e of lib.episodes) if (hit(e.guids, traktId.episode(e))) out.push({ type: 'episode', score: 1000, episode: this.episodeJson(e), show: this.showJson(e.show) });
		return { status: 200, body: out };
	}

	private lastActivities(): Reply {
		const latest = (rows: Array<{ at: string; kind: string }>, kind: string) => rows.filter((r) => r.kind === kind).reduce((a, r) => (r.at > a ? r.at : a), '1970-01-01T00:00:00.000Z');
		const watched = this.history.map((h) => ({ at: h.watchedAt, kind: h.item.kind }));
		const paused = this.playback.map((p) => ({ at: p.pausedAt, kind: p.item.kind }));
		const all = [...watched, ...paused].reduce((a, r) => (r.at > a ? r.at : a), '1970-01-01T00:00:00.000Z');
		return {
			status: 200,
			body: {
				all,
				movies: { watched_at: latest(watched, 'movie'), paused_at: latest(paused, 'movie') },
				episodes: { watched_at: latest(watched, 'episode'), paused_at: latest(paused, 'episode') },
			},
		};
	}
}

function formOrJson(body: unknown): Record<string, string | undefined> {
	if (typeof body === 'string') return Object.fromEntries(new URLSearchParams(body));
	if (body && typeof body === 'object') return body as Record<string, string>;
	return {};
}

/** auth.trakt.tv: the OAuth endpoints only; the API host does not serve them. */
export class TraktAuthHost extends EmulatedServer {
	constructor(private readonly trakt: TraktEmulator) {
		super();
	}

	protected refusal(status: number, reason: string): Reply {
		return { status, body: { error: status === 404 ? 'not_found' : 'bad_request', error_description: reason } };
	}

	protected authenticate(): Reply | undefined {
		return undefined;
	}

	protected routes(): Route[] {
		return [{ method: 'POST', pattern: /^\/oauth\/token$/, handler: (ctx) => this.trakt.token(ctx, 'auth') }];
	}
}
