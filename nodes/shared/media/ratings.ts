/**
 * A person's own rating of an item, kept apart from watch state. The package's scale is Trakt's:
 * whole numbers 1–10 (Trakt sync/ratings: `rating` integer 1..10). The servers store more:
 * - Plex `userRating` 0–10 as a float (the community spec's `/:/rate`: 0..10; its web app rates
 *   in half stars, so 7 is 3½ stars); `rating=-1` clears it (python-plexapi mixins.py `rate`);
 * - Jellyfin `UserItemData.Rating` a double 0–10 (out of range is an ArgumentOutOfRangeException,
 *   a 400; jellyfin/jellyfin v10.11.11 MediaBrowser.Controller/Entities/UserItemData.cs), with
 *   `Likes` derived from it (true stores 10, false 1); no date of the rating;
 * - Emby the same UserItemData model (its 4.8 / 4.9 spec: `Rating` double; source closed).
 * A stored value is read into the scale by rounding (6.9 -> 7); the scale's value is what is
 * compared, so a server keeping 6.9 is in step with 7 elsewhere and is never rewritten: repeated
 * syncs do not drift. What is written is always a whole number, which every side stores as it is.
 */

import { toNumber } from './units';

export const RATING_MIN = 1;
export const RATING_MAX = 10;

/** A server's stored rating in the package's scale; undefined when there is none (or it is not a number). */
export function ratingFromServer(value: unknown, backend: 'plex' | 'jellyfin' | 'emby'): number | undefined {
	const n = toNumber(value);
	if (n === undefined || n > RATING_MAX) return undefined;
	// Plex shows no stars for 0 and clears with -1; Jellyfin / Emby keep 0 as a rating (the range is 0–10).
	if (backend === 'plex' ? n <= 0 : n < 0) return undefined;
	return Math.min(RATING_MAX, Math.max(RATING_MIN, Math.round(n)));
}

/** Trakt's rating as it answers it (an integer 1–10), or undefined. */
export function ratingFromTrakt(value: unknown): number | undefined {
	return typeof value === 'number' && Number.isInteger(value) && value >= RATING_MIN && value <= RATING_MAX ? value : undefined;
}

/** A rating a node was given (an expression, an event): a whole number 1–10, or why not. */
export function checkRating(value: unknown): number | string {
	return ratingFromTrakt(toNumber(value)) ?? `a rating is a whole number from ${RATING_MIN} to ${RATING_MAX} (got ${JSON.stringify(value)?.slice(0, 20)})`;
}
