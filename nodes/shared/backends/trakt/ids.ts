/**
 * How Trakt identifies a WatchItem: movies by their IMDb / TMDb ids; episodes by their own TVDB
 * id (Trakt takes only `trakt` or `tvdb` ids for an episode: trakt/trakt-api
 * idsRequestSchema.ts), otherwise by the show's ids plus season and number (as Tautulli sends
 * episodes, and as an episode known only by IMDb / TMDb ids must be sent).
 */
import type { Guids, WatchItem } from '../../model';

type TraktIds = Partial<Record<'trakt' | 'imdb' | 'tmdb' | 'tvdb', string | number>>;

export type TraktRef =
	| { movie: { title?: string; year?: number; ids: TraktIds } }
	| { episode: { ids: TraktIds } }
	| { show: { title?: string; year?: number; ids: TraktIds }; episode: { season: number; number: number } };

function ids(guids: Guids | undefined, keys: Array<'imdb' | 'tmdb' | 'tvdb'>): TraktIds | undefined {
	const out: TraktIds = {};
	for (const k of keys) if (guids?.[k]) out[k] = /^\d+$/.test(guids[k]!) ? Number(guids[k]) : guids[k];
	return Object.keys(out).length > 0 ? out : undefined;
}

/** The Trakt reference for an item, or undefined when it has nothing Trakt can match. */
export function traktRef(item: Pick<WatchItem, 'type' | 'title' | 'year' | 'guids' | 'show' | 'season' | 'episode'>): TraktRef | undefined {
	if (item.type === 'movie') {
		const movieIds = ids(item.guids, ['imdb', 'tmdb']);
		return movieIds ? { movie: { title: item.title || undefined, year: item.year, ids: movieIds } } : undefined;
	}
	const episodeIds = ids(item.guids, ['tvdb']);
	if (episodeIds) return { episode: { ids: episodeIds } };
	const showIds = ids(item.show?.guids, ['tvdb', 'tmdb', 'imdb']);
	if (showIds && item.season !== undefined && item.episode !== undefined) {
		return { show: { title: item.show?.title || undefined, year: item.show?.year, ids: showIds }, episode: { season: item.season, number: item.episode } };
	}
	return undefined;
}
