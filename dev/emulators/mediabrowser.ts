/**
 * Emulated Jellyfin and Emby servers. Both descend from MediaBrowser and share most of the API;
 * the differences are explicit (backend-apis.md §2.2, §3.2), each with where we know it from:
 * - versions: each plays one published spec (versions.ts): a route, method or parameter that
 *   version does not have gets the real server's 404 / 405 / 400 before a handler runs;
 * - auth: Jellyfin `Authorization: MediaBrowser Token="…"` or `?ApiKey=`; the legacy
 *   `X-Emby-Token`, `X-MediaBrowser-Token`, `api_key` and `Emby` scheme only while
 *   EnableLegacyAuthorization is on (always before 10.11, default on in 10.11, switched off by
 *   the 12.0 migration DisableLegacyAuthorization); Emby `X-Emby-Token` or `?api_key=`;
 * - ids: Jellyfin 32-hex GUIDs, Emby numeric strings;
 * - find: only Emby has `AnyProviderIdEquals`; it matches the FIRST `prov.id` pair only, as a
 *   substring of the stored "Imdb=tt…|Tmdb=…" text (the MediaBrowser SqliteItemRepository
 *   HasAnyProviderId code both servers inherited: `break` after one pair, `LIKE '%key=val%'`,
 *   jellyfin/jellyfin v10.8.13 Emby.Server.Implementations/Data/SqliteItemRepository.cs);
 * - user data: Jellyfin's POST applies only the fields sent (UserDataManager.SaveUserData with
 *   UpdateUserItemDataDto, every field nullable) and answers the new UserItemDataDto; Emby's
 *   POST takes a whole UserItemDataDto (PlaybackPositionTicks, IsFavorite, Played not nullable)
 *   and replaces the record, answering 200 with no body (Emby 4.8 / 4.9 spec);
 * - shared user data: Jellyfin before 10.11 keeps a user's data of an item in a record keyed by
 *   the item's first user-data key, for a film its TMDb id, else its IMDb id, else its own id
 *   (Video.GetUserDataKeys, SqliteUserDataRepository.GetUserData(userId, keys) reads keys[0];
 *   jellyfin/jellyfin v10.10.7): two copies of a film (HD and 4K libraries) are one state. 10.11
 *   keys the record by the item id too (UserDataManager, v10.11.11): each copy its own. Emby keeps
 *   the MediaBrowser model Jellyfin forked (as 10.10), inferred: its source is closed;
 * - `/Sessions` (an API key sees every user's sessions): each with UserId and NowPlayingItem;
 * - `MinDateLastSaved` and `MinDateLastSavedForUser` both filter on the item's metadata save
 *   date, which saving user data never moves (BaseItemRepository / SqliteItemRepository);
 * - ordering: ordering.ts; Emby omits UserData of items a user never touched.
 * - the socket (Jellyfin: any path, clients use `/socket`, WebSocketHandlerMiddleware runs before
 *   routing; Emby `/embywebsocket`, its ApiClient's address), authenticated as any request is: a
 *   socket without a valid token is refused before the upgrade (Jellyfin WebSocketManager throws
 *   SecurityException, which ExceptionMiddleware answers 403; Emby 401). Jellyfin sends
 *   ForceKeepAlive (Data: 60 s) on connect, answers every KeepAlive with a KeepAlive, and drops a
 *   socket whose last KeepAlive is 60 s old (SessionWebSocketListener, WebSocketLostTimeout;
 *   only KeepAlive moves LastKeepAliveDate, WebSocketConnection). `SessionsStart` subscribes a
 *   socket to `Sessions` (every session for an API key or an administrator, a user's own otherwise:
 *   SessionInfoWebSocketListener), sent at once and on every playback report; `UserDataChanged`
 *   goes only to sockets of the user whose data changed (UserDataChangeNotifier ->
 *   SendMessageToUserSessions): an API key's socket belongs to no user and never hears it;
 * - playback reports `POST /Sessions/Playing`, `/Progress`, `/Stopped` with a user's token: the
 *   start counts a play and dates it now (SessionManager.OnPlaybackStart: PlayCount++,
 *   LastPlayedDate), progress keeps the position, the stop applies UpdatePlayState (before
 *   MinResumePct 5 % no position, past MaxResumePct 90 % played and no position).
 * Units are .NET ticks (1 ms = 10 000 ticks); dates ISO-8601 with 7 fractional digits.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Guids } from '../../nodes/shared/model';
import { allItems, emptyState, foldTitle, showFolder, SHOW_TITLE_OFFSET, titleOnServer, userSees, type EmulatedUser, type ItemState, type SeedEpisode, type SeedItem, type SeedLibrary, type SeedShow } from './library';
import { episodeSortName, orderRows, pageOf, requestedOrder, sortNameOf, type Ordered, type SortKey } from './ordering';
import { EmulatedServer, StateStore, type Reply, type RequestContext, type Route } from './server';
import type { LiveSocket, UpgradeVerdict } from './socket';
import { repeat, stopRepeating } from '../lib/builtins';
import { specsPresent } from './spec/files';
import { embyGate, jellyfinGate, versionAtLeast } from './versions';

/** Jellyfin sends a MessageId (a GUID) with every outbound message (OutboundWebSocketMessage). */
function messageId(): string {
	return randomUUID().replace(/-/g, '');
}

const TICKS = 10_000;

export interface MediaBrowserOptions {
	library: SeedLibrary;
	/** Regular users; `apiKey` acts as an administrator without being a user. */
	users: EmulatedUser[];
	apiKey: string;
	serverId?: string;
	name?: string;
	/** The release played (versions.ts); Jellyfin 10.11.11 and Emby 4.8.11.0 by default. */
	version?: string;
	/** Jellyfin: EnableLegacyAuthorization (default: on before 12.0, off from 12.0). */
	legacyAuthorization?: boolean;
	/** Behave like a server that ignores AnyProviderIdEquals (answers with everything). */
	ignoreProviderFilter?: boolean;
	/** Check requests against the version's published spec (default: when the specs are at hand). */
	spec?: boolean;
	/** Name some titles as this server would (library.ts titleOnServer). */
	titleVariants?: boolean;
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

/** A listed row: an item, or a series. */
interface Row {
	id: string;
	item?: SeedItem;
	show?: SeedShow;
}

/** The sort key of a search's ranking (not a SortBy the servers take). */
const SEARCH_RANK = '$searchRank';

const list = (value: string | null) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** Someone playing an item right now (tests). */
export interface MediaBrowserSession {
	userId: string;
	item: SeedItem;
	positionMs: number;
	paused?: boolean;
	/** The reporting client's device id (reports from one device are one session). */
	deviceId?: string;
}

/** Jellyfin MinResumePct / MaxResumePct defaults (ServerConfiguration). */
const MIN_RESUME_PCT = 5;
const MAX_RESUME_PCT = 90;
/** Jellyfin SessionWebSocketListener.WebSocketLostTimeout, in seconds. */
const SOCKET_LOST_TIMEOUT_S = 60;

interface SocketWho {
	caller: EmulatedUser | 'admin';
	/** Subscribed to Sessions (SessionsStart). */
	sessions: boolean;
	lastKeepAliveAt: number;
}

abstract class MediaBrowserEmulator extends EmulatedServer {
	readonly state = new StateStore((id) => this.recordOf(id));
	/** What is being played now (tests set it): /Sessions lists these. */
	readonly sessions: MediaBrowserSession[] = [];
	readonly serverId: string;
	readonly version: string;
	protected readonly items = new Map<string, SeedItem>();
	protected readonly shows = new Map<string, SeedShow>();
	protected readonly episodesByShow = new Map<SeedShow, SeedEpisode[]>();
	protected abstract readonly flavor: Flavor;
	/** How long a socket may go without a KeepAlive before it is dropped (tests shorten it). */
	socketLostTimeoutMs = SOCKET_LOST_TIMEOUT_S * 1000;
	private keepAliveWatch?: ReturnType<typeof repeat>;

