/**
 * The item contract shared by every node of the package (see ARCHITECTURE.md).
 * Triggers emit WatchEvents, action nodes read and emit WatchItems, the planner consumes both.
 */

export type Backend = 'plex' | 'jellyfin' | 'emby' | 'tautulli' | 'trakt';

export type MediaType = 'movie' | 'episode';

/** External ids as strings. For episodes these are episode-level ids. */
export interface Guids {
	imdb?: string;
	tmdb?: string;
	tvdb?: string;
	tvmaze?: string;
	tvrage?: string;
	anidb?: string;
}

export const GUID_KEYS: ReadonlyArray<keyof Guids> = ['imdb', 'tmdb', 'tvdb', 'tvmaze', 'tvrage', 'anidb'];

export interface ShowRef {
	id?: string;
	title: string;
	year?: number;
	guids: Guids;
}

export interface LibraryRef {
	id?: string;
	title?: string;
	type?: string;
}

export interface WatchItem {
	backend: Backend;
	backendName?: string;
	serverId?: string;
	serverName?: string;
	userId?: string;
	userName?: string;
	/** The household person the user is (set by household listings; planning never crosses it). */
	person?: string;
	type: MediaType;
	/** The backend's own item id. */
	id: string;
	title: string;
	year?: number;
	show?: ShowRef;
	season?: number;
	episode?: number;
	/** Backend id of the season (Plex parentRatingKey, Jellyfin/Emby SeasonId). */
	seasonId?: string;
	seasonTitle?: string;
	library?: LibraryRef;
	guids: Guids;
	/** The backend's own guid string when it has one (e.g. `plex://episode/…`). */
	sourceGuid?: string;
	/**
	 * The media file's name (no folder), only on items without any external id and only when the
	 * listing was asked for it (Match ID-Less Items by File Name): what such items are matched by.
	 */
	file?: string;
	/** null = unknown. Unknown is never treated as unplayed. */
	played: boolean | null;
	positionMs?: number;
	durationMs?: number;
	/** Percent 0..100. */
	progress?: number;
	playedAt?: string;
	/**
	 * The person's own rating, a whole number 1–10 (media/ratings.ts); absent when there is none or
	 * it was not read. Never part of watch state: a rating write touches nothing else.
	 */
	rating?: number;
	/** When the rating was given, where the server keeps it (Plex lastRatedAt, Trakt rated_at). */
	ratedAt?: string;
	/** When the item entered the library (ISO-8601 UTC). */
	addedAt?: string;
	/** When the backend last changed the item's metadata (ISO-8601 UTC). */
	metadataUpdatedAt?: string;
	/** When this watch state was observed or changed (ISO-8601 UTC). Decides conflicts. */
	updatedAt: string;
}

export type WatchEventName =
	| 'play'
	| 'pause'
	| 'resume'
	| 'progress'
	| 'stop'
	| 'scrobble'
	| 'played'
	| 'unplayed'
	| 'added'
	| 'rate';

export const WATCH_EVENT_NAMES: ReadonlyArray<WatchEventName> = [
	'play',
	'pause',
	'resume',
	'progress',
	'stop',
	'scrobble',
	'played',
	'unplayed',
	'added',
	'rate',
];

export interface PlayerRef {
	title?: string;
	id?: string;
	local?: boolean;
	address?: string;
}

export interface WatchEvent extends WatchItem {
	event: WatchEventName;
	/**
	 * On a `rate` event only: true when the person removed their rating. A rate event with neither
	 * this nor `rating` carries no value (Emby's item.rate payload has no user data).
	 */
	ratingRemoved?: boolean;
	/** The backend's own event name, e.g. `media.scrobble` or `UserDataSaved/TogglePlayed`. */
	sourceEvent: string;
	/** True when the event may move the position but must not change `played`. */
	tainted: boolean;
	receivedAt: string;
	player?: PlayerRef;
	raw?: object;
}
