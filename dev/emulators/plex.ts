/**
 * Emulated Plex Media Server (backend-apis.md §1.2), bound to the community spec plus what PMS
 * serves beyond it (versions.ts):
 * - JSON only with `Accept: application/json`, XML with child elements otherwise (plexxml.ts);
 * - X-Plex-Token in a header or the query (401 with an HTML body without it);
 * - zero-valued attributes omitted, paging by X-Plex-Container-Start/Size as headers or query;
 * - `/library`, `/library/sections` (and `/all`), a section's `/all` with the media-query filters
 *   clients use (`type`, `title`, `year`, `unwatched`, `inProgress`, `episode.unwatched`, `sort`)
 *   and `includeMeta`, `/collections`, `/allLeaves`; `/library/metadata/{id}` with `Guid`,
 *   `Media` / `Part` by default, its `/children` and `/allLeaves`;
 * - per-user state (each user has a token), `/:/scrobble`, `/:/unscrobble`, `/:/progress` and
 *   `/:/timeline` (GET and the spec's PUT / POST; the timeline is ignored without
 *   X-Plex-Client-Identifier and a duration, as PMS does per watchstate's Progress.php, and without
 *   the library identifier, which python-plexapi's updateTimeline and watchstate always send);
 * - PMS dates every play and every progress report at the call, with its own clock (now()), in
 *   whole seconds (lastViewedAt): a scrobble has no date parameter, and a partial report stamps
 *   lastViewedAt too (it is what orders Continue Watching; CrossWatch reads a resume point's date
 *   from lastViewedAt); a report at or past the "Video played threshold"
 *   (LibraryVideoPlayedThreshold in /:/prefs, default 90 %, support.plex.tv Library settings)
 *   marks the item played;
 * - `/status/sessions` (the owner's token only: a shared token cannot read it, CrossWatch#964);
 * - `/accounts` lists the system account 0 without a name, and accounts of ended shares
 *   (staleAccounts) that plex.tv no longer knows;
 * - a show whose seasons are hidden (flattenSeasons=1, python-plexapi video.py Show) has its
 *   episodes directly under `/children`; `/allLeaves` lists them either way;
 * - the notification socket `/:/websockets/notifications` (X-Plex-Token in the query, as
 *   python-plexapi's AlertListener and @ctrl/plex connect; 401 without a known token, before any
 *   upgrade). The owner's socket hears the server's notifications (assumed like /status/sessions:
 *   what others play is the owner's to see): `playing` with PlaySessionStateNotification (sessionKey,
 *   clientIdentifier, key, ratingKey, viewOffset, state) for every timeline report a client sends
 *   with a state, and, when a user's watch state of an item changes (scrobble, unscrobble, a report
 *   past the threshold), `activity` with an ActivityNotification `library.refresh.items` that ends
 *   at progress 100, whose Context.key is the item and userID the account (PlexTraktSync's watch
 *   listens for exactly that event to see played / unplayed, Taxel/PlexTraktSync#499; the owner is
 *   account 1). A `stopped` report ends the session.
 */
import { allItems, emptyState, foldTitle, showFolder, SHOW_TITLE_OFFSET, titleOnServer, userSees, type EmulatedUser, type ItemState, type SeedEpisode, type SeedItem, type SeedLibrary, type SeedShow } from './library';
import { mediaContainerXml } from './plexxml';
import { EmulatedServer, StateStore, type Reply, type RequestContext, type Route } from './server';
import type { UpgradeVerdict } from './socket';
import { specsPresent } from './spec/files';
import { PLEX_VERSION, plexGate } from './versions';

export interface PlexEmulatorOptions {
	library: SeedLibrary;
	/** The first user is the server owner. */
	users: EmulatedUser[];
	machineIdentifier?: string;
	name?: string;
	/** Give items legacy-agent guid strings instead of a Guid array. */
	legacyAgents?: boolean;
	/** Check requests against the published spec (default: when the specs are at hand). */
	spec?: boolean;
	/** Name some titles as this server would (library.ts titleOnServer). */
	titleVariants?: boolean;
	/** The server's "Video played threshold" in percent (PMS default 90). */
	playedThreshold?: number;
	/** Shows (by seed number) whose seasons are hidden (flattenSeasons=1). */
	flattenSeasons?: number[];
	/** Accounts the server still lists after their share ended (no token acts as them). */
	staleAccounts?: Array<{ id: string; name: string }>;
}

/** Someone playing an item right now (tests). */
export interface PlexSession {
	userId: string;
	item: SeedItem;
	positionMs: number;
	state: 'playing' | 'paused' | 'buffering';
	/** The session's key on the server (stable while it lasts); given by timeline reports. */
	sessionKey?: string;
	/** The player's X-Plex-Client-Identifier. */
	clientIdentifier?: string;
}

const MOVIE_SECTION = '1';
const SHOW_SECTION = '2';
const TYPE = { movie: '1', show: '2', season: '3', episode: '4' };

export const plexKeys = {
	movie: (n: number) => String(100000 + n),
	show: (n: number) => String(5000000 + n),
	season: (show: number, season: number) => String(6000000 + show * 100 + season),
	episode: (n: number) => String(1000000 + n),
};

function hex24(prefix: string, n: number): string {
	return (prefix + n.toString(16)).padStart(24, '0');
}

const NOT_FOUND = '<html><head><title>Not Found</title></head><body><h1>404 Not Found</h1></body></html>';

