/**
 * What every media-server client offers the action nodes. Plex, Jellyfin and Emby implement it;
 * the nodes and the Apply logic only talk to this interface.
 */
import type { Backend, Guids, MediaType, WatchItem } from '../model';
import { BackendError, type RetryPolicy, type Send } from '../transport/http';

export interface LibraryInfo {
	id: string;
	title: string;
	/** movie | show, or the server's own word for anything else. */
	type: string;
	backend: Backend;
}

export interface UserInfo {
	id: string;
	name: string;
	isAdmin?: boolean;
	backend: Backend;
}

/**
 * What to look for: ids of the item itself, or for episodes the show's ids plus numbers. The
 * titles only help a server without a lookup by id find candidates; ids decide.
 */
export interface FindQuery {
	type: MediaType;
	guids: Guids;
	title?: string;
	year?: number;
	show?: { guids: Guids; title?: string };
	season?: number;
	episode?: number;
}

export interface WatchStateQuery {
	/** Library ids or titles; empty = every movie and show library. */
	libraries?: string[];
	only?: 'all' | 'played' | 'inProgress';
	/** ISO time; items whose state did not change since are left out. */
	changedSince?: string;
	/** ISO time; items whose state changed after are left out (a catch-up's window). */
	changedBefore?: string;
	/** Keep the media file name of items without any external id (WatchItem.file), to match them by it. */
	fileNames?: boolean;
	/**
	 * Household reads: a selected library this user cannot see is not an error (a restricted user
	 * sees fewer); the names that did match are added here, so the caller can tell a library no
	 * user sees (a typo) from one some users cannot see.
	 */
	seenLibraries?: Set<string>;
	/**
	 * What of each listed item the caller keeps (e.g. only what planning needs), applied as each
	 * page is converted, so a big listing is never held whole in its full form.
	 */
	keep?: (item: WatchItem) => WatchItem;
}

export interface ClientOptions {
	send: Send;
	retry: RetryPolicy;
	/** Items per listing request. */
	pageSize: number;
	/** Listing requests in flight at once. */
	concurrency: number;
	/** Jellyfin / Emby: the user whose state is read and written. */
	userId?: string;
	/** Plex: X-Plex-Client-Identifier sent with every request. */
	clientIdentifier?: string;
	/**
	 * How Plex and Jellyfin find items: `targeted` searches by title and checks the ids (a few
	 * requests per item, whatever the library size), `index` reads the library once per execution
	 * (cheaper for many items at once).
	 */
	lookup?: 'targeted' | 'index';
	/** When a targeted search finds nothing: read the library into the index (default) or not. */
	indexFallback?: boolean;
	/** Plex: the server's played threshold as the owner's client reads it (a user's token may not read prefs). */
	playedThreshold?: () => Promise<number>;
}

/** An item someone is playing on the server right now. */
export interface PlayingNow {
	userId: string;
	itemId: string;
}

export interface MediaClient {
	readonly backend: 'plex' | 'jellyfin' | 'emby';
	/**
	 * Whether the server dates a play or a position write at the call, with its own clock (PMS:
	 * /:/scrobble and /:/timeline take no date), rather than with the date the write gives.
	 */
	readonly datesWritesItself: boolean;
	getItem(id: string): Promise<WatchItem>;
	/**
	 * The user's current state of several items in one request (at most REREAD_BATCH ids): played,
	 * play count, dates, position, rating. Show ids are not read (the caller has them from its
	 * listing); an id the server no longer has is absent from the map.
	 */
	readStates(ids: string[]): Promise<Map<string, WatchItem>>;
	/** Every item here that shares an external id with the query (copies in several libraries). */
	findItems(query: FindQuery): Promise<WatchItem[]>;
	/** Whether a found item was read from the server for this lookup (not from an index built earlier). */
	isFresh(item: WatchItem): boolean;
	markPlayed(item: WatchItem, playedAt?: string): Promise<void>;
	markUnplayed(item: WatchItem): Promise<void>;
	setPosition(item: WatchItem, positionMs: number): Promise<void>;
	/**
	 * Sets the user's own rating (a whole number 1–10) or removes it (null); nothing else of the
	 * user data changes (played, play count, position, favourite).
	 */
	setRating(item: WatchItem, rating: number | null): Promise<void>;
	/** Why this server cannot store a rating 1–10 (Jellyfin 10.8 keeps likes only), or undefined. */
	ratingsUnsupported(): Promise<string | undefined>;
	/** Why this server cannot take a resume position (its version has no endpoint), or undefined. */
	positionsUnsupported(): Promise<string | undefined>;
	/** At or past this percent of its duration the server counts a position as watched. */
	playedThresholdPercent(): Promise<number>;
	/** What is being played right now, by whom; undefined when this credential may not see it. */
	playingNow(): Promise<PlayingNow[] | undefined>;
	/** The server's own id (Plex machineIdentifier, Jellyfin / Emby server id). */
	serverIdentity(): Promise<string | undefined>;
	listLibraries(): Promise<LibraryInfo[]>;
	listUsers(): Promise<UserInfo[]>;
	listWatchState(query: WatchStateQuery): Promise<WatchItem[]>;
}

/** Applies the played / in-progress / changed-since filters to listed items. */
export function keepForQuery(item: WatchItem, query: WatchStateQuery): boolean {
	if (query.only === 'played' && item.played !== true) return false;
	if (query.only === 'inProgress' && !(item.played !== true && (item.positionMs ?? 0) > 0)) return false;
	if (query.changedSince && !(item.updatedAt >= query.changedSince)) return false;
	if (query.changedBefore && !(item.updatedAt <= query.changedBefore)) return false;
	return true;
}

function selects(library: LibraryInfo, wanted: string): boolean {
	return wanted === library.id || wanted.toLowerCase() === library.title.toLowerCase();
}

/**
 * The movie and show libraries a query selects by id or title (case-insensitive); no selection
 * means all of them. A selected name that matches no library is an error, not an empty result,
 * unless `seen` collects the matches across a household's users (see WatchStateQuery).
 */
export function selectLibraries(libraries: LibraryInfo[], selection: string[] | undefined, seen?: Set<string>): LibraryInfo[] {
	const video = libraries.filter((l) => l.type === 'movie' || l.type === 'show');
	if (!selection || selection.length === 0) return video;
	const unknown = selection.filter((s) => !libraries.some((l) => selects(l, s)));
	if (seen) for (const s of selection) if (!unknown.includes(s)) seen.add(s);
	if (unknown.length > 0 && !seen) {
		const known = libraries.map((l) => `${l.title} (${l.id})`).join(', ');
		throw new BackendError(`no library ${unknown.map((u) => `"${u}"`).join(', ')} on this server; libraries: ${known}`);
	}
	return video.filter((l) => selection.some((s) => selects(l, s)));
}

/** The error for selected libraries that none of a household's users can see. */
export function unknownLibraries(selection: string[], seen: Set<string>): BackendError | undefined {
	const unknown = selection.filter((s) => !seen.has(s));
	return unknown.length > 0 ? new BackendError(`no library ${unknown.map((u) => `"${u}"`).join(', ')} on this server for any user of the household`) : undefined;
}

/** Ids per readStates request: short enough for any server's URL limit (50 Jellyfin GUIDs ≈ 1.7 kB). */
export const REREAD_BATCH = 50;
