/**
 * Trakt as a watch-state store: what it has as watched, read as WatchItems for Plan Sync and as
 * keys to check before a write, and Plan Sync's writes applied to its history.
 *
 * Requests do not grow with the history: /sync/watched/movies and /shows answer everything in
 * one request each, /sync/playback in one more; writes go in batches (TraktClient.history).
 */
import { makeGuids, isPlainObject } from '../../media/guids';
import type { Guids, WatchItem } from '../../model';
import type { PlannedWrite } from '../../sync/plan';
import type { HistoryEntry, TraktClient } from './api';
import { traktRef } from './ids';

type Row = Record<string, unknown>;

const PROVIDERS = ['imdb', 'tmdb', 'tvdb'] as const;

function guidsOf(ids: unknown): Guids {
	if (!isPlainObject(ids)) return {};
	return makeGuids(PROVIDERS.filter((k) => ids[k] !== undefined && ids[k] !== null).map((k) => [k, ids[k]]));
}

/** Keys as watchedKeys builds them: a movie by each of its ids, an episode by each show id + numbers. */
function movieKeys(guids: Guids): string[] {
	return Object.entries(guids).map(([k, v]) => `movie|${k}|${String(v)}`);
}
function episodeKeys(showGuids: Guids, season: number, episode: number): string[] {
	return Object.entries(showGuids).map(([k, v]) => `episode|${k}|${String(v)}|${season}|${episode}`);
}

/** The keys an item would have in watchedKeys ([] when Trakt's watched list could not show it). */
export function itemKeys(item: Pick<WatchItem, 'type' | 'guids' | 'show' | 'season' | 'episode'>): string[] {
	if (item.type === 'movie') return movieKeys(item.guids ?? {});
	if (item.season === undefined || item.episode === undefined) return [];
	return episodeKeys(item.show?.guids ?? {}, item.season, item.episode);
}

async function watchedRows(trakt: TraktClient, kind: 'movies' | 'shows'): Promise<Row[]> {
	const rows = await trakt.get(`read watched ${kind}`, `/sync/watched/${kind}`);
	return Array.isArray(rows) ? (rows.filter(isPlainObject) as Row[]) : [];
}