export class PlexEmulator extends EmulatedServer {
	readonly state = new StateStore();
	readonly machineIdentifier: string;
	/** What is being played now (tests set it): /status/sessions lists these. */
	readonly sessions: PlexSession[] = [];
	/**
	 * Paged listing requests still to answer as if an item had been added before the page was read
	 * (every row shifts one on: the page repeats the previous page's last row, and one row is never
	 * seen): what a library scan running during a listing does.
	 */
	shiftedPages = 0;
	private readonly items = new Map<string, SeedItem>();
	private readonly shows = new Map<string, SeedShow>();
	private readonly seasons = new Map<string, { show: SeedShow; season: number }>();
	private readonly episodesByShow = new Map<SeedShow, SeedEpisode[]>();
	private nextSessionKey = 1;

	constructor(readonly options: PlexEmulatorOptions) {
		super();
		this.machineIdentifier = options.machineIdentifier ?? '0123456789abcdef0123456789abcdef01234567';
		if (options.spec ?? specsPresent) this.gate = plexGate();
		for (const item of allItems(options.library)) this.items.set(this.keyOf(item), item);
		for (const show of options.library.shows) this.shows.set(plexKeys.show(show.n), show);
		for (const e of options.library.episodes) {
			this.seasons.set(plexKeys.season(e.show.n, e.season), { show: e.show, season: e.season });
			const list = this.episodesByShow.get(e.show);
			if (list) list.push(e);
			else this.episodesByShow.set(e.show, [e]);
		}
	}

	keyOf(item: SeedItem): string {
		return item.kind === 'movie' ? plexKeys.movie(item.n) : plexKeys.episode(item.n);
	}

	private readonly folded = new Map<SeedItem | SeedShow, string>();

	private foldedTitle(item: SeedItem | SeedShow): string {
		let folded = this.folded.get(item);
		if (folded === undefined) this.folded.set(item, (folded = foldTitle(this.titleOf(item))));
		return folded;
	}

	/** The title this server shows for an item (or a show), which may differ from other servers'. */
	titleOf(item: SeedItem | SeedShow): string {
		if (!this.options.titleVariants || ('kind' in item && item.kind === 'episode')) return item.title;
		return titleOnServer('plex', item.title, 'kind' in item ? item.n : SHOW_TITLE_OFFSET + item.n);
	}

	/** Sets a user's state directly (test setup), without logging a write. */
	seedState(userId: string, item: SeedItem, state: Partial<ItemState>): void {
		this.state.set(userId, this.keyOf(item), { ...emptyState(), ...state });
	}

	stateOf(userId: string, item: SeedItem): ItemState {
		return this.state.get(userId, this.keyOf(item)) ?? emptyState();
	}

	/** The user of the request's token (undefined only before authenticate has refused it, e.g. on an upgrade). */
	private user(ctx: RequestContext): EmulatedUser {
		const token = (ctx.headers['x-plex-token'] as string | undefined) ?? ctx.query.get('X-Plex-Token') ?? '';
		return this.options.users.find((u) => u.token === token)!;
	}

	protected upgrade(ctx: RequestContext): UpgradeVerdict {
		if (ctx.path !== '/:/websockets/notifications') return { status: 404, body: NOT_FOUND };
		const user = this.user(ctx) as EmulatedUser | undefined;
		if (!user) return { status: 401, body: '<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>' };
		return { accept: true, who: user };
	}

	/** Sends a notification to the owner's sockets. */
	private notify(container: Record<string, unknown>): void {
		this.live.broadcast({ NotificationContainer: container }, (s) => s.who === this.options.users[0]);
	}

	private accountOf(user: EmulatedUser): number {
		return user === this.options.users[0] ? 1 : Number(user.id);
	}

	/** What PMS announces when a user's watch state of an item changed (see the top). */
	private notifyStateChanged(user: EmulatedUser, key: string): void {
		const uuid = `${key}-${this.nextSessionKey++}`;
		const activity = (event: string, progress: number) => ({
			event,
			uuid,
			Activity: { uuid, type: 'library.refresh.items', cancellable: false, userID: this.accountOf(user), title: 'Refreshing', subtitle: '', progress, Context: { accessible: true, exists: true, key: `/library/metadata/${key}`, refreshed: true } },
		});
		this.notify({ type: 'activity', size: 1, ActivityNotification: [activity('started', 0)] });
		this.notify({ type: 'activity', size: 1, ActivityNotification: [activity('ended', 100)] });
	}

	/** A timeline report with a state: the player's session starts, moves or ends, and the owner hears it. */
	private reportSession(ctx: RequestContext, user: EmulatedUser, key: string, item: SeedItem, ms: number): void {
		const state = ctx.query.get('state');
		if (state !== 'playing' && state !== 'paused' && state !== 'stopped' && state !== 'buffering') return;
		const clientIdentifier = String(ctx.headers['x-plex-client-identifier']);
		let session = this.sessions.find((s) => s.userId === user.id && s.clientIdentifier === clientIdentifier);
		if (!session && state !== 'stopped') {
			session = { userId: user.id, item, positionMs: ms, state, sessionKey: String(this.nextSessionKey++), clientIdentifier };
			this.sessions.push(session);
		}
		if (!session) return;
		session.item = item;
		session.positionMs = ms;
		if (state !== 'stopped') session.state = state;
		else this.sessions.splice(this.sessions.indexOf(session), 1);
		this.notify({
			type: 'playing',
			size: 1,
			PlaySessionStateNotification: [{ sessionKey: session.sessionKey, clientIdentifier, guid: '', ratingKey: key, url: '', key: `/library/metadata/${key}`, viewOffset: ms, playQueueItemID: 1, state }],
		});
	}

	protected authenticate(ctx: RequestContext): Reply | undefined {
		if (ctx.path === '/identity') return undefined;
		const token = (ctx.headers['x-plex-token'] as string | undefined) ?? ctx.query.get('X-Plex-Token');
		if (token && this.options.users.some((u) => u.token === token)) return undefined;
		return { status: 401, headers: { 'content-type': 'text/html' }, body: '<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>', raw: true };
	}

