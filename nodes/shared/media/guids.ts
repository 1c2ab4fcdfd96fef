/**
 * External (provider) id parsing for every format the backends use.
 * Values are validated per provider so that junk such as redacted `xx` or `0` never becomes an id
 * that could match an unrelated item.
 */
import { lookup } from './lookup';
import { GUID_KEYS, type Guids } from '../model';

const VALID: Record<keyof Guids, RegExp> = {
	imdb: /^tt\d{5,}$/,
	tmdb: /^\d+$/,
	tvdb: /^\d+$/,
	tvmaze: /^\d+$/,
	tvrage: /^\d+$/,
	anidb: /^\d+$/,
};

/** Provider names as they appear in the wild, lower-cased, mapped to our keys (read with lookup()). */
const ALIASES: Readonly<Record<string, keyof Guids>> = {
	imdb: 'imdb',
	tmdb: 'tmdb',
	themoviedb: 'tmdb',
	tvdb: 'tvdb',
	thetvdb: 'tvdb',
	tvmaze: 'tvmaze',
	tvrage: 'tvrage',
	anidb: 'anidb',
};

/** Normalises one id value for a provider key, or returns undefined when it is not a usable id. */
export function cleanId(key: keyof Guids, value: unknown): string | undefined {
	if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) value = String(value);
	if (typeof value !== 'string') return undefined;
	const v = key === 'imdb' ? value.trim().toLowerCase() : value.trim();
	if (!VALID[key].test(v)) return undefined;
	if (key === 'imdb' || v.charCodeAt(0) !== 48 /* '0' */) return v;
	const trimmed = v.replace(/^0+/, '');
	return trimmed === '' ? undefined : trimmed;
}

/** Builds a Guids object with keys in a stable order, dropping anything invalid. */
export function makeGuids(entries: Iterable<[string, unknown]>): Guids {
	const found: Guids = {};
	for (const [rawKey, value] of entries) {
		const key = lookup(ALIASES, rawKey.toLowerCase());
		if (!key || found[key] !== undefined) continue;
		const id = cleanId(key, value);
		if (id !== undefined) found[key] = id;
	}
	return inKeyOrder(found);
}

/** The same ids with keys in GUID_KEYS order, so equal ids serialize equally. */
function inKeyOrder(found: Guids): Guids {
	const ordered: Guids = {};
	for (const key of GUID_KEYS) if (found[key] !== undefined) ordered[key] = found[key];
	return ordered;
}

export function hasGuids(guids: Guids | undefined): boolean {
	return !!guids && GUID_KEYS.some((k) => guids[k] !== undefined);
}

/**
 * The name of an item's media file (the path without its folders, `/` or `\\`), kept only for an
 * item with no external id of its own or of its show, and only when asked: matching by file
 * name is for home videos and unmatched files, never for items ids can match.
 */
export function fileNameFor(wanted: boolean | undefined, path: unknown, guids: Guids, showGuids?: Guids): string | undefined {
	if (!wanted || typeof path !== 'string' || hasGuids(guids) || hasGuids(showGuids)) return undefined;
	const name = path.split(/[\\/]/).pop()?.trim();
	return name ? name : undefined;
}

/** Jellyfin / Emby `ProviderIds` (`{Imdb, Tmdb, Tvdb, …}`), keys in any casing. */
export function guidsFromProviderIds(providerIds: unknown): Guids {
	if (!isPlainObject(providerIds)) return {};
	return makeGuids(Object.entries(providerIds));
}

/** Jellyfin webhook flat keys `Provider_imdb`, `Provider_tmdb`, … (any casing). */
export function guidsFromProviderKeys(payload: Record<string, unknown>): Guids {
	const entries: Array<[string, unknown]> = [];
	// Payloads carry ~60 keys; a first-letter test before the case-insensitive prefix check keeps
	// this off the top of the intake profile.
	for (const k in payload) {
		if ((k.charCodeAt(0) | 32) !== 112 || k.length <= PROVIDER_PREFIX.length) continue;
		if (k.slice(0, PROVIDER_PREFIX.length).toLowerCase() === PROVIDER_PREFIX) entries.push([k.slice(PROVIDER_PREFIX.length), payload[k]]);
	}
	return makeGuids(entries);
}

