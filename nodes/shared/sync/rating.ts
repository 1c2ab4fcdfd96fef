/**
 * Apply Watch State for a rate event: what one target item's rating must become so that it agrees
 * with the rating a person just gave on another server. Pure, like decideApply; ratings never
 * touch watch state and watch state never touches ratings.
 * - Off unless asked for (Sync Ratings): a rating is a person's opinion, and some keep them apart.
 * - A removed rating removes it here only with Remove Ratings: "no rating" elsewhere is never
 *   a reason to clear one here.
 * - A target rated after the event (Plex dates ratings: lastRatedAt) keeps its own.
 */
import type { WatchEvent, WatchItem } from '../model';

export type RatingStep = 'rate' | 'unrate' | 'skip';

export interface RatingDecision {
	step: RatingStep;
	reason: string;
	rating?: number;
}

export interface RatingOptions {
	syncRatings: boolean;
	removeRatings: boolean;
}

export type RatingSource = WatchItem & Partial<Pick<WatchEvent, 'event' | 'ratingRemoved'>>;

export function decideRating(source: RatingSource, target: WatchItem, options: RatingOptions): RatingDecision {
	if (source.backend === target.backend && source.id === target.id && (!source.serverId || source.serverId === target.serverId)) {
		return { step: 'skip', reason: 'source and target are the same item' };
	}
	if (!options.syncRatings) return { step: 'skip', reason: 'ratings are not synced (turn on Sync Ratings)' };
	const ratedAt = Date.parse(source.ratedAt ?? source.updatedAt);
	if (target.ratedAt && Date.parse(target.ratedAt) > ratedAt) return { step: 'skip', reason: 'rated here after the event; the newer rating stays' };
	if (source.rating !== undefined) {
		if (target.rating === source.rating) return { step: 'skip', reason: 'rating already in step' };
		return { step: 'rate', reason: `rated ${source.rating} on ${source.backend}`, rating: source.rating };
	}
	if (source.ratingRemoved === true) {
		if (!options.removeRatings) return { step: 'skip', reason: 'removed ratings are not propagated (turn on Remove Ratings)' };
		if (target.rating === undefined) return { step: 'skip', reason: 'no rating here to remove' };
		return { step: 'unrate', reason: `rating removed on ${source.backend}` };
	}
	return { step: 'skip', reason: `this ${source.backend} rate event carries no rating value (Emby's webhook sends no user data): nothing to copy` };
}