	private unauthorized(): Reply {
		return { status: 401, headers: { 'content-type': 'text/html' }, body: '<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>', raw: true };
	}

	/** The threshold in percent at or past which a progress report marks the item played. */
	get playedThreshold(): number {
		return this.options.playedThreshold ?? 90;
	}

	/** /:/prefs: the settings a sync reads (the threshold), shaped as the spec's Setting list. */
	private prefs(): Record<string, unknown> {
		const Setting = [
			{ id: 'FriendlyName', label: 'Friendly name', summary: '', type: 'text', default: '', value: this.options.name ?? '', hidden: false, advanced: false, group: 'general' },
			{
				id: 'LibraryVideoPlayedThreshold',
				label: 'Video played threshold',
				summary: 'Set the progress percentage for video playback at which point the video will be marked as played.',
				type: 'int',
				default: 90,
				value: this.playedThreshold,
				hidden: false,
				advanced: true,
				group: 'library',
			},
		];
		return { size: Setting.length, Setting };
	}

	/** /status/sessions: each session as a Metadata row with its User and Player. */
	private sessionsContainer(): Record<string, unknown> {
		const owner = this.options.users[0];
		const Metadata = this.sessions.map((session, i) => {
			const user = this.options.users.find((u) => u.id === session.userId);
			const row = this.itemJson(session.item, user ?? owner, false);
			return {
				...row,
				viewOffset: session.positionMs,
				sessionKey: session.sessionKey ?? String(i + 1),
				User: { id: user === owner ? '1' : session.userId, title: user?.name ?? '', thumb: `https://plex.tv/users/${session.userId}/avatar` },
				Player: { address: '127.0.0.1', machineIdentifier: session.clientIdentifier ?? `player-${i + 1}`, platform: 'Web', product: 'Plex Web', state: session.state, title: 'Browser', local: true },
				Session: { id: `session-${i + 1}`, bandwidth: 10000, location: 'lan' },
			};
		});
		return { size: Metadata.length, ...(Metadata.length > 0 ? { Metadata } : {}) };
	}

	protected refusal(status: number): Reply {
		const text = status === 404 ? NOT_FOUND : `<html><head><title>Bad Request</title></head><body><h1>${status} Bad Request</h1></body></html>`;
		return { status, headers: { 'content-type': 'text/html' }, body: text, raw: true };
	}

	private container(ctx: RequestContext, container: Record<string, unknown>, headers: Record<string, string> = {}): Reply {
		const accept = String(ctx.headers.accept ?? '');
		if (!accept.includes('application/json')) {
			return { status: 200, headers: { ...headers, 'content-type': 'text/xml;charset=utf-8' }, body: mediaContainerXml(container), raw: true };
		}
		return { status: 200, headers, body: { MediaContainer: container } };
	}

	private sectionsContainer(ctx: RequestContext): Reply {
		const section = (key: string, title: string, type: string, agent: string, root: string) => ({
			allowSync: true,
			key,
			type,
			title,
			agent,
			scanner: type === 'movie' ? 'Plex Movie' : 'Plex TV Series',
			language: 'en-US',
			uuid: `section-${type}`,
			updatedAt: 1716000000,
			createdAt: 1700000000,
			scannedAt: 1716000000,
			content: true,
			directory: true,
			Location: [{ id: Number(key), path: root }],
		});
		// A shared user sees only the sections shared with them.
		const Directory = [section(MOVIE_SECTION, 'Movies', 'movie', 'tv.plex.agents.movie', '/media/movies'), section(SHOW_SECTION, 'TV Shows', 'show', 'tv.plex.agents.series', '/media/tv')].filter((d) =>
			this.sectionVisible(this.user(ctx), d.key),
		);
		return this.container(ctx, { size: Directory.length, allowSync: false, title1: 'Plex Library', Directory });
	}