	constructor(readonly options: MediaBrowserOptions, flavor: Flavor) {
		super();
		this.serverId = options.serverId ?? (flavor === 'emby' ? 'a1b2c3d4e5f60718293a4b5c6d7e8f90' : '4f1c2b3a5d6e4f708192a3b4c5d6e7f8');
		this.version = options.version ?? (flavor === 'emby' ? '4.8.11.0' : '10.11.11');
		if (options.spec ?? specsPresent) this.gate = flavor === 'emby' ? embyGate(this.version) : jellyfinGate(this.version);
		for (const item of allItems(options.library)) this.items.set(this.idOf(item), item);
		for (const show of options.library.shows) this.shows.set(this.showId(show), show);
		for (const e of options.library.episodes) {
			const list = this.episodesByShow.get(e.show);
			if (list) list.push(e);
			else this.episodesByShow.set(e.show, [e]);
		}
	}

	/** Whether copies of a film share one user-data record (see the top). */
	protected get sharesUserDataByProviderIds(): boolean {
		return this.flavor === 'emby' || !versionAtLeast(this.version, 10, 11);
	}

	/** The record an item's user data is kept in. */
	private recordOf(id: string): string {
		const item = this.items?.get(id);
		if (!item || item.kind !== 'movie' || !this.sharesUserDataByProviderIds) return id;
		const key = item.guids.tmdb ?? item.guids.imdb;
		return key ? `key:${key}` : id;
	}

	/** GET /Sessions: each session with its user and what it plays. */
	protected sessionsReply(ctx: RequestContext): Reply {
		return { status: 200, body: this.sessionsSeenBy(this.caller(ctx)) };
	}

	/** The sessions a caller may see (an API key or an administrator: all), as /Sessions lists them. */
	private sessionsSeenBy(caller: EmulatedUser | 'admin' | undefined): Array<Record<string, unknown>> {
		const visible = this.sessions.filter((s) => caller === 'admin' || caller?.admin || caller?.id === s.userId);
		return visible.map((s, i) => {
			const user = this.options.users.find((u) => u.id === s.userId);
			return {
				// Stable while the session lives: Jellyfin's SessionManager ids a session by the MD5 of its
				// app name and device id (GetSessionKey), so another session ending never renames it.
				Id: createHash('md5').update(`Web${s.deviceId ?? `device-${i + 1}`}`).digest('hex'),
				UserId: s.userId,
				UserName: user?.name ?? '',
				Client: 'Web',
				DeviceName: 'Browser',
				DeviceId: s.deviceId ?? `device-${i + 1}`,
				ApplicationVersion: this.version,
				IsActive: true,
				ServerId: this.serverId,
				NowPlayingItem: this.itemDto(s.item, undefined, new Set()),
				PlayState: { PositionTicks: s.positionMs * TICKS, IsPaused: s.paused === true, CanSeek: true, IsMuted: false },
				LastActivityDate: iso(this.now()),
			};
		});
	}

	/** The socket path clients connect to; Jellyfin takes any. */
	protected abstract socketPath(path: string): boolean;

	protected upgrade(ctx: RequestContext): UpgradeVerdict {
		if (!this.socketPath(ctx.path)) return { status: 404 };
		const caller = this.caller(ctx);
		if (!caller) return this.flavor === 'emby' ? { status: 401, body: 'Access token is invalid or expired.' } : { status: 403 };
		const who: SocketWho = { caller, sessions: false, lastKeepAliveAt: Date.now() };
		this.watchKeepAlives();
		return {
			accept: true,
			who,
			onOpen: (socket) => {
				socket.onMessage = (message) => this.onSocketMessage(socket, who, message);
				if (this.flavor === 'jellyfin') socket.send({ MessageType: 'ForceKeepAlive', MessageId: messageId(), Data: SOCKET_LOST_TIMEOUT_S });
			},
		};
	}

	private onSocketMessage(socket: LiveSocket, who: SocketWho, message: unknown): void {
		const type = typeof message === 'object' && message !== null ? (message as { MessageType?: unknown }).MessageType : undefined;
		if (type === 'KeepAlive') {
			who.lastKeepAliveAt = Date.now();
			socket.send({ MessageType: 'KeepAlive', MessageId: messageId() });
		} else if (type === 'SessionsStart') {
			who.sessions = true;
			socket.send(this.sessionsMessage(who.caller));
		} else if (type === 'SessionsStop') {
			who.sessions = false;
		}
	}

	/** Drops sockets whose last KeepAlive is older than the lost timeout (SessionWebSocketListener). */
	private watchKeepAlives(): void {
		if (this.keepAliveWatch) return;
		// Checked often (Jellyfin checks every 12 s, a fifth of the timeout): tests shorten the timeout.
		this.keepAliveWatch = repeat(100, () => {
			for (const s of this.live.open) {
				if (Date.now() - (s.who as SocketWho).lastKeepAliveAt >= this.socketLostTimeoutMs) s.raw.terminate();
			}
		});
		this.keepAliveWatch.unref();
	}

	async stop(): Promise<void> {
		stopRepeating(this.keepAliveWatch);
		this.keepAliveWatch = undefined;
		await super.stop();
	}

	private sessionsMessage(caller: EmulatedUser | 'admin'): Record<string, unknown> {
		return { MessageType: 'Sessions', MessageId: messageId(), Data: this.sessionsSeenBy(caller) };
	}

	/** Every Sessions subscriber hears the sessions it may see (after any playback report). */
	protected announceSessions(): void {
		for (const s of this.live.open) {
			const who = s.who as SocketWho;
			if (who.sessions) s.send(this.sessionsMessage(who.caller));
		}
	}

	/** UserDataChanged, to the sockets of that user only (see the top). */
	protected announceUserData(user: EmulatedUser, item: SeedItem): void {
		const data = this.userData(item, user) ?? {};
		const message = { MessageType: 'UserDataChanged', MessageId: messageId(), Data: { UserId: user.id, UserDataList: [{ ...data, ItemId: this.idOf(item) }] } };
		this.live.broadcast(message, (s) => (s.who as SocketWho).caller === user);
	}

