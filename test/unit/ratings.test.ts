/**
 * Rating scales: Plex 0–10 floats (half stars from its apps), Trakt whole numbers 1–10, Jellyfin /
 * Emby doubles 0–10. Property tests: a value read from any side, written to the others and read
 * back, is the same number; repeated syncs in any order never write again (no drift).
 */
import fc from 'fast-check';
import { checkRating, ratingFromServer, ratingFromTrakt } from '../../nodes/shared/media/ratings';
import { decideRating } from '../../nodes/shared/sync/rating';
import type { WatchItem } from '../../nodes/shared/model';

type Side = 'plex' | 'jellyfin' | 'emby' | 'trakt';
const SIDES: Side[] = ['plex', 'jellyfin', 'emby', 'trakt'];
/** How each side stores what we write (a whole number), and reads it back into the scale. */
const read = (side: Side, stored: number) => (side === 'trakt' ? ratingFromTrakt(stored) : ratingFromServer(stored, side));

const item = (backend: 'plex' | 'jellyfin' | 'emby', rating: number | undefined, id = '1'): WatchItem => ({
	backend,
	id,
	type: 'movie',
	title: 'x',
	guids: { imdb: 'tt1' },
	played: null,
	updatedAt: '2026-01-01T00:00:00.000Z',
	...(rating !== undefined ? { rating } : {}),
});

describe('rating scales', () => {
	it('a stored value of any server reads as a whole number 1–10 that every side stores and reads back unchanged', () => {
		fc.assert(
			fc.property(fc.constantFrom<'plex' | 'jellyfin' | 'emby'>('plex', 'jellyfin', 'emby'), fc.double({ min: 0.01, max: 10, noNaN: true }), (origin, stored) => {
				const rating = ratingFromServer(stored, origin)!;
				expect(Number.isInteger(rating) && rating >= 1 && rating <= 10).toBe(true);
				for (const side of SIDES) expect(read(side, rating)).toBe(rating);
			}),
		);
	});

	it('repeated syncs through the sides in any order write at most once per side, then never again', () => {
		fc.assert(
			fc.property(fc.double({ min: 0.5, max: 10, noNaN: true }), fc.array(fc.constantFrom<'plex' | 'jellyfin' | 'emby'>('plex', 'jellyfin', 'emby'), { minLength: 2, maxLength: 12 }), (start, hops) => {
				// What each server stores; the first keeps the odd value a person (or another tool) set.
				const stored = new Map<string, number>([[hops[0], start]]);
				const writes = new Map<string, number>();
				for (let i = 1; i < hops.length; i++) {
					const from = hops[i - 1];
					const to = hops[i];
					const source = item(from, stored.has(from) ? ratingFromServer(stored.get(from), from) : undefined, from);
					const target = item(to, stored.has(to) ? ratingFromServer(stored.get(to), to) : undefined, to);
					if (source.rating === undefined) continue;
					const decision = decideRating({ ...source, event: 'rate' }, target, { syncRatings: true, removeRatings: false });
					if (decision.step === 'rate') {
						stored.set(to, decision.rating!);
						writes.set(to, (writes.get(to) ?? 0) + 1);
					}
				}
				for (const count of writes.values()) expect(count).toBe(1);
				// The value a person set stays as it was: it is read, never rewritten.
				expect(stored.get(hops[0])).toBe(start);
			}),
		);
	});

	it('what no side can hold is refused, not rounded into a rating', () => {
		expect([ratingFromServer(-1, 'plex'), ratingFromServer(0, 'plex'), ratingFromServer(11, 'jellyfin'), ratingFromServer('x', 'emby'), ratingFromServer(null, 'plex')]).toEqual([undefined, undefined, undefined, undefined, undefined]);
		expect([ratingFromServer(0, 'jellyfin'), ratingFromServer(0.4, 'plex'), ratingFromServer(6.5, 'plex')]).toEqual([1, 1, 7]);
		expect([ratingFromTrakt(0), ratingFromTrakt(7.5), ratingFromTrakt(11), ratingFromTrakt(10)]).toEqual([undefined, undefined, undefined, 10]);
		expect([checkRating('8'), checkRating(8), typeof checkRating(0), typeof checkRating(8.5)]).toEqual([8, 8, 'string', 'string']);
	});
});