	protected routes(): Route[] {
		const identity = { size: 0, claimed: true, machineIdentifier: this.machineIdentifier, version: PLEX_VERSION };
		return [
			{ method: 'GET', pattern: /^\/identity$/, handler: (ctx) => this.container(ctx, identity) },
			{ method: 'GET', pattern: /^\/$/, handler: (ctx) => this.container(ctx, this.capabilities()) },
			{
				method: 'GET',
				pattern: /^\/accounts$/,
				handler: (ctx) => {
					if (this.user(ctx) !== this.options.users[0]) return { status: 401, body: 'owner only', raw: true };
					// The system account 0 has no name; accounts of ended shares stay listed.
					const listed = [{ id: '0', name: '' }, ...this.options.users.map((u, i) => ({ id: i === 0 ? '1' : u.id, name: u.name })), ...(this.options.staleAccounts ?? [])];
					const Account = listed.map((a) => ({ id: Number(a.id), key: `/accounts/${a.id}`, name: a.name }));
					return this.container(ctx, { size: Account.length, identifier: 'com.plexapp.system.accounts', Account });
				},
			},
			{
				method: 'GET',
				pattern: /^\/library$/,
				handler: (ctx) =>
					this.container(ctx, {
						size: 3,
						allowSync: false,
						identifier: 'com.plexapp.plugins.library',
						mediaTagPrefix: '/system/bundle/media/flags/',
						title1: 'Plex Library',
						Directory: [
							{ key: 'sections', title: 'Library Sections' },
							{ key: 'recentlyAdded', title: 'Recently Added Content' },
							{ key: 'onDeck', title: 'On Deck Content' },
						],
					}),
			},
			{ method: 'GET', pattern: /^\/library\/sections$/, handler: (ctx) => this.sectionsContainer(ctx) },
			{ method: 'GET', pattern: /^\/library\/sections\/all$/, handler: (ctx) => this.sectionsContainer(ctx) },
			{ method: 'GET', pattern: /^\/library\/sections\/(\w+)\/all$/, handler: (ctx) => this.listSection(ctx) },
			{ method: 'GET', pattern: /^\/library\/sections\/(\w+)\/allLeaves$/, handler: (ctx) => this.sectionLeaves(ctx) },
			{ method: 'GET', pattern: /^\/library\/sections\/(\w+)\/collections$/, handler: (ctx) => (this.isSection(ctx.params[0]) ? this.container(ctx, { size: 0, librarySectionID: Number(ctx.params[0]) }) : this.refusal(404)) },
			{ method: 'GET', pattern: /^\/library\/metadata\/(\d+(?:,\d+)*)$/, handler: (ctx) => this.getMetadata(ctx) },
			{ method: 'GET', pattern: /^\/library\/metadata\/(\d+)\/children$/, handler: (ctx) => this.children(ctx) },
			{ method: 'GET', pattern: /^\/library\/metadata\/(\d+)\/allLeaves$/, handler: (ctx) => this.allLeaves(ctx) },
			...['GET', 'PUT'].flatMap((method) => [
				{ method, pattern: /^\/:\/scrobble$/, handler: (ctx: RequestContext) => this.scrobble(ctx, true) },
				{ method, pattern: /^\/:\/unscrobble$/, handler: (ctx: RequestContext) => this.scrobble(ctx, false) },
				{ method, pattern: /^\/:\/rate$/, handler: (ctx: RequestContext) => this.rate(ctx) },
			]),
			{ method: 'GET', pattern: /^\/:\/progress$/, handler: (ctx: RequestContext) => this.progress(ctx, ctx.query.get('key'), ctx.query.get('time')) },
			{ method: 'GET', pattern: /^\/:\/prefs$/, handler: (ctx: RequestContext) => (this.user(ctx) === this.options.users[0] ? this.container(ctx, this.prefs()) : this.unauthorized()) },
			{ method: 'GET', pattern: /^\/status\/sessions$/, handler: (ctx: RequestContext) => (this.user(ctx) === this.options.users[0] ? this.container(ctx, this.sessionsContainer()) : this.unauthorized()) },
			...['GET', 'POST'].map((method) => ({
				method,
				pattern: /^\/:\/timeline$/,
				handler: (ctx: RequestContext) => {
					// PMS ignores timeline reports from clients that do not identify themselves or the library.
					if (!ctx.headers['x-plex-client-identifier'] || !ctx.query.get('duration') || ctx.query.get('identifier') !== 'com.plexapp.plugins.library') return { status: 200 };
					return this.progress(ctx, ctx.query.get('ratingKey') ?? ctx.query.get('key')?.split('/').pop() ?? null, ctx.query.get('time'));
				},
			})),
		];
	}

	/** The server root: what a PMS says of itself (the attributes python-plexapi's PlexServer reads). */
	private capabilities(): Record<string, unknown> {
		return {
			size: 0,
			allowCameraUpload: false,
			allowChannelAccess: true,
			allowMediaDeletion: false,
			allowSharing: true,
			allowSync: false,
			allowTuners: false,
			backgroundProcessing: true,
			certificate: false,
			companionProxy: true,
			countryCode: 'usa',
			diagnostics: 'logs,databases,streaminglogs',
			eventStream: true,
			friendlyName: this.options.name ?? 'emulator-plex',
			hubSearch: true,
			machineIdentifier: this.machineIdentifier,
			multiuser: true,
			myPlex: false,
			myPlexMappingState: 'unknown',
			myPlexSigninState: 'none',
			myPlexSubscription: false,
			myPlexUsername: '',
			ownerFeatures: 'collections,content_filter,download_certificates,federated-auth,hub-style-list,music_videos,webhooks',
			photoAutoTag: false,
			platform: 'Linux',
			platformVersion: '6.1',
			pluginHost: true,
			pushNotifications: false,
			readOnlyLibraries: false,
			streamingBrainABRVersion: 3,
			streamingBrainVersion: 2,
			sync: true,
			transcoderActiveVideoSessions: 0,
			transcoderAudio: true,
			transcoderLyrics: true,
			transcoderPhoto: true,
			transcoderSubtitles: true,
			transcoderVideo: true,
			transcoderVideoBitrates: '64,96,208,320,720,1500,2000,3000,4000,8000,10000,12000,20000',
			transcoderVideoQualities: '0,1,2,3,4,5,6,7,8,9,10,11,12',
			transcoderVideoResolutions: '128,128,160,240,320,480,768,720,720,1080,1080,1080,1080',
			updatedAt: 1716000000,
			updater: true,
			version: PLEX_VERSION,
			voiceSearch: true,
			Directory: [
				{ count: 1, key: 'library', title: 'library' },
				{ count: 1, key: 'accounts', title: 'accounts' },
			],
		};
	}

	private isSection(id: string): boolean {
		return id === MOVIE_SECTION || id === SHOW_SECTION;
	}

	private sectionVisible(user: EmulatedUser, section: string): boolean {
		return !user.libraries || user.libraries.includes(section === MOVIE_SECTION ? 'movies' : 'shows');
	}

	private paging(ctx: RequestContext): { start: number; size: number } {
		const start = Number(ctx.headers['x-plex-container-start'] ?? ctx.query.get('X-Plex-Container-Start') ?? 0);
		const size = Number(ctx.headers['x-plex-container-size'] ?? ctx.query.get('X-Plex-Container-Size') ?? 1_000_000);
		return { start: Math.max(0, start || 0), size: Math.max(0, Number.isFinite(size) ? size : 1_000_000) };
	}