	/** POST /Sessions/Playing, /Progress and /Stopped from a user's client (see the top). */
	protected playbackReport(ctx: RequestContext, phase: 'start' | 'progress' | 'stop'): Reply {
		const caller = this.caller(ctx);
		if (!caller || caller === 'admin') return { status: 400, body: { message: 'playback reports come from a user session' } };
		const body = (ctx.body ?? {}) as Record<string, unknown>;
		const id = String(body.ItemId ?? '');
		const item = this.items.get(id);
		if (!item || this.hidden(caller, item)) return { status: 404, body: { message: 'Item not found' } };
		const ticks = body.PositionTicks;
		if (ticks !== undefined && ticks !== null && (typeof ticks !== 'number' || ticks < 0)) return { status: 400, body: { message: 'invalid PositionTicks' } };
		const positionMs = typeof ticks === 'number' ? Math.floor(ticks / TICKS) : 0;
		const deviceId = this.deviceOf(ctx);
		let session = this.sessions.find((s) => s.userId === caller.id && s.deviceId === deviceId);
		const prev = this.state.get(caller.id, id) ?? emptyState();
		const now = this.now();
		if (phase === 'start') {
			if (!session) this.sessions.push((session = { userId: caller.id, item, positionMs, deviceId }));
			this.state.set(caller.id, id, { ...prev, playCount: prev.playCount + 1, lastPlayedAt: now, updatedAt: now });
		} else if (!session) {
			return { status: 204 };
		}
		session.item = item;
		session.positionMs = positionMs;
		session.paused = body.IsPaused === true;
		if (phase === 'progress') {
			this.state.set(caller.id, id, { ...(this.state.get(caller.id, id) ?? prev), positionMs, updatedAt: now });
		}
		if (phase === 'stop') {
			this.sessions.splice(this.sessions.indexOf(session), 1);
			const pct = (positionMs / item.durationMs) * 100;
			const cur = this.state.get(caller.id, id) ?? prev;
			if (pct > MAX_RESUME_PCT) {
				this.state.set(caller.id, id, { ...cur, played: true, positionMs: 0, updatedAt: now });
				this.record({ userId: caller.id, itemId: id, action: 'played', method: ctx.method, path: ctx.path });
			} else {
				this.state.set(caller.id, id, { ...cur, positionMs: pct < MIN_RESUME_PCT ? 0 : positionMs, updatedAt: now });
				this.record({ userId: caller.id, itemId: id, action: 'position', positionMs, method: ctx.method, path: ctx.path });
			}
			this.announceUserData(caller, item);
		}
		this.announceSessions();
		return { status: 204 };
	}