/** What Trakt already has as watched, keyed like itemKeys. */
export async function watchedKeys(trakt: TraktClient, kinds: { movies: boolean; shows: boolean }): Promise<Set<string>> {
	const keys = new Set<string>();
	if (kinds.movies) for (const row of await watchedRows(trakt, 'movies')) for (const k of movieKeys(guidsOf((row.movie as Row | undefined)?.ids))) keys.add(k);
	if (kinds.shows) {
		for (const row of await watchedRows(trakt, 'shows')) {
			const showGuids = guidsOf((row.show as Row | undefined)?.ids);
			for (const season of (row.seasons as Row[] | undefined) ?? []) {
				for (const episode of (season.episodes as Row[] | undefined) ?? []) for (const k of episodeKeys(showGuids, Number(season.number), Number(episode.number))) keys.add(k);
			}
		}
	}
	return keys;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Everything the user has watched on Trakt (played, with the last play's date) and paused
 * playback of what they have not (a position, when Trakt gives the runtime). Ids are Trakt's own,
 * stable across runs; `person` ties the items to one person of a household.
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
	for (const row of await watchedRows(trakt, 'movies')) {
		const movie = row.movie as Row | undefined;
		const at = str(row.last_watched_at);
		const item = base(`movie:${String((movie?.ids as Row | undefined)?.trakt)}`, 'movie', movie);
		items.set(item.id, { ...item, ...(at ? { playedAt: at, updatedAt: at } : {}) });
	}
	for (const row of await watchedRows(trakt, 'shows')) {
		const show = row.show as Row | undefined;
		const showRef = { title: str(show?.title) ?? '', ...(num(show?.year) !== undefined ? { year: num(show?.year) } : {}), guids: guidsOf(show?.ids) };
		for (const season of (row.seasons as Row[] | undefined) ?? []) {
			for (const episode of (season.episodes as Row[] | undefined) ?? []) {
				const at = str(episode.last_watched_at);
				const id = `episode:${String((show?.ids as Row | undefined)?.trakt)}:${Number(season.number)}:${Number(episode.number)}`;
				items.set(id, { ...base(id, 'episode', undefined), title: showRef.title, guids: {}, show: showRef, season: Number(season.number), episode: Number(episode.number), ...(at ? { playedAt: at, updatedAt: at } : {}) });
			}
		}
	}
	const playback = await trakt.get('read playback', '/sync/playback', { extended: 'full' });
	for (const row of Array.isArray(playback) ? (playback.filter(isPlainObject) as Row[]) : []) {
		const paused = str(row.paused_at);
		const progress = num(row.progress);
		if (!paused || progress === undefined) continue;
		const media = (row.type === 'movie' ? row.movie : row.episode) as Row | undefined;
		const show = row.show as Row | undefined;
		const id =
			row.type === 'movie'
				? `movie:${String((media?.ids as Row | undefined)?.trakt)}`
				: `episode:${String((show?.ids as Row | undefined)?.trakt)}:${Number(media?.season)}:${Number(media?.number)}`;
		// A rewatch in progress: the item stays played (Plan Sync takes positions from unplayed states only).
		if (items.has(id) || !media) continue;
		const runtimeMs = (num(media.runtime) ?? 0) * 60_000;
		const item: WatchItem = { ...base(id, row.type === 'movie' ? 'movie' : 'episode', media), played: false, progress, updatedAt: paused };
		if (row.type !== 'movie') {
			Object.assign(item, { show: { title: str(show?.title) ?? '', guids: guidsOf(show?.ids) }, season: Number(media.season), episode: Number(media.number) });
		}
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

/**
 * Plan Sync's writes for Trakt, after reading what Trakt has now: a play goes in only when the
 * item is not watched there (never a second play), with the source's play date; an un-mark
 * removes the item's plays only when Trakt has them; positions are not Trakt's to keep.
 */
export async function applyPlannedWrites(trakt: TraktClient, inputs: unknown[], dryRun: boolean): Promise<Array<TraktWriteResult | { action: 'skipped'; reason: string }>> {
	const writes = inputs.map((json) => (isTraktWrite(json) && json.backend === 'trakt' ? json : undefined));
	const types = new Set(writes.map((w) => w?.target.type));
	const watched = writes.some(Boolean) ? await watchedKeys(trakt, { movies: types.has('movie'), shows: types.has('episode') }) : new Set<string>();
	const sends = { add: [] as Array<[HistoryEntry, number]>, remove: [] as Array<[HistoryEntry, number]> };
	const results = writes.map((write, i): TraktWriteResult | { action: 'skipped'; reason: string } => {
		if (!write) return { action: 'skipped', reason: 'not a Plan Sync write for Trakt' };
		const result = (action: TraktWriteAction, reason: string): TraktWriteResult => ({ action, reason, write });
		const ref = traktRef(write.target);
		const keys = itemKeys(write.target);
		if (write.op === 'set-position') return result('skipped', 'Trakt keeps plays, not resume positions');
		if (!ref) return result('not-found', 'the item has no id Trakt can use');
		if (keys.length === 0) return result('skipped', 'cannot check Trakt for this play without the show ids: not sent, so it is never added twice');
		const has = keys.some((k) => watched.has(k));
		if (write.op === 'mark-played') {
			if (has) return result('skipped', 'already in the Trakt history');
			for (const k of keys) watched.add(k);
			sends.add.push([write.playedAt ? { ...ref, watched_at: write.playedAt } : ref, i]);
			return result('marked-played', write.reason);
		}
		if (!has) return result('skipped', 'not in the Trakt history');
		for (const k of keys) watched.delete(k);
		sends.remove.push([ref, i]);
		return result('marked-unplayed', write.reason);
	});
	if (dryRun) return results;
	for (const kind of ['add', 'remove'] as const) {
		const list = sends[kind];
		if (list.length === 0) continue;
		const { notFound } = await trakt.history(kind, list.map(([entry]) => entry));
		// Trakt answers with the objects it could not match, as they were sent.
		const missing = new Set(notFound.map((n) => JSON.stringify(isPlainObject(n) ? n.ids : n)));
		for (const [entry, i] of list) {
			const ids = 'movie' in entry ? entry.movie.ids : 'show' in entry ? entry.show.ids : entry.episode.ids;
			if (missing.has(JSON.stringify(ids))) results[i] = { ...(results[i] as TraktWriteResult), action: 'not-found', reason: 'Trakt does not know this item' };
		}
	}
	return results;
}