	/** A page of rows as PMS sends it: total size in the body and the headers; rows become JSON per page only. */
	private page<T>(ctx: RequestContext, rows: T[], toJson: (row: T) => Record<string, unknown>, extra: Record<string, unknown>): Reply {
		const { start, size } = this.paging(ctx);
		const shift = start > 0 && this.shiftedPages > 0 ? 1 : 0;
		if (shift) this.shiftedPages--;
		const page = rows.slice(start - shift, start - shift + size).map(toJson);
		return this.container(
			ctx,
			{ size: page.length, totalSize: rows.length, offset: start, ...extra, ...(page.length > 0 ? { Metadata: page } : {}) },
			{ 'X-Plex-Container-Total-Size': String(rows.length), 'X-Plex-Container-Start': String(start) },
		);
	}

	/** The media-query filters clients use on a section (`title` is "contains", any case). */
	private keep(ctx: RequestContext, item: SeedItem | SeedShow, state: ItemState | undefined, kind: 'movie' | 'show' | 'episode'): boolean {
		const q = ctx.query;
		const title = q.get('title');
		// `title=` matches titles containing the term, regardless of case and accents.
		if (title !== null && !this.foldedTitle(item).includes(foldTitle(title))) return false;
		const year = q.get('year');
		if (year !== null && String('kind' in item && item.kind === 'episode' ? item.show.year : item.year) !== year) return false;
		if (kind === 'show') return true;
		return this.keepState(q, state, ['', `${kind}.`]);
	}

	/** The boolean watch-state fields (`unwatched`, `inProgress`) under the given prefixes. */
	private keepState(q: URLSearchParams, state: ItemState | undefined, prefixes: string[]): boolean {
		const viewed = (state?.playCount ?? 0) > 0;
		const inProgress = (state?.positionMs ?? 0) > 0;
		for (const prefix of prefixes) {
			const unwatched = q.get(`${prefix}unwatched`);
			if ((unwatched === '1' && viewed) || (unwatched === '0' && !viewed)) return false;
			const progress = q.get(`${prefix}inProgress`);
			if ((progress === '1' && !inProgress) || (progress === '0' && inProgress)) return false;
		}
		return true;
	}

	/**
	 * A show listing filtered by its episodes, as PMS joins them: `episode.unwatched=0` keeps the
	 * shows with a played episode, `episode.inProgress=1` those with one in progress (python-plexapi
	 * 4.16.1 library.py _validateFilterField turns a show-section search(unwatched=False) into
	 * `type=2&episode.unwatched=0`, tests/test_library.py "equal to episode.unwatched=True"), and
	 * `show.unwatchedLeaves=1` the shows with an unplayed episode (Kometa's `unplayed_episodes`).
	 */
	private keepShow(q: URLSearchParams, show: SeedShow, user: EmulatedUser): boolean {
		const states = this.episodesOf(show).map((e) => this.state.get(user.id, this.keyOf(e)));
		const byEpisode = ['episode.unwatched', 'episode.inProgress'].some((name) => q.has(name));
		if (byEpisode && !states.some((st) => this.keepState(q, st, ['episode.']))) return false;
		const leaves = q.get('show.unwatchedLeaves') ?? q.get('unwatchedLeaves');
		const someUnplayed = states.some((st) => !((st?.playCount ?? 0) > 0));
		return !((leaves === '1' && !someUnplayed) || (leaves === '0' && someUnplayed));
	}

	/** `sort=field[:desc]` on what clients sort by; ties keep library order (ratingKey). */
	private sorted<T extends SeedItem | SeedShow>(ctx: RequestContext, rows: T[], user: EmulatedUser): T[] {
		const sort = ctx.query.get('sort');
		if (!sort) return rows;
		const [field, direction] = sort.split(':');
		const sign = direction === 'desc' ? -1 : 1;
		const value = (row: T): string | number | undefined => {
			const name = field.replace(/^\w+\./, '');
			if (name === 'title' || name === 'titleSort') return foldTitle(this.titleOf(row));
			if (name === 'year') return 'kind' in row && row.kind === 'episode' ? row.show.year : row.year;
			if (name === 'addedAt') return 'addedAt' in row ? row.addedAt : undefined;
			if (name === 'lastViewedAt' && 'kind' in row) return this.state.get(user.id, this.keyOf(row))?.lastPlayedAt;
			return undefined;
		};
		return rows
			.map((row, i) => ({ row, i, v: value(row) }))
			.sort((a, b) => {
				if (a.v === b.v) return a.i - b.i;
				if (a.v === undefined) return -sign;
				if (b.v === undefined) return sign;
				return (a.v < b.v ? -1 : 1) * sign;
			})
			.map((d) => d.row);
	}

