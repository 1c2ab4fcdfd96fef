/**
 * An index from external ids to a server's items, built once per execution from a full listing,
 * so finding N items costs one library read instead of N scans (Plex and Jellyfin have no lookup
 * by external id). Keys carry the media type: tmdb and tvdb ids are not unique across types.
 */
import { GUID_KEYS, type Guids, type WatchItem } from '../model';
import type { FindQuery } from '../backends/client';

/** Lookup order: imdb first (unique across types), then the others. */
export const LOOKUP_ORDER: ReadonlyArray<keyof Guids> = ['imdb', 'tvdb', 'tmdb', 'tvmaze', 'tvrage', 'anidb'];

function itemKey(type: string, provider: string, id: string): string {
	return `${type}|${provider}|${id}`;
}

function episodeKey(provider: string, showId: string, season: number, episode: number): string {
	return `show-episode|${provider}|${showId}|${season}|${episode}`;
}

/**
 * An id-less item's file name as a key (WatchItem.file, set only on items without any id): the
 * same file seen by two servers through different mounts, case folded (a Windows share).
 */
function fileKey(type: string, file: string): string {
	return `file|${type}|${file.toLowerCase()}`;
}

/** Whether a match key is a show id + season + number (not an id of the item itself). */
export function isEpisodeKey(key: string): boolean {
	return key.startsWith('show-episode|');
}

/**
 * Every key by which an item is the same title on another server: each of its own ids (with its
 * type), and for episodes each show id with season and number; for an item without any id whose
 * file name was kept, that name alone. The index and the planner match by exactly these.
 */
export function matchKeys(item: Pick<WatchItem, 'type' | 'guids' | 'season' | 'episode' | 'file'> & { show?: { guids?: Guids } }): string[] {
	const keys: string[] = [];
	if (item.file) return [fileKey(item.type, item.file)];
	for (const provider of GUID_KEYS) {
		const id = item.guids?.[provider];
		if (id) keys.push(itemKey(item.type, provider, id));
	}
	if (item.type === 'episode' && item.show && item.season !== undefined && item.episode !== undefined) {
		for (const provider of GUID_KEYS) {
			const id = item.show.guids?.[provider];
			if (id) keys.push(episodeKey(provider, id, item.season, item.episode));
		}
	}
	return keys;
}

export class IdIndex {
	private readonly keys = new Map<string, WatchItem[]>();
	size = 0;

	static of(items: Iterable<WatchItem>): IdIndex {
		const index = new IdIndex();
		for (const item of items) index.add(item);
		return index;
	}

	add(item: WatchItem): void {
		this.size++;
		for (const key of matchKeys(item)) this.push(key, item);
	}

	private push(key: string, item: WatchItem): void {
		const list = this.keys.get(key);
		if (list) list.push(item);
		else this.keys.set(key, [item]);
	}

	/**
	 * Matches of the first id (in priority order) that matches anything, among the items that are
	 * the query's title (no id of theirs contradicts it, see joins); [] when none.
	 */
	find(query: FindQuery): WatchItem[] {
		const wanted = asMatchable(query);
		for (const provider of LOOKUP_ORDER) {
			const id = query.guids[provider];
			const hit = id ? this.keys.get(itemKey(query.type, provider, id))?.filter((item) => joins(item, wanted)) : undefined;
			if (hit && hit.length > 0) return [...hit];
		}
		if (query.type === 'episode' && query.show && query.season !== undefined && query.episode !== undefined) {
			for (const provider of LOOKUP_ORDER) {
				const id = query.show.guids[provider];
				const hit = id ? this.keys.get(episodeKey(provider, id, query.season, query.episode))?.filter((item) => joins(item, wanted)) : undefined;
				if (hit && hit.length > 0) return [...hit];
			}
		}
		return [];
	}
}

/** The find query that locates a WatchItem from another server. */
export function queryFor(item: Pick<WatchItem, 'type' | 'guids' | 'title' | 'year' | 'show' | 'season' | 'episode'>): FindQuery {
	return {
		type: item.type,
		guids: item.guids ?? {},
		title: item.title || undefined,
		year: item.year,
		show: item.show ? { guids: item.show.guids ?? {}, title: item.show.title || undefined } : undefined,
		season: item.season,
		episode: item.episode,
	};
}

/** A provider both id sets have, with different ids: the two are not the same title. */
export function conflictingId(a: Guids, b: Guids): keyof Guids | undefined {
	return GUID_KEYS.find((k) => !!a[k] && !!b[k] && a[k] !== b[k]);
}

/**
 * Whether two id sets are of one title: they share an id of one provider and no provider has
 * two different ids. One shared id beside a contradicting one (a wrong TMDb id on Aliens that is
 * Alien's) is a conflict, never a match.
 */
export function sharesAnyId(a: Guids, b: Guids): boolean {
	return GUID_KEYS.some((k) => !!a[k] && a[k] === b[k]) && conflictingId(a, b) === undefined;
}

type Matchable = Pick<WatchItem, 'type' | 'guids' | 'season' | 'episode' | 'file'> & { show?: { guids?: Guids } };

function asMatchable(query: FindQuery): Matchable {
	return { type: query.type, guids: query.guids, season: query.season, episode: query.episode, show: query.show };
}

/**
 * Whether two items are the same title: same type, no id of theirs contradicts the other's, and
 * they share an id; episodes also by a shared show id with the same season and number, when
 * neither the episodes' ids nor the shows' ids contradict (DVD and aired order number one episode
 * differently: its own ids tell them apart). The planner, the index and every title search match
 * by exactly this.
 */
export function joins(a: Matchable, b: Matchable): boolean {
	if (a.type !== b.type) return false;
	// Items without ids (only they carry a file name) join by the file alone, and only each other.
	if (a.file || b.file) return !!a.file && !!b.file && fileKey(a.type, a.file) === fileKey(b.type, b.file);
	const own = a.guids ?? {};
	const other = b.guids ?? {};
	if (conflictingId(own, other)) return false;
	if (GUID_KEYS.some((k) => !!own[k] && own[k] === other[k])) return true;
	if (a.type !== 'episode' || a.season === undefined || a.season !== b.season || a.episode === undefined || a.episode !== b.episode) return false;
	const showA = a.show?.guids ?? {};
	const showB = b.show?.guids ?? {};
	return GUID_KEYS.some((k) => !!showA[k] && showA[k] === showB[k]) && conflictingId(showA, showB) === undefined;
}

/**
 * Whether a candidate found by title is the item the query means (see joins). A title alone
 * never makes a match.
 */
export function matchesQuery(item: WatchItem, query: FindQuery): boolean {
	return joins(item, asMatchable(query));
}

/** True when the query carries at least one id to search by. */
export function searchable(query: FindQuery): boolean {
	const has = (g: Guids | undefined) => !!g && GUID_KEYS.some((k) => !!g[k]);
	return has(query.guids) || (query.type === 'episode' && has(query.show?.guids) && query.season !== undefined && query.episode !== undefined);
}
