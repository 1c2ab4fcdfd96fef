/**
 * Trakt as a watch-state store: what it has as watched, read as WatchItems for Plan Sync and as
 * keys to check before a write, and Plan Sync's writes applied to its history.
 *
 * Episodes are known by Trakt's own answer: its history lists each play with the episode's ids
 * (trakt, tvdb, imdb, tmdb) and its season and number as Trakt numbers it, which a server listing
 * an anime in absolute order, or a show in DVD order, numbers differently. So episodes are read
 * from /sync/history/episodes (not /sync/watched/shows, which has numbers only), checked and
 * written by their own ids, and by show + numbers only when they have no id of their own. An
 * episode with ids Trakt's history does not show is looked up on Trakt by id (and the answer kept);
 * one Trakt cannot find is reported, never guessed by its numbers.
 *
 * Requests: /sync/watched/movies and /sync/playback in one request each, the episode history in
 * pages of 1,000 plays, writes in batches (TraktClient.history).
 */
import { makeGuids, isPlainObject } from '../../media/guids';
import type { Guids, WatchItem } from '../../model';
import type { PlannedWrite } from '../../sync/plan';
import { BackendError } from '../../transport/http';
import type { HistoryEntry, TraktClient } from './api';
import { traktRef, type TraktRef } from './ids';

type Row = Record<string, unknown>;

const PROVIDERS = ['imdb', 'tmdb', 'tvdb'] as const;
const HISTORY_PAGE = 1000;

function guidsOf(ids: unknown): Guids {
	if (!isPlainObject(ids)) return {};
	return makeGuids(PROVIDERS.filter((k) => ids[k] !== undefined && ids[k] !== null).map((k) => [k, ids[k]]));
}

/** Keys as traktPlays builds them: a movie by each of its ids; an episode by each of its own ids, or by show id + numbers. */
function movieKeys(guids: Guids): string[] {
	return Object.entries(guids).map(([k, v]) => `movie|${k}|${String(v)}`);
}
function episodeIdKeys(ids: Record<string, unknown>): string[] {
	return Object.entries(ids)
		.filter(([k, v]) => (k === 'trakt' || (PROVIDERS as readonly string[]).includes(k)) && v !== undefined && v !== null && v !== '')
		.map(([k, v]) => `episode-id|${k}|${String(v)}`);
}
function episodeKeys(showGuids: Guids, season: number, episode: number): string[] {
	return Object.entries(showGuids).map(([k, v]) => `episode|${k}|${String(v)}|${season}|${episode}`);
}

/**
 * The keys an item would have among Trakt's plays: a film by its ids; an episode by its own ids
 * when it has any (its numbers may not be Trakt's), else by show ids + numbers ([] without those).
 */
export function itemKeys(item: Pick<WatchItem, 'type' | 'guids' | 'show' | 'season' | 'episode'>): string[] {
	if (item.type === 'movie') return movieKeys(item.guids ?? {});
	const own = episodeIdKeys({ ...(item.guids ?? {}) });
	if (own.length > 0) return own;
	if (item.season === undefined || item.episode === undefined) return [];
	return episodeKeys(item.show?.guids ?? {}, item.season, item.episode);
}

/** A list Trakt answered; anything else (an error page with 200, a changed API) is an error, never "nothing watched". */
async function listOf(trakt: TraktClient, what: string, path: string, query?: Record<string, string>): Promise<Row[]> {
	const rows = await trakt.get(what, path, query);
	if (!Array.isArray(rows)) throw new BackendError(`${what}: Trakt did not answer with a list; nothing is written from it`);
	return rows.filter(isPlainObject) as Row[];
}

/** Every episode play in Trakt's history, newest first, each with the episode's ids and Trakt's numbers. */
async function episodePlays(trakt: TraktClient): Promise<Row[]> {
	const rows = await trakt.paged('read episode history', '/sync/history/episodes', {}, undefined, HISTORY_PAGE);
	return rows.filter(isPlainObject).filter((r) => isPlainObject(r.episode)) as Row[];
}