	/**
	 * The section's filter and sort definitions (`includeMeta=1`), which python-plexapi checks every
	 * search keyword against (4.16.1 library.py _loadFilters, _validateFilterField,
	 * _validateFieldOperator): one Type per libtype of the section with its Filter, Sort and Field
	 * lists, and the FieldTypes with their operators. In a TV section the fields carry their libtype
	 * (`show.title`, `episode.unwatched`: Kometa's search and show translations name the same keys).
	 */
	private meta(section: string): Record<string, unknown> {
		const types: Array<keyof typeof TYPE> = section === MOVIE_SECTION ? ['movie'] : ['show', 'season', 'episode'];
		const field = (type: string, name: string, fieldType: string) => ({ key: section === MOVIE_SECTION ? name : `${type}.${name}`, title: name, type: fieldType });
		const fields: Record<string, Array<[string, string]>> = {
			movie: [['title', 'string'], ['year', 'integer'], ['unwatched', 'boolean'], ['inProgress', 'boolean'], ['viewCount', 'integer'], ['lastViewedAt', 'date'], ['addedAt', 'date']],
			show: [['title', 'string'], ['year', 'integer'], ['unwatchedLeaves', 'boolean'], ['viewCount', 'integer'], ['lastViewedAt', 'date'], ['addedAt', 'date']],
			season: [['title', 'string']],
			episode: [['title', 'string'], ['year', 'integer'], ['unwatched', 'boolean'], ['inProgress', 'boolean'], ['viewCount', 'integer'], ['lastViewedAt', 'date'], ['addedAt', 'date']],
		};
		const filterNames: Record<string, string[]> = { movie: ['unwatched', 'inProgress', 'year', 'genre', 'title'], show: ['unwatchedLeaves', 'year', 'genre', 'title'], season: [], episode: ['unwatched', 'inProgress', 'year', 'title'] };
		const booleans = new Set(['unwatched', 'inProgress', 'unwatchedLeaves']);
		const sorts = ['titleSort', 'addedAt', 'year', 'lastViewedAt'].map((key) => ({ key, descKey: `${key}:desc`, title: key, defaultDirection: 'asc' }));
		const op = (key: string, title: string) => ({ key, title });
		return {
			Type: types.map((type, i) => ({
				key: `/library/sections/${section}/all?type=${TYPE[type]}`,
				type,
				title: type,
				active: i === 0,
				Filter: filterNames[type].map((filter) => ({ filter, filterType: booleans.has(filter) ? 'boolean' : 'string', key: `/library/sections/${section}/${filter}`, title: filter, type: 'filter' })),
				Sort: sorts,
				Field: fields[type].map(([name, fieldType]) => field(type, name, fieldType)),
			})),
			FieldType: [
				{ type: 'string', Operator: [op('=', 'contains'), op('!=', 'does not contain'), op('==', 'is'), op('!==', 'is not'), op('<=', 'begins with'), op('>=', 'ends with')] },
				{ type: 'integer', Operator: [op('=', 'is'), op('!=', 'is not'), op('>>=', 'is greater than'), op('<<=', 'is less than')] },
				{ type: 'boolean', Operator: [op('=', 'is true'), op('!=', 'is false')] },
				{ type: 'date', Operator: [op('<<=', 'is before'), op('>>=', 'is after')] },
				{ type: 'tag', Operator: [op('=', 'is'), op('!=', 'is not')] },
			],
		};
	}

	private listSection(ctx: RequestContext): Reply {
		const [section] = ctx.params;
		const user = this.user(ctx);
		if (!this.isSection(section) || !this.sectionVisible(user, section)) return this.refusal(404);
		const type = ctx.query.get('type');
		const guids = ctx.query.get('includeGuids') === '1';
		const lib = this.options.library;
		const extra: Record<string, unknown> = { librarySectionID: Number(section), librarySectionTitle: section === MOVIE_SECTION ? 'Movies' : 'TV Shows', viewGroup: section === MOVIE_SECTION ? 'movie' : 'show' };
		if (ctx.query.get('includeMeta') === '1') extra.Meta = this.meta(section);
		const item = (i: SeedItem) => this.itemJson(i, user, guids);
		if (section === MOVIE_SECTION && (type === null || type === TYPE.movie)) {
			return this.page(ctx, this.sorted(ctx, lib.movies.filter((m) => this.keep(ctx, m, this.state.get(user.id, this.keyOf(m)), 'movie')), user), item, extra);
		}
		if (section === SHOW_SECTION && (type === null || type === TYPE.show)) {
			return this.page(ctx, this.sorted(ctx, lib.shows.filter((s) => this.keep(ctx, s, undefined, 'show') && this.keepShow(ctx.query, s, user)), user), (s) => this.showJson(s, user, guids), extra);
		}
		if (section === SHOW_SECTION && type === TYPE.episode) {
			return this.page(ctx, this.sorted(ctx, lib.episodes.filter((e) => this.keep(ctx, e, this.state.get(user.id, this.keyOf(e)), 'episode')), user), item, extra);
		}
		return this.page(ctx, [] as SeedItem[], item, extra);
	}

	private sectionLeaves(ctx: RequestContext): Reply {
		const [section] = ctx.params;
		const user = this.user(ctx);
		if (!this.isSection(section) || !this.sectionVisible(user, section)) return this.refusal(404);
		const leaves: SeedItem[] = section === MOVIE_SECTION ? this.options.library.movies : this.options.library.episodes;
		return this.page(ctx, leaves, (i) => this.itemJson(i, user, ctx.query.get('includeGuids') === '1'), { librarySectionID: Number(section) });
	}

	/** An item in a section not shared with the user is not found for them. */
	private hidden(user: EmulatedUser, key: string): boolean {
		const thing = this.items.get(key) ?? this.shows.get(key) ?? this.seasons.get(key)?.show;
		return !!thing && !userSees(user, thing);
	}

	/**
	 * `/library/metadata/{ids}`: "Get one or more metadata items" (the PMS spec's path takes a
	 * comma-separated list): the ones that exist and the user may see, in the order asked; 404 when
	 * none does. The metadata endpoint sends Guid (and Media) by default, unlike listings.
	 */
	private getMetadata(ctx: RequestContext): Reply {
		const user = this.user(ctx);
		const rows = ctx.params[0].split(',').flatMap((key) => {
			if (this.hidden(user, key)) return [];
			const item = this.items.get(key);
			if (item) return [this.itemJson(item, user, true)];
			const show = this.shows.get(key);
			if (show) return [this.showJson(show, user, true)];
			const season = this.seasons.get(key);
			return season ? [this.seasonJson(season.show, season.season, user)] : [];
		});
		return rows.length > 0 ? this.container(ctx, { size: rows.length, Metadata: rows }) : this.refusal(404);
	}

