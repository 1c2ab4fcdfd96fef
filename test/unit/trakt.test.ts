import { historyBody } from '../../nodes/shared/backends/trakt/api';
import { traktRef } from '../../nodes/shared/backends/trakt/ids';
import { decideScrobble } from '../../nodes/shared/backends/trakt/scrobble';
import type { WatchEvent } from '../../nodes/shared/model';
import { describeWithFixtures, fixtureJson } from '../support/fixtures';

const ev = (extra: Partial<WatchEvent>): WatchEvent => ({
	backend: 'plex',
	type: 'movie',
	id: '1',
	title: 'Heat',
	year: 1995,
	guids: { imdb: 'tt0113277', tmdb: '949' },
	played: null,
	durationMs: 10_000_000,
	updatedAt: '2026-01-01T00:00:00.000Z',
	event: 'stop',
	sourceEvent: 'x',
	tainted: true,
	receivedAt: '2026-01-01T00:00:00.000Z',
	...extra,
});

describe('decideScrobble', () => {
	it.each([
		['play at 10 %', { event: 'play', positionMs: 1_000_000 }, 'start', 10],
		['resume at 50 %', { event: 'resume', positionMs: 5_000_000 }, 'start', 50],
		['play at 99.5 % (credits)', { event: 'play', positionMs: 9_950_000 }, 'skip', undefined],
		['pause at 30 %', { event: 'pause', positionMs: 3_000_000 }, 'pause', 30],
		['stop at 0.5 %', { event: 'stop', positionMs: 50_000 }, 'skip', undefined],
		['stop at 40 %', { event: 'stop', positionMs: 4_000_000 }, 'stop', 40],
		['stop at 85 % not confirmed', { event: 'stop', positionMs: 8_500_000 }, 'pause', 85],
		['stop at 96 %', { event: 'stop', positionMs: 9_600_000 }, 'stop', 96],
		['a server scrobble without position', { event: 'scrobble', tainted: false, played: true }, 'stop', 90],
		['a server scrobble at 97 %', { event: 'scrobble', tainted: false, played: true, positionMs: 9_700_000 }, 'stop', 97],
		['a manual mark', { event: 'played', tainted: false, played: true }, 'skip', undefined],
		['a stop without any position', { event: 'stop' }, 'skip', undefined],
		['a library addition', { event: 'added' }, 'skip', undefined],
	])('%s', (_label, extra, action, progress) => {
		const d = decideScrobble(ev(extra as Partial<WatchEvent>));
		expect(d.action).toBe(action);
		if (progress !== undefined) expect((d as { progress: number }).progress).toBe(progress);
	});
});

describe('traktRef', () => {
	it('identifies movies by ids, episodes by own ids or by show ids + numbers', () => {
		expect(traktRef(ev({}))).toEqual({ movie: { title: 'Heat', year: 1995, ids: { imdb: 'tt0113277', tmdb: 949 } } });
		const episode = { type: 'episode' as const, title: 'Pilot', guids: { tvdb: '349232' }, show: { title: 'Breaking Bad', guids: { tvdb: '81189' } }, season: 1, episode: 1 };
		expect(traktRef(episode)).toEqual({ episode: { ids: { tvdb: 349232 } } });
		expect(traktRef({ ...episode, guids: {} })).toEqual({ show: { title: 'Breaking Bad', ids: { tvdb: 81189 } }, episode: { season: 1, number: 1 } });
		expect(traktRef({ ...episode, guids: {}, season: undefined })).toBeUndefined();
		expect(traktRef({ type: 'movie', title: 'x', guids: { tvdb: '1' } })).toBeUndefined();
	});

	it('never sends an episode by IMDb or TMDb id (Trakt takes trakt or tvdb ids only): show + numbers instead', () => {
		const episode = { type: 'episode' as const, title: 'Pilot', guids: { imdb: 'tt0959621', tmdb: '62085' }, show: { title: 'Breaking Bad', guids: { tvdb: '81189', imdb: 'tt0903747' } }, season: 1, episode: 1 };
		expect(traktRef(episode)).toEqual({ show: { title: 'Breaking Bad', ids: { tvdb: 81189, imdb: 'tt0903747' } }, episode: { season: 1, number: 1 } });
		expect(traktRef({ ...episode, guids: { imdb: 'tt0959621', tvdb: '349232' } })).toEqual({ episode: { ids: { tvdb: 349232 } } });
		expect(traktRef({ ...episode, show: undefined })).toBeUndefined();
	});

	it('groups history entries the way /sync/history takes them', () => {
		expect(
			historyBody([
				{ movie: { ids: { imdb: 'tt1' } }, watched_at: '2025-01-01T00:00:00.000Z' },
				{ episode: { ids: { tvdb: 2 } } },
				{ show: { ids: { tvdb: 3 } }, episode: { season: 1, number: 4 }, watched_at: '2025-02-01T00:00:00.000Z' },
			]),
		).toEqual({
			movies: [{ ids: { imdb: 'tt1' }, watched_at: '2025-01-01T00:00:00.000Z' }],
			episodes: [{ ids: { tvdb: 2 } }],
			shows: [{ ids: { tvdb: 3 }, seasons: [{ number: 1, episodes: [{ number: 4, watched_at: '2025-02-01T00:00:00.000Z' }] }] }],
		});
	});
});

describeWithFixtures('Trakt request shapes against the shared samples', () => {
	it('builds the movie ids in the documented scrobble body (imdb string, tmdb number)', () => {
		const sample = fixtureJson<{ request: { body: { movie: { title: string; year: number; ids: Record<string, unknown> } } } }>('specs/trakt/scrobble-start-movie.json');
		const { title, year, ids } = sample.request.body.movie;
		const ref = traktRef({ type: 'movie', title, year, guids: { imdb: String(ids.imdb), tmdb: String(ids.tmdb) } });
		expect(ref).toEqual({ movie: { title, year, ids: { imdb: ids.imdb, tmdb: ids.tmdb } } });
	});
});
