/**
 * The Trakt node's Rating resource: a person's ratings onto Trakt from rate events (or any
 * WatchItem that carries a `rating`), in one batched request, and Trakt's ratings read back.
 * Trakt identifies an episode to rate by its own ids (sync/ratings takes `episodes: [{ ids }]`);
 * an episode known only by show + numbers is reported, not guessed.
 */
import type { IDataObject } from 'n8n-workflow';
import type { RatingEntry, TraktClient } from '../backends/trakt/api';
import { traktRef } from '../backends/trakt/ids';
import { ratingFromTrakt } from '../media/ratings';
import type { WatchEvent } from '../model';

export interface RatingRunOptions {
	/** A removed rating removes it on Trakt too. */
	removeRatings: boolean;
	dryRun: boolean;
}

type Input = Partial<WatchEvent> & Pick<WatchEvent, 'type' | 'guids'>;

/** What to send for one input: an add, a remove, or why nothing. */
export function ratingEntryFor(item: Input, options: RatingRunOptions): { kind: 'add' | 'remove'; entry: RatingEntry } | string {
	const ref = traktRef({ type: item.type, title: item.title ?? '', year: item.year, guids: item.guids, show: item.show, season: item.season, episode: item.episode });
	if (!ref) return 'no id Trakt could match';
	if (!('movie' in ref) && 'show' in ref) return 'an episode without its own TVDB id: Trakt rates episodes by their ids';
	const kind = 'movie' in ref ? 'movie' : 'episode';
	const ids = 'movie' in ref ? ref.movie : ref.episode;
	if (item.rating !== undefined) {
		const rating = ratingFromTrakt(item.rating);
		if (rating === undefined) return `rating ${JSON.stringify(item.rating)} is not a whole number from 1 to 10`;
		return { kind: 'add', entry: { kind, ref: ids as RatingEntry['ref'], rating, rated_at: item.ratedAt ?? (item.event === 'rate' ? item.updatedAt : undefined) } };
	}
	if (item.ratingRemoved === true) {
		if (!options.removeRatings) return 'removed ratings are not propagated (turn on Remove Ratings)';
		return { kind: 'remove', entry: { kind, ref: ids as RatingEntry['ref'] } };
	}
	return item.event === 'rate' ? `this rate event from ${item.backend ?? 'the server'} carries no rating value` : 'the item carries no rating';
}

/** Sends the inputs' ratings (adds first, then removals), each kind in as few requests as the batch size allows. */
export async function applyRatings(trakt: TraktClient, items: Input[], options: RatingRunOptions): Promise<IDataObject> {
	const adds: RatingEntry[] = [];
	const removes: RatingEntry[] = [];
	const skipped: IDataObject[] = [];
	for (const item of items) {
		const outcome = ratingEntryFor(item, options);
		if (typeof outcome === 'string') skipped.push({ backend: item.backend ?? null, id: item.id ?? null, title: item.title ?? null, reason: outcome });
		else (outcome.kind === 'add' ? adds : removes).push(outcome.entry);
	}
	const none = { movies: 0, episodes: 0, notFound: [] as unknown[] };
	const added = adds.length > 0 && !options.dryRun ? await trakt.ratings('add', adds) : none;
	const removed = removes.length > 0 && !options.dryRun ? await trakt.ratings('remove', removes) : none;
	return {
		rated: { movies: added.movies, episodes: added.episodes },
		removed: { movies: removed.movies, episodes: removed.episodes },
		sent: options.dryRun ? 0 : adds.length + removes.length,
		planned: adds.length + removes.length,
		skipped,
		notFound: [...added.notFound, ...removed.notFound] as IDataObject[],
		dryRun: options.dryRun,
	};
}

/** Trakt's ratings of films and episodes, newest first, as Trakt answers them (rated_at, rating, type, item). */
export async function readRatings(trakt: TraktClient, type: '' | 'movies' | 'episodes'): Promise<IDataObject[]> {
	const types = type ? [type] : (['movies', 'episodes'] as const);
	const rows: IDataObject[] = [];
	for (const t of types) rows.push(...((await trakt.paged(`read ${t} ratings`, `/sync/ratings/${t}`, {}, undefined, 1000)) as IDataObject[]));
	return rows;
}