	private flattened(show: SeedShow): boolean {
		return this.options.flattenSeasons?.includes(show.n) === true;
	}

	private episodesOf(show: SeedShow, season?: number): SeedEpisode[] {
		const all = this.episodesByShow.get(show) ?? [];
		return season === undefined ? all : all.filter((e) => e.season === season);
	}

	/** A show's seasons, or a season's episodes. */
	private children(ctx: RequestContext): Reply {
		const [key] = ctx.params;
		const user = this.user(ctx);
		if (this.hidden(user, key)) return this.refusal(404);
		const show = this.shows.get(key);
		if (show && this.flattened(show)) {
			return this.page(ctx, this.episodesOf(show), (e) => this.itemJson(e, user, ctx.query.get('includeGuids') === '1'), { key, parentTitle: this.titleOf(show), viewGroup: 'episode' });
		}
		if (show) {
			const numbers = [...new Set(this.episodesOf(show).map((e) => e.season))];
			return this.page(ctx, numbers, (n) => this.seasonJson(show, n, user), { key, parentTitle: this.titleOf(show), viewGroup: 'season' });
		}
		const season = this.seasons.get(key);
		if (season) return this.page(ctx, this.episodesOf(season.show, season.season), (e) => this.itemJson(e, user, ctx.query.get('includeGuids') === '1'), { key, viewGroup: 'episode' });
		if (this.items.has(key)) return this.container(ctx, { size: 0 });
		return this.refusal(404);
	}

	private allLeaves(ctx: RequestContext): Reply {
		const [key] = ctx.params;
		const user = this.user(ctx);
		if (this.hidden(user, key)) return this.refusal(404);
		const show = this.shows.get(key);
		const season = this.seasons.get(key);
		if (!show && !season) return this.refusal(404);
		const episodes = show ? this.episodesOf(show) : this.episodesOf(season!.show, season!.season);
		return this.page(ctx, episodes, (e) => this.itemJson(e, user, ctx.query.get('includeGuids') === '1'), { key, viewGroup: 'episode' });
	}

	private guidFields(prefix: string, n: number, guids: Record<string, string | undefined>, include: boolean): Record<string, unknown> {
		if (this.options.legacyAgents) {
			const legacy = guids.imdb ? `com.plexapp.agents.imdb://${guids.imdb}?lang=en` : guids.tmdb ? `com.plexapp.agents.themoviedb://${guids.tmdb}?lang=en` : `local://${n}`;
			return { guid: legacy };
		}
		const fields: Record<string, unknown> = { guid: `plex://${prefix}/${hex24(prefix === 'movie' ? '1' : prefix === 'show' ? '2' : prefix === 'season' ? '4' : '3', n)}` };
		if (include) {
			const list = Object.entries(guids)
				.filter(([, v]) => v !== undefined)
				.map(([k, v]) => ({ id: `${k}://${v}` }));
			if (list.length > 0) fields.Guid = list;
		}
		return fields;
	}

	/** Played counts of a set of episodes, as PMS puts them on shows and seasons. */
	private leafCounts(episodes: SeedEpisode[], user: EmulatedUser): Record<string, number> {
		const viewed = episodes.filter((e) => (this.state.get(user.id, this.keyOf(e))?.playCount ?? 0) > 0).length;
		return viewed > 0 ? { leafCount: episodes.length, viewedLeafCount: viewed } : { leafCount: episodes.length };
	}

	private showJson(show: SeedShow, user: EmulatedUser, includeGuids: boolean): Record<string, unknown> {
		const episodes = this.episodesOf(show);
		return {
			ratingKey: plexKeys.show(show.n),
			key: `/library/metadata/${plexKeys.show(show.n)}/children`,
			...this.guidFields('show', show.n, { ...show.guids }, includeGuids),
			type: 'show',
			title: this.titleOf(show),
			year: show.year,
			librarySectionID: Number(SHOW_SECTION),
			librarySectionTitle: 'TV Shows',
			librarySectionKey: `/library/sections/${SHOW_SECTION}`,
			childCount: new Set(episodes.map((e) => e.season)).size,
			// The show's folder, in listings and metadata alike: python-plexapi reads Show.locations
			// from it (video.py Show._loadData, etag 'Location'); clients match shows by path with it.
			Location: [{ path: showFolder(show) }],
			...(this.flattened(show) ? { flattenSeasons: 1 } : {}),
			addedAt: Math.floor(Math.min(...episodes.map((e) => e.addedAt), Date.UTC(2024, 0, 1)) / 1000),
			...this.leafCounts(episodes, user),
		};
	}