/** What Trakt already has as played, keyed like itemKeys. */
export async function traktPlays(trakt: TraktClient, kinds: { movies: boolean; shows: boolean }): Promise<Set<string>> {
	const keys = new Set<string>();
	if (kinds.movies) for (const row of await listOf(trakt, 'read watched movies', '/sync/watched/movies')) for (const k of movieKeys(guidsOf((row.movie as Row | undefined)?.ids))) keys.add(k);
	if (kinds.shows) {
		for (const row of await episodePlays(trakt)) {
			const episode = row.episode as Row;
			for (const k of episodeIdKeys(isPlainObject(episode.ids) ? episode.ids : {})) keys.add(k);
			for (const k of episodeKeys(guidsOf((row.show as Row | undefined)?.ids), Number(episode.season), Number(episode.number))) keys.add(k);
		}
	}
	return keys;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const traktIdOf = (media: Row | undefined) => String((media?.ids as Row | undefined)?.trakt);

/**
 * Everything the user has watched on Trakt (played, with the last play's date) and paused
 * playback of what they have not (a position, when Trakt gives the runtime). Ids are Trakt's own,
 * stable across runs; `person` ties the items to one person of a household. Episodes carry their
 * own ids and Trakt's season and number.
 */
export async function readWatchState(trakt: TraktClient, person: string): Promise<WatchItem[]> {
	const items = new Map<string, WatchItem>();
	const base = (id: string, type: 'movie' | 'episode', media: Row | undefined): WatchItem => ({
		backend: 'trakt',
		...(person ? { person } : {}),
		type,
		id,
		title: str(media?.title) ?? '',
		...(num(media?.year) !== undefined ? { year: num(media?.year) } : {}),
		guids: guidsOf(media?.ids),
		played: true,
		updatedAt: '',
	});
	const episodeItem = (id: string, episode: Row, show: Row | undefined): WatchItem => ({
		...base(id, 'episode', episode),
		title: str(episode.title) ?? '',
		show: { title: str(show?.title) ?? '', ...(num(show?.year) !== undefined ? { year: num(show?.year) } : {}), guids: guidsOf(show?.ids) },
		season: Number(episode.season),
		episode: Number(episode.number),
	});
	for (const row of await listOf(trakt, 'read watched movies', '/sync/watched/movies')) {
		const movie = row.movie as Row | undefined;
		const at = str(row.last_watched_at);
		const item = base(`movie:${traktIdOf(movie)}`, 'movie', movie);
		items.set(item.id, { ...item, ...(at ? { playedAt: at, updatedAt: at } : {}) });
	}
	for (const row of await episodePlays(trakt)) {
		const episode = row.episode as Row;
		const id = `episode:${traktIdOf(episode)}`;
		const at = str(row.watched_at);
		const known = items.get(id);
		// The history is newest first: the first play of an episode is its last.
		if (known) continue;
		items.set(id, { ...episodeItem(id, episode, row.show as Row | undefined), ...(at ? { playedAt: at, updatedAt: at } : {}) });
	}
	for (const row of await listOf(trakt, 'read playback', '/sync/playback', { extended: 'full' })) {
		const paused = str(row.paused_at);
		const progress = num(row.progress);
		if (!paused || progress === undefined) continue;
		const media = (row.type === 'movie' ? row.movie : row.episode) as Row | undefined;
		if (!media) continue;
		const id = row.type === 'movie' ? `movie:${traktIdOf(media)}` : `episode:${traktIdOf(media)}`;
		// A rewatch in progress: the item stays played (Plan Sync takes positions from unplayed states only).
		if (items.has(id)) continue;
		const runtimeMs = (num(media.runtime) ?? 0) * 60_000;
		const item: WatchItem = { ...(row.type === 'movie' ? base(id, 'movie', media) : episodeItem(id, media, row.show as Row | undefined)), played: false, progress, updatedAt: paused };
		if (runtimeMs > 0) Object.assign(item, { durationMs: runtimeMs, positionMs: Math.round((runtimeMs * progress) / 100) });
		items.set(id, item);
	}
	return [...items.values()];
}

export type TraktWriteAction = 'marked-played' | 'marked-unplayed' | 'skipped' | 'not-found';

export interface TraktWriteResult {
	action: TraktWriteAction;
	reason: string;
	write: PlannedWrite;
}

function isTraktWrite(json: unknown): json is PlannedWrite {
	return isPlainObject(json) && json.kind === 'watchstate-write' && isPlainObject(json.target) && typeof json.op === 'string';
}

/** Trakt's episode ids found by looking one of an episode's ids up on Trakt, kept between runs (the node keeps them). */
export interface EpisodeLookups {
	get(key: string): number | undefined;
	set(key: string, traktId: number): void;
}

/**
 * Trakt's own id of an episode known to the server by an IMDb or TMDb id only (Trakt takes only a
 * trakt or tvdb id for an episode: ids.ts), from /search/{idType}/{id}?type=episode; undefined
 * when Trakt has no such episode.
 */
async function traktEpisodeId(trakt: TraktClient, guids: Guids, lookups: EpisodeLookups | undefined): Promise<number | undefined> {
	for (const provider of ['imdb', 'tmdb'] as const) {
		const id = guids[provider];
		if (!id) continue;
		const key = `${provider}:${id}`;
		const kept = lookups?.get(key);
		if (kept !== undefined) return kept;
		const hits = await listOf(trakt, 'look up episode', `/search/${provider}/${encodeURIComponent(id)}`, { type: 'episode' });
		const found = hits.map((h) => num(((h.episode as Row | undefined)?.ids as Row | undefined)?.trakt)).find((n): n is number => n !== undefined);
		if (found !== undefined) {
			lookups?.set(key, found);
			return found;
		}
	}
	return undefined;
}

/**
 * Plan Sync's writes for Trakt, after reading what Trakt has now: a play goes in only when the
 * item is not played there (never a second play), with the source's play date, and by the ids
 * Trakt files it under; an un-mark removes the item's plays only when Trakt has them; positions
 * are not Trakt's to keep. A failed add is sent again only for what Trakt still lacks.
 */
export async function applyPlannedWrites(trakt: TraktClient, inputs: unknown[], dryRun: boolean, lookups?: EpisodeLookups): Promise<Array<TraktWriteResult | { action: 'skipped'; reason: string }>> {
	const writes = inputs.map((json) => (isTraktWrite(json) && json.backend === 'trakt' ? json : undefined));
	const types = new Set(writes.map((w) => w?.target.type));
	const kinds = { movies: types.has('movie'), shows: types.has('episode') };
	const played = writes.some(Boolean) ? await traktPlays(trakt, kinds) : new Set<string>();
	const sends = { add: [] as Array<[HistoryEntry, number, string[]]>, remove: [] as Array<[HistoryEntry, number, string[]]> };
	const results: Array<TraktWriteResult | { action: 'skipped'; reason: string }> = [];
	for (const [i, write] of writes.entries()) {
		if (!write) {
			results.push({ action: 'skipped', reason: 'not a Plan Sync write for Trakt' });
			continue;
		}
		const result = (action: TraktWriteAction, reason: string) => void results.push({ action, reason, write });
		if (write.op === 'set-position') {
			result('skipped', 'Trakt keeps plays, not resume positions');
			continue;
		}
		let ref: TraktRef | undefined = traktRef(write.target);
		let keys = itemKeys(write.target);
		if (!ref) {
			result('not-found', 'the item has no id Trakt can use');
			continue;
		}
		if (keys.length === 0) {
			result('skipped', 'cannot check Trakt for this play without the show ids: not sent, so it is never added twice');
			continue;
		}
		// An episode Trakt's history shows by none of its ids, and that Trakt cannot take by a tvdb id:
		// Trakt's own id for it, or it is reported (its numbers may be another episode's on Trakt).
		if (write.target.type === 'episode' && !write.target.guids?.tvdb && episodeIdKeys({ ...write.target.guids }).length > 0 && !keys.some((k) => played.has(k))) {
			const traktId = await traktEpisodeId(trakt, write.target.guids, lookups);
			if (traktId === undefined) {
				result('not-found', 'Trakt has no episode with these ids; not sent by its season and number, which may be another episode on Trakt');
				continue;
			}
			ref = { episode: { ids: { trakt: traktId } } };
			keys = [`episode-id|trakt|${traktId}`];
		}
		const has = keys.some((k) => played.has(k));
		if (write.op === 'mark-played') {
			if (has) {
				result('skipped', 'already in the Trakt history');
				continue;
			}
			for (const k of keys) played.add(k);
			sends.add.push([write.playedAt ? { ...ref, watched_at: write.playedAt } : ref, i, keys]);
			result('marked-played', write.reason);
			continue;
		}
		if (!has) {
			result('skipped', 'not in the Trakt history');
			continue;
		}
		for (const k of keys) played.delete(k);
		sends.remove.push([ref, i, keys]);
		result('marked-unplayed', write.reason);
	}
	if (dryRun) return results;
	for (const kind of ['add', 'remove'] as const) {
		const list = sends[kind];
		if (list.length === 0) continue;
		const keysOf = new Map(list.map(([entry, , keys]) => [entry, keys]));
		// After a lost answer: what of the batch Trakt has now, read again.
		const stillMissing = async (batch: HistoryEntry[]) => {
			const now = await traktPlays(trakt, kinds);
			return batch.filter((entry) => !(keysOf.get(entry) ?? []).some((k) => now.has(k)));
		};
		const { notFound } = await trakt.history(
			kind,
			list.map(([entry]) => entry),
			stillMissing,
		);
		// Trakt answers with the objects it could not match, as they were sent.
		const missing = new Set(notFound.map((n) => JSON.stringify(isPlainObject(n) ? n.ids : n)));
		for (const [entry, i] of list) {
			const ids = 'movie' in entry ? entry.movie.ids : 'show' in entry ? entry.show.ids : entry.episode.ids;
			if (missing.has(JSON.stringify(ids))) results[i] = { ...(results[i] as TraktWriteResult), action: 'not-found', reason: 'Trakt does not know this item' };
		}
	}
	return results;
}