	/** The DeviceId of the caller's Authorization header (one device, one session). */
	private deviceOf(ctx: RequestContext): string {
		const auth = String(ctx.headers['x-emby-authorization'] ?? ctx.headers.authorization ?? '');
		return /DeviceId="([^"]*)"/i.exec(auth)?.[1] ?? String(ctx.headers['x-emby-device-id'] ?? 'device');
	}

	abstract idOf(item: SeedItem): string;
	abstract showId(show: SeedShow): string;
	abstract seasonId(show: SeedShow, season: number): string;
	protected abstract libraryId(kind: 'movies' | 'tvshows'): string;
	/** The user a token acts as; `admin` for the API key. */
	protected abstract tokenOf(ctx: RequestContext): string | undefined;
	/** What the server does without any SortBy: its default ORDER BY (ordering.ts). */
	protected abstract defaultOrder(): SortKey[];

	/** The title this server shows for an item (or a series), which may differ from other servers'. */
	titleOf(item: SeedItem | SeedShow): string {
		if (!this.options.titleVariants || ('kind' in item && item.kind === 'episode')) return item.title;
		return titleOnServer(this.flavor, item.title, 'kind' in item ? item.n : SHOW_TITLE_OFFSET + item.n);
	}

	private readonly folded = new Map<SeedItem | SeedShow, string>();

	/** The title as a search compares it (CleanName: lower case, no diacritics), computed once. */
	protected foldedTitle(item: SeedItem | SeedShow): string {
		let folded = this.folded.get(item);
		if (folded === undefined) this.folded.set(item, (folded = foldTitle(this.titleOf(item))));
		return folded;
	}

	seedState(userId: string, item: SeedItem, state: Partial<ItemState>): void {
		this.state.set(userId, this.idOf(item), { ...emptyState(), ...state });
	}

	stateOf(userId: string, item: SeedItem): ItemState {
		return this.state.get(userId, this.idOf(item)) ?? emptyState();
	}

	/** Query parameters are case-insensitive on these servers (ASP.NET / ServiceStack binding). */
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
		return this.flavor === 'emby' ? { status: 401, body: 'Access token is invalid or expired.', raw: true } : { status: 401, body: '', raw: true };
	}

	protected refusal(status: number, reason: string): Reply {
		if (this.flavor === 'emby') return { status, body: status === 404 ? 'Unable to find the specified file.' : reason, raw: true };
		// ASP.NET: 404 / 405 without a body, 400 as ProblemDetails from [ApiController].
		if (status !== 400) return { status, body: '', raw: true };
		return { status, body: { type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1', title: 'One or more validation errors occurred.', status: 400, errors: { request: [reason] } } };
	}

	/**
	 * The user a user-scoped call acts on: from the path, else `userId` in the query, else the
	 * token's own user. An API key without a user gets `undefined` (Jellyfin then answers without
	 * user data); a user token may only act on itself.
	 */
	protected targetUser(ctx: RequestContext, fromPath?: string): EmulatedUser | undefined | Reply {
		const caller = this.caller(ctx)!;
		const wanted = fromPath ?? this.param(ctx, 'userId') ?? (caller === 'admin' ? undefined : caller.id);
		if (!wanted) return undefined;
		const user = this.options.users.find((u) => u.id === wanted.replace(/-/g, '').toLowerCase() || u.id === wanted);
		if (!user) return { status: 404, body: { message: 'User not found' } };
		if (caller !== 'admin' && caller.id !== user.id) return { status: 403, body: { message: 'Forbidden' } };
		return user;
	}

	protected requireUser(ctx: RequestContext, fromPath?: string): EmulatedUser | Reply {
		const user = this.targetUser(ctx, fromPath);
		return user ?? { status: 400, body: { message: 'userId is required' } };
	}

	protected userData(item: SeedItem, user: EmulatedUser): Record<string, unknown> | undefined {
		const id = this.idOf(item);
		const s = this.state.get(user.id, id);
		if (!s && this.flavor === 'emby') return undefined;
		const st = s ?? emptyState();
		const data: Record<string, unknown> = {
			PlaybackPositionTicks: st.positionMs * TICKS,
			PlayCount: st.playCount,
			IsFavorite: st.isFavorite,
			Played: st.played,
			Key: id,
			ItemId: id,
		};
		if (st.rating !== undefined) data.Rating = st.rating;
		if (st.lastPlayedAt) data.LastPlayedDate = iso(st.lastPlayedAt);
		if (st.positionMs > 0) data.PlayedPercentage = (st.positionMs / item.durationMs) * 100;
		if (this.flavor === 'emby') data.ServerId = this.serverId;
		return data;
	}

	private sortValue(item: SeedItem, user: EmulatedUser | undefined, by: string): string | number | undefined {
		const st = user ? this.state.get(user.id, this.idOf(item)) : undefined;
		switch (by.toLowerCase()) {
			case 'sortname':
				return item.kind === 'movie' ? sortNameOf(this.titleOf(item)) : episodeSortName(item.season, item.episode, item.title);
			case 'name':
				return foldTitle(this.titleOf(item));
			case 'datecreated':
				return item.addedAt;
			case 'dateplayed':
				return st?.lastPlayedAt;
			case 'playcount':
				return st?.playCount ?? 0;
			case 'productionyear':
			case 'premieredate':
				return item.kind === 'movie' ? item.year : item.show.year;
			case 'runtime':
				return item.durationMs;
			case 'seriessortname':
				return item.kind === 'episode' ? sortNameOf(this.titleOf(item.show)) : undefined;
			case 'parentindexnumber':
				return item.kind === 'episode' ? item.season : undefined;
			case 'indexnumber':
				return item.kind === 'episode' ? item.episode : undefined;
			default:
				// A key this emulator does not model sorts as a tie, which is the safe reading.
				return undefined;
		}
	}

	protected itemDto(item: SeedItem, user: EmulatedUser | undefined, fields: Set<string>): Record<string, unknown> {
		const id = this.idOf(item);
		const dto: Record<string, unknown> = {
			Name: this.titleOf(item),
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
		} else {
			Object.assign(dto, {
				ProductionYear: item.show.year,
				IndexNumber: item.episode,
				ParentIndexNumber: item.season,
				SeriesName: this.titleOf(item.show),
				SeriesId: this.showId(item.show),
				SeasonId: this.seasonId(item.show, item.season),
				SeasonName: `Season ${item.season}`,
			});
		}
		if (fields.has('parentid')) dto.ParentId = item.kind === 'movie' ? this.libraryId('movies') : this.seasonId(item.show, item.season);
		if (fields.has('providerids')) dto.ProviderIds = providerIds(item.guids);
		if (fields.has('datecreated')) dto.DateCreated = iso(item.addedAt);
		if (fields.has('datelastsaved')) dto.DateLastSaved = iso(item.savedAt);
		if (fields.has('sortname')) dto.SortName = this.sortValue(item, undefined, 'SortName');
		if (fields.has('path')) dto.Path = item.path;
		if (user) {
			const data = this.userData(item, user);
			if (data) dto.UserData = data;
		}
		return dto;
	}

	/** A series row; with user data it carries the played counts of its episodes, as the servers do. */
	protected seriesDto(show: SeedShow, user: EmulatedUser | undefined, fields: Set<string>): Record<string, unknown> {
		const dto: Record<string, unknown> = { Name: this.titleOf(show), ServerId: this.serverId, Id: this.showId(show), Type: 'Series', IsFolder: true, ProductionYear: show.year };
		if (fields.has('providerids')) dto.ProviderIds = providerIds(show.guids);
		if (fields.has('path')) dto.Path = showFolder(show);
		const episodes = this.episodesByShow.get(show) ?? [];
		if (fields.has('recursiveitemcount') || fields.has('itemcounts')) dto.RecursiveItemCount = episodes.length;
		if (user) {
			const played = episodes.filter((e) => this.state.get(user.id, this.idOf(e))?.played).length;
			// Jellyfin: Folder.FillUserDataDtoValues (v10.8.13–v12.0-rc5) sets PlayedPercentage only
			// for a series with episodes, and takes an empty one for played. Emby sends no
			// PlayedPercentage on series (luigi311/JellyPlex-Watched src/jellyfin_emby.py: "Emby no
			// longer shows PlayedPercentage", it counts UnplayedItemCount against RecursiveItemCount).
			const percentage = this.flavor === 'jellyfin' && episodes.length > 0 ? { PlayedPercentage: (played / episodes.length) * 100 } : {};
			dto.UserData = {
				UnplayedItemCount: episodes.length - played,
				...percentage,
				PlaybackPositionTicks: 0,
				PlayCount: 0,
				IsFavorite: false,
				Played: this.flavor === 'jellyfin' ? played >= episodes.length : episodes.length > 0 && played === episodes.length,
				Key: this.showId(show),
				ItemId: this.showId(show),
			};
		}
		return dto;
	}

	/**
	 * The `Items` query: recursive listing with type, parent, played, saved-date and id filters,
	 * ordered as the server orders (ordering.ts) and paged. The filtered, ordered list is kept per
	 * distinct query until the state changes, so paging a 100k library costs what a server's would.
	 */
	protected listItems(ctx: RequestContext, user: EmulatedUser | undefined): Reply {
		const p = (n: string) => this.param(ctx, n);
		const fields = new Set(list(p('fields')).map((f) => f.toLowerCase()));
		const start = Number(p('startIndex') ?? 0) || 0;
		const limit = p('limit') !== null ? Number(p('limit')) : undefined;
		const ordered = this.orderedRows(ctx, user);
		const page = pageOf(ordered, start, limit, (row) => row.id);
		const withUserData = p('enableUserData') === null || p('enableUserData')!.toLowerCase() !== 'false';
		const dataUser = withUserData ? user : undefined;
		const Items = page.map((row) => (row.item ? this.itemDto(row.item, dataUser, fields) : this.seriesDto(row.show!, dataUser, fields)));
		return { status: 200, body: { Items, TotalRecordCount: ordered.rows.length, StartIndex: start } };
	}

	private readonly listings = new Map<string, Ordered<Row>>();

	private orderedRows(ctx: RequestContext, user: EmulatedUser | undefined): Ordered<Row> {
		const query = [...ctx.query].filter(([k]) => !/^(startindex|limit|fields|enableuserdata|enabletotalrecordcount|api_?key)$/i.test(k)).map(([k, v]) => `${k.toLowerCase()}=${v}`);
		const key = `${user?.id ?? ''}|${this.state.version}|${query.sort().join('&')}`;
		let ordered = this.listings.get(key);
		if (!ordered) {
			ordered = this.filterAndOrder(ctx, user);
			if (this.listings.size >= 16) this.listings.delete(this.listings.keys().next().value!);
			this.listings.set(key, ordered);
		}
		return ordered;
	}

	private filterAndOrder(ctx: RequestContext, user: EmulatedUser | undefined): Ordered<Row> {
		const p = (n: string) => this.param(ctx, n);
		const types = new Set(list(p('includeItemTypes') ?? 'Movie,Episode,Series'));
		const parentId = p('parentId');
		const ids = p('ids') ? new Set(list(p('ids'))) : undefined;
		const providerPair = this.flavor === 'emby' && !this.options.ignoreProviderFilter ? firstProviderPair(p('AnyProviderIdEquals')) : undefined;
		const isPlayed = p('isPlayed');
		const filters = new Set(list(p('filters')));
		const savedSince = [p('minDateLastSavedForUser'), p('minDateLastSaved')].filter((v): v is string => !!v).map((v) => Date.parse(v));

		const rows: Row[] = [];
		if (types.has('Series')) {
			for (const show of this.options.library.shows) {
				if (!userSees(user, show)) continue;
				if (parentId && parentId !== this.libraryId('tvshows')) continue;
				if (ids && !ids.has(this.showId(show))) continue;
				if (providerPair && !matchesProvider(show.guids, providerPair)) continue;
				rows.push({ id: this.showId(show), show });
			}
		}
		const candidates: SeedItem[] = [];
		if (types.has('Movie')) candidates.push(...this.options.library.movies);
		if (types.has('Episode')) candidates.push(...this.options.library.episodes);
		for (const item of candidates) {
			if (!userSees(user, item)) continue;
			const id = this.idOf(item);
			if (parentId) {
				const parents = item.kind === 'movie' ? [this.libraryId('movies')] : [this.libraryId('tvshows'), this.showId(item.show), this.seasonId(item.show, item.season)];
				if (!parents.includes(parentId)) continue;
			}
			if (ids && !ids.has(id)) continue;
			if (providerPair && !matchesProvider(item.guids, providerPair)) continue;
			if (savedSince.some((t) => !(item.savedAt >= t))) continue;
			const st = (user && this.state.get(user.id, id)) || emptyState();
			if (isPlayed !== null && String(st.played) !== isPlayed.toLowerCase()) continue;
			if (filters.has('IsPlayed') && !st.played) continue;
			if (filters.has('IsUnplayed') && st.played) continue;
			if (filters.has('IsResumable') && !(st.positionMs > 0)) continue;
			if (filters.has('IsFavorite') && !st.isFavorite) continue;
			rows.push({ id, item });
		}
		const requested = requestedOrder(p('sortBy'), p('sortOrder'));
		const term = p('searchTerm') ? foldTitle(p('searchTerm')!) : undefined;
		const found = term ? rows.filter((row) => this.foldedTitle((row.item ?? row.show)!).includes(term)) : rows;
		// A search ranks matches first, then by SortName, before any requested order.
		const keys = term ? [{ by: SEARCH_RANK, descending: false }, { by: 'SortName', descending: false }, ...requested] : requested.length > 0 ? requested : this.defaultOrder();
		return orderRows(found, keys, (row, by) => {
			if (by === SEARCH_RANK) return this.searchRank(this.foldedTitle((row.item ?? row.show)!), term!);
			return row.item ? this.sortValue(row.item, user, by) : by.toLowerCase() === 'sortname' || by.toLowerCase() === 'name' ? sortNameOf(this.titleOf(row.show!)) : undefined;
		});
	}

	/**
	 * Where a search match ranks (lower first). Jellyfin 10.11+: exact, then prefix with a word
	 * break, then prefix, then contains (OrderMapper.MapSearchRelevanceOrder); older versions and
	 * Emby: SearchScore, 10 each for a prefix, an exact and a contained match (SqliteItemRepository).
	 */
	protected searchRank(name: string, term: string): number {
		if (this.flavor === 'jellyfin' && versionAtLeast(this.version, 10, 11)) {
			return name === term ? 0 : name.startsWith(`${term} `) ? 1 : name.startsWith(term) ? 2 : 3;
		}
		return -((name.startsWith(term) ? 10 : 0) + (name === term ? 10 : 0) + (term.length > 1 && name.includes(term) ? 10 : 0));
	}

	/** `/Shows/{id}/Episodes`: a series' episodes in aired order, optionally one season. */
	protected showEpisodes(ctx: RequestContext, seriesId: string): Reply {
		const show = this.shows.get(seriesId);
		const user = this.targetUser(ctx);
		if (user && 'status' in user) return user;
		if (!show || this.hidden(user, show)) return { status: 404, body: { message: 'Series not found' } };
		const p = (n: string) => this.param(ctx, n);
		const fields = new Set(list(p('fields')).map((f) => f.toLowerCase()));
		const season = p('season');
		const seasonId = p('seasonId');
		const episodes = (this.episodesByShow.get(show) ?? []).filter((e) => (season === null || e.season === Number(season)) && (seasonId === null || this.seasonId(show, e.season) === seasonId));
		const start = Number(p('startIndex') ?? 0) || 0;
		const limit = p('limit') !== null ? Number(p('limit')) : undefined;
		const page = episodes.slice(start, limit === undefined ? undefined : start + limit);
		const withUserData = p('enableUserData') === null || p('enableUserData')!.toLowerCase() !== 'false';
		return { status: 200, body: { Items: page.map((e) => this.itemDto(e, withUserData ? user : undefined, fields)), TotalRecordCount: episodes.length, StartIndex: start } };
	}

	protected getItem(ctx: RequestContext, user: EmulatedUser | undefined, id: string): Reply {
		if (this.hidden(user, this.items.get(id) ?? this.shows.get(id))) return { status: 404, body: { message: 'Item not found' } };
		const item = this.items.get(id);
		const fields = new Set(['providerids', 'datecreated', 'path', 'parentid']);
		if (item) return { status: 200, body: this.itemDto(item, user, fields) };
		const show = this.shows.get(id);
		if (show) return { status: 200, body: this.seriesDto(show, user, fields) };
		return { status: 404, body: { message: 'Item not found' } };
	}

	/** MarkPlayed / MarkUnplayed of BaseItem: play count, last played date and position; nothing else. */
	protected markPlayed(ctx: RequestContext, user: EmulatedUser, id: string, played: boolean): Reply {
		const item = this.items.get(id);
		if (!item || this.hidden(user, item)) return { status: 404, body: { message: 'Item not found' } };
		const prev = this.state.get(user.id, id) ?? emptyState();
		const now = this.now();
		if (played) {
			const at = parseDatePlayed(this.param(ctx, 'datePlayed'));
			if (this.param(ctx, 'datePlayed') && at === undefined) return { status: 400, body: { message: 'invalid datePlayed' } };
			this.state.set(user.id, id, { ...prev, played: true, playCount: Math.max(1, prev.playCount + (at ? 1 : 0)), lastPlayedAt: at ?? prev.lastPlayedAt ?? now, positionMs: 0, updatedAt: now });
			this.record({ userId: user.id, itemId: id, action: 'played', playedAt: at, method: ctx.method, path: ctx.path });
		} else {
			this.state.set(user.id, id, { ...prev, played: false, playCount: 0, lastPlayedAt: undefined, positionMs: 0, updatedAt: now });
			this.record({ userId: user.id, itemId: id, action: 'unplayed', method: ctx.method, path: ctx.path });
		}
		this.announceUserData(user, item);
		return { status: 200, body: this.userData(item, user) ?? {} };
	}

	/** Favourite on / off: only IsFavorite changes (UserLibraryController.MarkFavoriteItem). */
	protected markFavorite(user: EmulatedUser, id: string, favorite: boolean): Reply {
		const item = this.items.get(id);
		if (!item || this.hidden(user, item)) return { status: 404, body: { message: 'Item not found' } };
		const prev = this.state.get(user.id, id) ?? emptyState();
		this.state.set(user.id, id, { ...prev, isFavorite: favorite, updatedAt: Date.now() });
		return { status: 200, body: this.userData(item, user) };
	}

	/**
	 * The rating route: POST `?likes=` stores 10 for true and 1 for false (UserItemData.Likes'
	 * setter), DELETE (Emby also POST …/Rating/Delete) removes it; nothing else changes
	 * (UserLibraryController.UpdateUserItemRatingInternal). A `likes` that is not a boolean is a 400.
	 */
	protected rateItem(ctx: RequestContext, user: EmulatedUser, id: string, remove: boolean): Reply {
		const item = this.items.get(id);
		if (!item || this.hidden(user, item)) return { status: 404, body: { message: 'Item not found' } };
		const likes = this.param(ctx, 'likes');
		if (!remove && likes !== null && !/^(true|false)$/i.test(likes)) return { status: 400, body: { message: 'likes must be true or false' } };
		const prev = this.state.get(user.id, id) ?? emptyState();
		const rating = remove || likes === null ? undefined : likes.toLowerCase() === 'true' ? 10 : 1;
		this.state.set(user.id, id, { ...prev, rating });
		this.record({ userId: user.id, itemId: id, action: rating === undefined ? 'unrated' : 'rated', method: ctx.method, path: ctx.path });
		this.announceUserData(user, item);
		return { status: 200, body: this.userData(item, user) ?? {} };
	}

	protected readUserData(user: EmulatedUser, id: string): Reply {
		const item = this.items.get(id);
		if (!item || this.hidden(user, item)) return { status: 404, body: { message: 'Item not found' } };
		return { status: 200, body: this.userData(item, user) ?? {} };
	}

	/** POST …/UserData: Jellyfin applies what was sent, Emby replaces the record (see the top). */
	protected saveUserData(ctx: RequestContext, user: EmulatedUser, id: string): Reply {
		const item = this.items.get(id);
		if (!item || this.hidden(user, item)) return { status: 404, body: { message: 'Item not found' } };
		const body = (ctx.body ?? {}) as Record<string, unknown>;
		const ticks = body.PlaybackPositionTicks;
		if (ticks !== undefined && ticks !== null && (typeof ticks !== 'number' || ticks < 0)) return { status: 400, body: { message: 'invalid PlaybackPositionTicks' } };
		// UserItemData.Rating's setter throws ArgumentOutOfRangeException outside 0–10, which
		// ExceptionMiddleware answers 400 (jellyfin/jellyfin v10.11.11; Emby: the same model, inferred).
		const rating = body.Rating;
		if (rating !== undefined && rating !== null && (typeof rating !== 'number' || rating < 0 || rating > 10)) return { status: 400, body: { message: 'A 0 to 10 rating is required for UserItemData.' } };
		const prev = this.state.get(user.id, id) ?? emptyState();
		const at = (v: unknown) => (typeof v === 'string' ? parseDatePlayed(v) : undefined);
		const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
		let next: ItemState;
		if (this.flavor === 'jellyfin') {
			next = { ...prev };
			if (typeof ticks === 'number') next.positionMs = Math.round(ticks / TICKS);
			if (typeof body.Played === 'boolean') next.played = body.Played;
			if (typeof body.IsFavorite === 'boolean') next.isFavorite = body.IsFavorite;
			if (num(body.PlayCount) !== undefined) next.playCount = num(body.PlayCount)!;
			if (num(body.Rating) !== undefined) next.rating = num(body.Rating);
			if (at(body.LastPlayedDate) !== undefined) next.lastPlayedAt = at(body.LastPlayedDate);
		} else {
			next = {
				played: body.Played === true,
				playCount: num(body.PlayCount) ?? 0,
				lastPlayedAt: at(body.LastPlayedDate),
				positionMs: typeof ticks === 'number' ? Math.round(ticks / TICKS) : 0,
				isFavorite: body.IsFavorite === true,
				rating: num(body.Rating),
				updatedAt: prev.updatedAt,
			};
		}
		next.updatedAt = Date.now();
		this.state.set(user.id, id, next);
		const rated = next.rating !== prev.rating && next.positionMs === prev.positionMs;
		this.record({ userId: user.id, itemId: id, action: rated ? 'rated' : 'position', positionMs: next.positionMs, method: ctx.method, path: ctx.path });
		this.announceUserData(user, item);
		// Emby's UpdateUserItemData is a void ServiceStack operation: 204 No Content (its 4.8 / 4.9
		// OpenAPI lists a 200 without a body; arabcoders/watchstate src/Backends/Emby/Action/Progress.php
		// and JellyPlex-Watched's query() take 204 for it). Jellyfin answers the record it saved.
		return this.flavor === 'emby' ? { status: 204 } : { status: 200, body: this.userData(item, user) };
	}

	protected publicInfo(): Record<string, unknown> {
		return {
			LocalAddress: this.url,
			ServerName: this.options.name ?? `emulator-${this.flavor}`,
			Version: this.version,
			ProductName: this.flavor === 'emby' ? 'Emby Server' : 'Jellyfin Server',
			OperatingSystem: '',
			Id: this.serverId,
			StartupWizardCompleted: true,
		};
	}

	protected users(): Array<Record<string, unknown>> {
		return this.options.users.map((u) => ({ Name: u.name, ServerId: this.serverId, Id: u.id, HasPassword: true, Policy: this.policy(u) }));
	}

	/** A user's policy; Jellyfin's spec requires the provider ids (the defaults a server sets). */
	protected policy(user: EmulatedUser): Record<string, unknown> {
		const policy: Record<string, unknown> = { IsAdministrator: !!user.admin, IsDisabled: false, IsHidden: false };
		if (this.flavor === 'jellyfin') {
			policy.AuthenticationProviderId = 'Jellyfin.Server.Implementations.Users.DefaultAuthenticationProvider';
			policy.PasswordResetProviderId = 'Jellyfin.Server.Implementations.Users.DefaultPasswordResetProvider';
		}
		return policy;
	}

	/** The user's libraries: a restricted user (policy EnabledFolders) sees only theirs. */
	protected views(user?: EmulatedUser): Reply {
		const lib = (kind: 'movies' | 'tvshows', name: string) => ({ Name: name, ServerId: this.serverId, Id: this.libraryId(kind), Type: 'CollectionFolder', CollectionType: kind, IsFolder: true });
		const all = [lib('movies', 'Movies'), lib('tvshows', 'Shows')].filter((v) => !user?.libraries || user.libraries.includes(v.CollectionType === 'movies' ? 'movies' : 'shows'));
		return { status: 200, body: { Items: all, TotalRecordCount: all.length, StartIndex: 0 } };
	}

	/** An item a user may not see is not found for them. */
	protected hidden(user: EmulatedUser | undefined, item: SeedItem | SeedShow | undefined): boolean {
		return !!item && !userSees(user, item);
	}

	/** A handler for a user-scoped route: the user from the path (index 0) or the query. */
	protected withUser(userInPath: boolean, handler: (ctx: RequestContext, user: EmulatedUser, id: string) => Reply): (ctx: RequestContext) => Reply {
		return (ctx) => {
			const user = this.requireUser(ctx, userInPath ? ctx.params[0] : undefined);
			if ('status' in user) return user;
			return handler(ctx, user, userInPath ? ctx.params[1] : ctx.params[0]);
		};
	}

	/** Like withUser, for reads that an API key may also make without a user (no user data then). */
	protected maybeUser(userInPath: boolean, handler: (ctx: RequestContext, user: EmulatedUser | undefined, id: string) => Reply): (ctx: RequestContext) => Reply {
		return (ctx) => {
			const user = this.targetUser(ctx, userInPath ? ctx.params[0] : undefined);
			if (user && 'status' in user) return user;
			return handler(ctx, user, userInPath ? ctx.params[1] : ctx.params[0]);
		};
	}

	/** The routes both servers have, with the user in the path. */
	protected userPathRoutes(): Route[] {
		return [
			{ method: 'GET', pattern: /^\/Users\/(\w+)\/Views$/i, handler: this.withUser(true, (_ctx, u) => this.views(u)) },
			{ method: 'GET', pattern: /^\/Users\/(\w+)\/Items$/i, handler: this.withUser(true, (ctx, u) => this.listItems(ctx, u)) },
			{ method: 'GET', pattern: /^\/Users\/(\w+)\/Items\/(\w+)$/i, handler: this.withUser(true, (ctx, u, id) => this.getItem(ctx, u, id)) },
			{ method: 'POST', pattern: /^\/Users\/(\w+)\/PlayedItems\/(\w+)$/i, handler: this.withUser(true, (ctx, u, id) => this.markPlayed(ctx, u, id, true)) },
			{ method: 'DELETE', pattern: /^\/Users\/(\w+)\/PlayedItems\/(\w+)$/i, handler: this.withUser(true, (ctx, u, id) => this.markPlayed(ctx, u, id, false)) },
			{ method: 'POST', pattern: /^\/Users\/(\w+)\/Items\/(\w+)\/UserData$/i, handler: this.withUser(true, (ctx, u, id) => this.saveUserData(ctx, u, id)) },
			{ method: 'POST', pattern: /^\/Users\/(\w+)\/Items\/(\w+)\/Rating$/i, handler: this.withUser(true, (ctx, u, id) => this.rateItem(ctx, u, id, false)) },
			{ method: 'DELETE', pattern: /^\/Users\/(\w+)\/Items\/(\w+)\/Rating$/i, handler: this.withUser(true, (ctx, u, id) => this.rateItem(ctx, u, id, true)) },
			{ method: 'POST', pattern: /^\/Users\/(\w+)\/FavoriteItems\/(\w+)$/i, handler: this.withUser(true, (_ctx, u, id) => this.markFavorite(u, id, true)) },
			{ method: 'DELETE', pattern: /^\/Users\/(\w+)\/FavoriteItems\/(\w+)$/i, handler: this.withUser(true, (_ctx, u, id) => this.markFavorite(u, id, false)) },
		];
	}
}

function providerIds(guids: Guids): Record<string, string> {
	const out: Record<string, string> = {};
	const names: Record<string, string> = { imdb: 'Imdb', tmdb: 'Tmdb', tvdb: 'Tvdb' };
	for (const [k, v] of Object.entries(guids)) if (v !== undefined && names[k]) out[names[k]] = v;
	return out;
}

/** The one pair Emby filters on: the first well-formed `prov.id` of the list (see the top). */
function firstProviderPair(value: string | null): string | undefined {
	for (const pair of list(value)) {
		const parts = pair.split('.');
		if (parts.length === 2 && parts[0] && parts[1]) return `${parts[0]}=${parts[1]}`.toLowerCase();
	}
	return undefined;
}

/** `ProviderIds LIKE '%key=val%'` on the stored "Imdb=tt…|Tmdb=…" text: a substring, any case. */
function matchesProvider(guids: Guids, pair: string): boolean {
	const stored = Object.entries(providerIds(guids))
		.map(([k, v]) => `${k}=${v}`)
		.join('|')
		.toLowerCase();
	return stored.includes(pair);
}

export class JellyfinEmulator extends MediaBrowserEmulator {
	protected readonly flavor = 'jellyfin' as const;

	constructor(options: MediaBrowserOptions) {
		super(options, 'jellyfin');
	}

	idOf(item: SeedItem): string {
		return (item.kind === 'movie' ? 'a' : 'e') + item.n.toString(16).padStart(31, '0');
	}
	showId(show: SeedShow): string {
		return 'b' + show.n.toString(16).padStart(31, '0');
	}
	seasonId(show: SeedShow, season: number): string {
		return 'c' + (show.n * 100 + season).toString(16).padStart(31, '0');
	}
	protected libraryId(kind: 'movies' | 'tvshows'): string {
		return kind === 'movies' ? 'f0000000000000000000000000000001' : 'f0000000000000000000000000000002';
	}

	protected defaultOrder(): SortKey[] {
		return versionAtLeast(this.version, 10, 11) ? [{ by: 'SortName', descending: false }] : [];
	}

	protected socketPath(): boolean {
		return true;
	}

	private get legacyAuthorization(): boolean {
		return this.options.legacyAuthorization ?? !versionAtLeast(this.version, 12, 0);
	}

	/** AuthorizationContext: which headers and query names carry a token in this version. */
	protected tokenOf(ctx: RequestContext): string | undefined {
		const legacy = this.legacyAuthorization;
		const auth = String(ctx.headers['x-emby-authorization'] ?? ctx.headers.authorization ?? '');
		const m = /^(MediaBrowser|Emby)\s+(.*)$/i.exec(auth);
		if (m && (m[1].toLowerCase() === 'mediabrowser' || legacy)) {
			const token = /Token="([^"]*)"/i.exec(m[2]);
			if (token) return token[1];
		}
		if (legacy) {
			const header = (ctx.headers['x-emby-token'] as string | undefined) ?? (ctx.headers['x-mediabrowser-token'] as string | undefined);
			if (header) return header;
		}
		const apiKey = this.param(ctx, 'ApiKey');
		if (apiKey) return apiKey;
		return legacy ? (this.param(ctx, 'api_key') ?? undefined) : undefined;
	}

	protected routes(): Route[] {
		const modern = versionAtLeast(this.version, 10, 9);
		// 10.9 moved user-scoped routes to query style; the old ones stay (hidden) in versions.ts.
		const current: Route[] = [
			{ method: 'GET', pattern: /^\/UserViews$/i, handler: this.withUser(false, (_ctx, u) => this.views(u)) },
			{ method: 'GET', pattern: /^\/Items\/(\w+)$/i, handler: this.maybeUser(false, (ctx, u, id) => this.getItem(ctx, u, id)) },
			{ method: 'POST', pattern: /^\/UserPlayedItems\/(\w+)$/i, handler: this.withUser(false, (ctx, u, id) => this.markPlayed(ctx, u, id, true)) },
			{ method: 'DELETE', pattern: /^\/UserPlayedItems\/(\w+)$/i, handler: this.withUser(false, (ctx, u, id) => this.markPlayed(ctx, u, id, false)) },
			{ method: 'GET', pattern: /^\/UserItems\/(\w+)\/UserData$/i, handler: this.withUser(false, (_ctx, u, id) => this.readUserData(u, id)) },
			{ method: 'POST', pattern: /^\/UserItems\/(\w+)\/UserData$/i, handler: this.withUser(false, (ctx, u, id) => this.saveUserData(ctx, u, id)) },
			{ method: 'POST', pattern: /^\/UserItems\/(\w+)\/Rating$/i, handler: this.withUser(false, (ctx, u, id) => this.rateItem(ctx, u, id, false)) },
			{ method: 'DELETE', pattern: /^\/UserItems\/(\w+)\/Rating$/i, handler: this.withUser(false, (ctx, u, id) => this.rateItem(ctx, u, id, true)) },
			{ method: 'GET', pattern: /^\/Users\/(\w+)\/Items\/(\w+)\/UserData$/i, handler: this.withUser(true, (_ctx, u, id) => this.readUserData(u, id)) },
			{ method: 'POST', pattern: /^\/UserFavoriteItems\/(\w+)$/i, handler: this.withUser(false, (_ctx, u, id) => this.markFavorite(u, id, true)) },
			{ method: 'DELETE', pattern: /^\/UserFavoriteItems\/(\w+)$/i, handler: this.withUser(false, (_ctx, u, id) => this.markFavorite(u, id, false)) },
		];
		const userPath = this.userPathRoutes().filter((r) => modern || !/UserData/.test(r.pattern.source));
		return [
			{ method: 'GET', pattern: /^\/System\/Info\/Public$/i, handler: () => ({ status: 200, body: this.publicInfo() }) },
			{ method: 'GET', pattern: /^\/System\/Info$/i, handler: () => ({ status: 200, body: { ...this.publicInfo(), HasPendingRestart: false } }) },
			{
				method: 'GET',
				pattern: /^\/Users$/i,
				handler: (ctx) => {
					const caller = this.caller(ctx);
					return caller === 'admin' || caller?.admin ? { status: 200, body: this.users() } : { status: 403, body: { message: 'Forbidden' } };
				},
			},
			{
				method: 'GET',
				pattern: /^\/Users\/Me$/i,
				handler: (ctx) => {
					// UserController.GetCurrentUser: an API key has no user -> 400.
					const caller = this.caller(ctx);
					if (caller === 'admin' || !caller) return { status: 400, body: { message: 'API keys have no user' } };
					return { status: 200, body: this.users().find((u) => u.Id === caller.id) };
				},
			},
			{ method: 'GET', pattern: /^\/Items$/i, handler: this.maybeUser(false, (ctx, u) => this.listItems(ctx, u)) },
			{ method: 'GET', pattern: /^\/Shows\/(\w+)\/Episodes$/i, handler: (ctx) => this.showEpisodes(ctx, ctx.params[0]) },
			{ method: 'GET', pattern: /^\/Sessions$/i, handler: (ctx) => this.sessionsReply(ctx) },
			{ method: 'POST', pattern: /^\/Sessions\/Playing$/i, handler: (ctx) => this.playbackReport(ctx, 'start') },
			{ method: 'POST', pattern: /^\/Sessions\/Playing\/Progress$/i, handler: (ctx) => this.playbackReport(ctx, 'progress') },
			{ method: 'POST', pattern: /^\/Sessions\/Playing\/Stopped$/i, handler: (ctx) => this.playbackReport(ctx, 'stop') },
			...(modern ? current : []),
			...userPath,
		];
	}
}