const PROVIDER_PREFIX = 'provider_';

/** Tautulli seed `Guids: {imdb, tvdb, tmdb, tvmaze}` (string values, empty when unknown). */
export function guidsFromTautulli(guids: unknown): Guids {
	return guidsFromProviderIds(guids);
}

/**
 * The result of reading a Plex guid. Legacy TV agents encode the show id plus season and episode
 * (`com.plexapp.agents.thetvdb://81189/1/1`), which identifies the episode only through the show.
 */
export interface PlexGuidParse {
	guids: Guids;
	showGuids?: Guids;
	season?: number;
	episode?: number;
}

/**
 * Reads one Plex guid string: new agents (`imdb://tt…`, `tmdb://…`, `tvdb://…`), legacy agents
 * (`com.plexapp.agents.imdb://tt…?lang=en`, `…themoviedb://…`, `…thetvdb://show/season/episode`,
 * HAMA `com.plexapp.agents.hama://anidb-123`). `plex://`, `local://` and unknown agents give nothing.
 */
export function parsePlexGuid(guid: unknown): PlexGuidParse {
	if (typeof guid !== 'string') return { guids: {} };
	const m = /^(?:com\.plexapp\.agents\.)?([a-z0-9_.-]+):\/\/([^?#]*)/i.exec(guid.trim());
	if (!m) return { guids: {} };
	const agent = m[1].toLowerCase();
	if (agent !== 'hama' && !lookup(ALIASES, agent)) return { guids: {} };
	const path = m[2].split('/').filter((p) => p.length > 0);
	if (path.length === 0) return { guids: {} };

	if (agent === 'hama') {
		const h = /^(anidb|tvdb)\d?-(\d+)$/i.exec(path[0]);
		if (!h) return { guids: {} };
		return withEpisodePath(singleGuid(h[1].toLowerCase(), h[2]), path);
	}
	return withEpisodePath(singleGuid(agent, path[0]), path);
}

/** One provider's id as Guids (what makeGuids gives for one entry, without its general merging). */
function singleGuid(alias: string, value: string): Guids {
	const key = lookup(ALIASES, alias);
	const id = key && cleanId(key, value);
	return id ? { [key]: id } : {};
}

function withEpisodePath(ids: Guids, path: string[]): PlexGuidParse {
	if (path.length >= 3) {
		const season = toIndex(path[1]);
		const episode = toIndex(path[2]);
		if (season !== undefined && episode !== undefined) return { guids: {}, showGuids: ids, season, episode };
		return { guids: {} };
	}
	return { guids: ids };
}

function toIndex(s: string): number | undefined {
	return /^\d{1,4}$/.test(s) ? Number(s) : undefined;
}

/**
 * Plex item ids: `Guid[]` (new agents, one entry per provider) merged with the legacy `guid`
 * string. New-agent entries win on conflicts.
 */
export function guidsFromPlex(guidArray: unknown, legacyGuid: unknown): PlexGuidParse {
	// Parsed ids are already clean: merge them first-come (new agents before the legacy guid).
	const found: Guids = {};
	const take = (ids: Guids) => {
		for (const key in ids) if (found[key as keyof Guids] === undefined) found[key as keyof Guids] = ids[key as keyof Guids];
	};
	if (Array.isArray(guidArray)) {
		for (const g of guidArray) take(parsePlexGuid(isPlainObject(g) ? g.id : g).guids);
	}
	const legacy = parsePlexGuid(legacyGuid);
	take(legacy.guids);
	const result: PlexGuidParse = { guids: inKeyOrder(found) };
	if (legacy.showGuids) {
		result.showGuids = legacy.showGuids;
		result.season = legacy.season;
		result.episode = legacy.episode;
	}
	return result;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}
