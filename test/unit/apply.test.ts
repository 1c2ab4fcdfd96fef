import { decideApply, type Source } from '../../nodes/shared/sync/apply';
import type { WatchItem } from '../../nodes/shared/model';

const target = (extra: Partial<WatchItem> = {}): WatchItem => ({
	backend: 'plex',
	type: 'movie',
	id: '1',
	title: 'Heat',
	guids: { imdb: 'tt0113277' },
	played: false,
	positionMs: 0,
	durationMs: 6_000_000,
	updatedAt: '2026-01-01T00:00:00.000Z',
	...extra,
});
const source = (extra: Partial<Source> = {}): Source => ({
	backend: 'jellyfin',
	type: 'movie',
	id: 'j1',
	title: 'Heat',
	guids: { imdb: 'tt0113277' },
	played: null,
	updatedAt: '2026-02-01T00:00:00.000Z',
	...extra,
});
const on = { propagateUnplayed: true, setPositions: true };

describe('decideApply', () => {
	it.each([
		['an untainted played event', source({ played: true, event: 'scrobble', tainted: false }), target(), 'mark-played'],
		['a listed played item', source({ played: true }), target(), 'mark-played'],
		['a played flag on a tainted event', source({ played: true, event: 'play', tainted: true }), target(), 'skip'],
		['played on an already played target', source({ played: true, event: 'played', tainted: false }), target({ played: true }), 'skip'],
		['an explicit un-mark', source({ played: false, event: 'unplayed', tainted: false }), target({ played: true }), 'mark-unplayed'],
		['an un-mark on an unknown target', source({ played: false, event: 'unplayed', tainted: false }), target({ played: null }), 'skip'],
		['a listed unplayed item (not explicit)', source({ played: false }), target({ played: true }), 'skip'],
		['an unknown state without position', source(), target({ played: true }), 'skip'],
		['a position of 59 s', source({ positionMs: 59_000 }), target(), 'skip'],
		['a position of 20 min', source({ positionMs: 1_200_000, event: 'stop', tainted: true }), target(), 'set-position'],
		['a position past 90 %', source({ positionMs: 5_500_000 }), target(), 'skip'],
		['a position within 30 s of the target', source({ positionMs: 1_200_000 }), target({ positionMs: 1_180_000 }), 'skip'],
		['a position on a played target', source({ positionMs: 1_200_000, updatedAt: '2026-01-01T00:30:00.000Z' }), target({ played: true }), 'skip'],
		['a rewatch position long after the play', source({ positionMs: 1_200_000 }), target({ played: true, playedAt: '2026-01-01T00:00:00.000Z' }), 'set-position'],
		['the same item', source({ backend: 'plex', id: '1', played: true }), target(), 'skip'],
	])('%s -> %s', (_label, s, t, step) => {
		expect(decideApply(s, t, on).step).toBe(step);
	});

	it('keeps un-marks and positions off when the options say so', () => {
		expect(decideApply(source({ played: false, event: 'unplayed', tainted: false }), target({ played: true }), { ...on, propagateUnplayed: false })).toEqual({
			step: 'skip',
			reason: 'un-marks are not propagated (enable Propagate Un-Marks)',
		});
		expect(decideApply(source({ positionMs: 1_200_000 }), target(), { ...on, setPositions: false }).step).toBe('skip');
	});

	it('passes the watched date of the source', () => {
		expect(decideApply(source({ played: true, playedAt: '2025-12-24T20:00:00.000Z' }), target(), on)).toEqual({
			step: 'mark-played',
			reason: 'played on jellyfin',
			playedAt: '2025-12-24T20:00:00.000Z',
		});
	});
});