export class EmbyEmulator extends MediaBrowserEmulator {
	protected readonly flavor = 'emby' as const;

	constructor(options: MediaBrowserOptions) {
		super(options, 'emby');
	}

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

	protected socketPath(path: string): boolean {
		return /^\/embywebsocket$/i.test(path);
	}

	protected defaultOrder(): SortKey[] {
		return [];
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
		return [
			{ method: 'GET', pattern: /^\/System\/Info\/Public$/i, handler: () => ({ status: 200, body: this.publicInfo() }) },
			{ method: 'GET', pattern: /^\/System\/Info$/i, handler: () => ({ status: 200, body: this.publicInfo() }) },
			{ method: 'GET', pattern: /^\/Users\/Query$/i, handler: () => ({ status: 200, body: { Items: this.users(), TotalRecordCount: this.options.users.length } }) },
			// Served outside the 4.8 / 4.9 specs (versions.ts EMBY_SERVED): a UserDto[] array, as Emby's 4.1.1.0 API description answers it.
			{ method: 'GET', pattern: /^\/Users$/i, handler: () => ({ status: 200, body: this.users() }) },
			{ method: 'GET', pattern: /^\/Items$/i, handler: this.maybeUser(false, (ctx, u) => this.listItems(ctx, u)) },
			{ method: 'GET', pattern: /^\/Shows\/(\w+)\/Episodes$/i, handler: (ctx) => this.showEpisodes(ctx, ctx.params[0]) },
			{ method: 'GET', pattern: /^\/Sessions$/i, handler: (ctx) => this.sessionsReply(ctx) },
			{ method: 'POST', pattern: /^\/Sessions\/Playing$/i, handler: (ctx) => this.playbackReport(ctx, 'start') },
			{ method: 'POST', pattern: /^\/Sessions\/Playing\/Progress$/i, handler: (ctx) => this.playbackReport(ctx, 'progress') },
			{ method: 'POST', pattern: /^\/Sessions\/Playing\/Stopped$/i, handler: (ctx) => this.playbackReport(ctx, 'stop') },
			...this.userPathRoutes(),
			{ method: 'POST', pattern: /^\/Users\/(\w+)\/PlayedItems\/(\w+)\/Delete$/i, handler: this.withUser(true, (ctx, u, id) => this.markPlayed(ctx, u, id, false)) },
			{ method: 'POST', pattern: /^\/Users\/(\w+)\/Items\/(\w+)\/Rating\/Delete$/i, handler: this.withUser(true, (ctx, u, id) => this.rateItem(ctx, u, id, true)) },
		];
	}
}