	private seasonJson(show: SeedShow, season: number, user: EmulatedUser): Record<string, unknown> {
		const key = plexKeys.season(show.n, season);
		return {
			ratingKey: key,
			key: `/library/metadata/${key}/children`,
			parentRatingKey: plexKeys.show(show.n),
			parentKey: `/library/metadata/${plexKeys.show(show.n)}`,
			parentTitle: this.titleOf(show),
			...this.guidFields('season', show.n * 100 + season, {}, false),
			type: 'season',
			title: `Season ${season}`,
			index: season,
			addedAt: Math.floor(Math.min(...this.episodesOf(show, season).map((e) => e.addedAt)) / 1000),
			librarySectionID: Number(SHOW_SECTION),
			librarySectionTitle: 'TV Shows',
			...this.leafCounts(this.episodesOf(show, season), user),
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
			title: this.titleOf(item),
		};
		if (item.kind === 'movie') {
			Object.assign(base, { librarySectionID: Number(MOVIE_SECTION), librarySectionTitle: 'Movies', year: item.year });
		} else {
			Object.assign(base, {
				librarySectionID: Number(SHOW_SECTION),
				librarySectionTitle: 'TV Shows',
				grandparentRatingKey: plexKeys.show(item.show.n),
				grandparentKey: `/library/metadata/${plexKeys.show(item.show.n)}`,
				grandparentTitle: this.titleOf(item.show),
				parentRatingKey: plexKeys.season(item.show.n, item.season),
				parentKey: `/library/metadata/${plexKeys.season(item.show.n, item.season)}`,
				parentTitle: `Season ${item.season}`,
				parentIndex: item.season,
				index: item.episode,
				year: item.show.year,
			});
		}
		base.duration = item.durationMs;
		base.addedAt = Math.floor(item.addedAt / 1000);
		base.updatedAt = Math.floor(item.savedAt / 1000);
		// PMS omits zero values.
		if (state.playCount > 0) base.viewCount = state.playCount;
		if (state.positionMs > 0) base.viewOffset = state.positionMs;
		if (state.lastPlayedAt) base.lastViewedAt = Math.floor(state.lastPlayedAt / 1000);
		if (state.rating !== undefined) base.userRating = state.rating;
		if (state.rating !== undefined && state.ratedAt) base.lastRatedAt = Math.floor(state.ratedAt / 1000);
		base.Media = [{ id: Number(key), duration: item.durationMs, container: 'mkv', Part: [{ id: Number(key), key: `/library/parts/${key}/${Math.floor(item.addedAt / 1000)}/file.mkv`, duration: item.durationMs, file: item.path, container: 'mkv' }] }];
		return base;
	}

	private scrobble(ctx: RequestContext, played: boolean): Reply {
		if (ctx.query.get('identifier') !== 'com.plexapp.plugins.library') return { status: 400, body: 'missing identifier', raw: true };
		const key = ctx.query.get('key');
		const user = this.user(ctx);
		if (!key || !this.items.has(key) || this.hidden(user, key)) return { status: 404, body: 'not found', raw: true };
		const prev = this.state.get(user.id, key) ?? emptyState();
		const now = this.now();
		this.state.set(
			user.id,
			key,
			played
				? { ...prev, played: true, playCount: prev.playCount + 1, lastPlayedAt: now, positionMs: 0, updatedAt: now }
				: { ...prev, played: false, playCount: 0, positionMs: 0, updatedAt: now },
		);
		this.record({ userId: user.id, itemId: key, action: played ? 'played' : 'unplayed', method: ctx.method, path: ctx.path });
		this.notifyStateChanged(user, key);
		return { status: 200 };
	}

	/**
	 * `/:/rate` as the community spec documents it: identifier, key and rating required, rating
	 * 0–10 (-1 removes it: python-plexapi mixins.py `rate`), 404 for an unknown identifier or key,
	 * 400 for a wrong type or a `ratedAt` in the future; without ratedAt the rating is dated now
	 * (lastRatedAt, whole seconds). Only the rating changes: no play, no position, no date of a play.
	 */
	private rate(ctx: RequestContext): Reply {
		if (ctx.query.get('identifier') !== 'com.plexapp.plugins.library') return { status: 404, body: 'no such library', raw: true };
		const key = ctx.query.get('key');
		const user = this.user(ctx);
		if (!key || !this.items.has(key) || this.hidden(user, key)) return { status: 404, body: 'not found', raw: true };
		const raw = ctx.query.get('rating');
		const rating = raw === null || raw.trim() === '' ? Number.NaN : Number(raw);
		if (!Number.isFinite(rating) || (rating !== -1 && (rating < 0 || rating > 10))) return { status: 400, body: 'bad rating', raw: true };
		const ratedAtParam = ctx.query.get('ratedAt');
		const now = this.now();
		const ratedAt = ratedAtParam === null ? now : Number(ratedAtParam) * 1000;
		if (!Number.isFinite(ratedAt) || ratedAt > now) return { status: 400, body: 'bad ratedAt', raw: true };
		const prev = this.state.get(user.id, key) ?? emptyState();
		this.state.set(user.id, key, rating === -1 ? { ...prev, rating: undefined, ratedAt: undefined } : { ...prev, rating, ratedAt });
		this.record({ userId: user.id, itemId: key, action: rating === -1 ? 'unrated' : 'rated', method: ctx.method, path: ctx.path });
		return { status: 200 };
	}

	private progress(ctx: RequestContext, key: string | null, time: string | null): Reply {
		if (ctx.path === '/:/progress' && ctx.query.get('identifier') !== 'com.plexapp.plugins.library') return { status: 400, body: 'missing identifier', raw: true };
		const item = key ? this.items.get(key) : undefined;
		const user = this.user(ctx);
		if (!key || !item || this.hidden(user, key)) return { status: 404, body: 'not found', raw: true };
		const ms = Number(time);
		if (!Number.isFinite(ms) || ms < 0) return { status: 400, body: 'bad time', raw: true };
		const prev = this.state.get(user.id, key) ?? emptyState();
		const now = this.now();
		if ((ms / item.durationMs) * 100 >= this.playedThreshold) {
			// A report at or past the played threshold is a play.
			this.state.set(user.id, key, { ...prev, played: true, playCount: prev.playCount + 1, lastPlayedAt: now, positionMs: 0, updatedAt: now });
			this.record({ userId: user.id, itemId: key, action: 'played', method: ctx.method, path: ctx.path });
			this.notifyStateChanged(user, key);
		} else {
			// A partial play is stamped too: lastViewedAt moves to the report's time.
			this.state.set(user.id, key, { ...prev, positionMs: ms, lastPlayedAt: now, updatedAt: now });
			this.record({ userId: user.id, itemId: key, action: 'position', positionMs: ms, method: ctx.method, path: ctx.path });
		}
		if (ctx.path === '/:/timeline') this.reportSession(ctx, user, key, item, ms);
		return { status: 200 };
	}
}
