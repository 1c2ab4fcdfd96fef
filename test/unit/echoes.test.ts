import type { WatchEvent } from '../../nodes/shared/model';
import { ECHO_WINDOW_MS, isEcho, noteEmitted } from '../../nodes/shared/watcher/echoes';

const event = (over: Partial<WatchEvent>): WatchEvent => ({
	backend: 'jellyfin',
	serverId: 'jf',
	type: 'movie',
	id: '1',
	title: 'A Film',
	guids: { imdb: 'tt0000001' },
	played: true,
	updatedAt: '2026-12-07T08:00:00.000Z',
	event: 'played',
	sourceEvent: 'poll',
	tainted: false,
	receivedAt: '2026-12-07T08:00:00.000Z',
	person: 'alice',
	...over,
});

describe('echoes of the sync\'s own writes', () => {
	const t0 = Date.UTC(2026, 11, 7, 8);
	it("is another server's event of the same person, item (by a shared id) and direction, within the window", () => {
		noteEmitted(event({}), t0);
		const onPlex = event({ backend: 'plex', serverId: 'pms', id: '100', guids: { imdb: 'tt0000001', tmdb: '5' } });
		expect(isEcho(onPlex, t0 + 5000)).toBe(true);
		// The same server's own later mark is its own; another person's, or the other direction, is not an echo.
		expect(isEcho(event({ id: '1' }), t0 + 5000)).toBe(false);
		expect(isEcho({ ...onPlex, person: 'bob' }, t0 + 5000)).toBe(false);
		expect(isEcho({ ...onPlex, event: 'unplayed', played: false }, t0 + 5000)).toBe(false);
		// A play on the other server is a play, whatever came before.
		expect(isEcho({ ...onPlex, event: 'scrobble' }, t0 + 5000)).toBe(false);
		expect(isEcho(onPlex, t0 + ECHO_WINDOW_MS + 1)).toBe(false);
	});

	it('matches episodes by their show and numbers when they share no episode id', () => {
		const show = { title: 'A Show', guids: { tvdb: '77' } };
		noteEmitted(event({ type: 'episode', guids: {}, show, season: 1, episode: 2, event: 'unplayed', played: false }), t0);
		expect(isEcho(event({ backend: 'emby', serverId: 'em', type: 'episode', guids: { tvdb: '999' }, show, season: 1, episode: 2, event: 'unplayed', played: false }), t0 + 1000)).toBe(true);
		expect(isEcho(event({ backend: 'emby', serverId: 'em', type: 'episode', guids: {}, show, season: 1, episode: 3, event: 'unplayed', played: false }), t0 + 1000)).toBe(false);
	});
});
