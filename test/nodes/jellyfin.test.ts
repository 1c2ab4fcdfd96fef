import type { IDataObject } from 'n8n-workflow';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { Jellyfin } from '../../nodes/Jellyfin/Jellyfin.node';
import { seedLibrary } from '../../dev/emulators/library';
import { JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { runNode } from '../support/execute';

const library = seedLibrary({ movies: 20, shows: 2, seasonsPerShow: 2, episodesPerSeason: 4 });
const API_KEY = 'dummy-jellyfin-api-key';
const users = [
	{ id: '5a0b1c2d3e4f40718293a4b5c6d7e8f9', name: 'alice', token: 'dummy-jellyfin-alice', admin: true },
	{ id: '6b1c2d3e4f5a41829304b5c6d7e8f9a0', name: 'bob', token: 'dummy-jellyfin-bob' },
];
const modern = new JellyfinEmulator({ library, users, apiKey: API_KEY, version: '10.11.8' });
const legacy = new JellyfinEmulator({ library, users, apiKey: API_KEY, version: '10.8.13' });
const node = new Jellyfin();

function runOn(server: JellyfinEmulator, params: IDataObject, input?: IDataObject[], token = API_KEY) {
	return runNode(node, {
		credentialType: new JellyfinApi(),
		credentials: { baseUrl: server.url, token, ignoreSslIssues: false },
		params: { requestOptions: { retries: 2, timeout: 5 }, userId: users[0].id, ...params },
		input,
	});
}

beforeAll(async () => {
	await Promise.all([modern.start(), legacy.start()]);
});
afterAll(async () => {
	await Promise.all([modern.stop(), legacy.stop()]);
});
beforeEach(() => {
	for (const s of [modern, legacy]) {
		s.state.clear();
		s.clearFaults();
		s.resetCounters();
	}
});

describe.each([
	['10.11 (query-style routes)', modern, { played: '/UserPlayedItems/', userData: '/UserItems/' }],
	['10.8 (legacy /Users/{id} routes)', legacy, { played: '/Users/5a0b1c2d3e4f40718293a4b5c6d7e8f9/PlayedItems/', userData: '/Users/5a0b1c2d3e4f40718293a4b5c6d7e8f9/Items/' }],
])('Jellyfin node on %s', (_label, server, paths) => {
	const m1 = library.movies[0];

	it('reads the watch state in ticks-converted ms, with series ids on episodes', async () => {
		server.seedState(users[0].id, m1, { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 5, 1, 12), updatedAt: Date.UTC(2025, 5, 1, 12) });
		server.seedState(users[0].id, library.episodes[1], { positionMs: 754_000, updatedAt: Date.UTC(2025, 5, 2) });
		const out = await runOn(server, { resource: 'library', operation: 'getWatchState', filters: {}, requestOptions: { pageSize: 10 } });
		expect(out).toHaveLength(20 + 16);
		const byId = new Map(out.map((i) => [i.json.id, i.json]));
		expect(byId.get(server.idOf(m1))).toMatchObject({
			backend: 'jellyfin',
			userId: users[0].id,
			type: 'movie',
			played: true,
			playedAt: '2025-06-01T12:00:00.000Z',
			guids: { imdb: 'tt1000001', tmdb: '100001' },
			durationMs: m1.durationMs,
		});
		expect(byId.get(server.idOf(library.episodes[1]))).toMatchObject({
			type: 'episode',
			show: { id: server.showId(library.shows[0]), title: 'Show 1', guids: { imdb: 'tt2000001', tmdb: '200001', tvdb: '300001' } },
			season: 1,
			episode: 2,
			played: false,
			positionMs: 754_000,
		});
	});

	it('marks played with the watched date, unplayed, and sets a position on the right route', async () => {
		const id = server.idOf(m1);
		const played = await runOn(server, { resource: 'item', operation: 'markPlayed', itemId: id, watchedAt: '2025-01-02T03:04:05Z' });
		expect(played[0].json).toMatchObject({ played: true, playedAt: '2025-01-02T03:04:05.000Z' });
		await runOn(server, { resource: 'item', operation: 'setPosition', itemId: server.idOf(library.movies[1]), position: 600, positionUnit: 's' });
		await runOn(server, { resource: 'item', operation: 'markUnplayed', itemId: id });
		const movie2 = server.idOf(library.movies[1]);
		expect(server.writes.map((w) => [w.action, w.method, w.path])).toEqual([
			['played', 'POST', paths.played + id],
			['position', 'POST', `${paths.userData}${movie2}/UserData`],
			['unplayed', 'DELETE', paths.played + id],
		]);
		expect(server.writes[0].playedAt).toBe(Date.UTC(2025, 0, 2, 3, 4, 5));
		expect(server.stateOf(users[0].id, library.movies[1]).positionMs).toBe(600_000);
		expect(server.stateOf(users[0].id, m1).played).toBe(false);
		// Bob's state is his own.
		expect(server.stateOf(users[1].id, m1).played).toBe(false);
	});
});

describe('Jellyfin node users and auth', () => {
	it('lists users for the User field and for matching', async () => {
		const out = await runOn(modern, { resource: 'user', operation: 'getAll' });
		expect(out.map((i) => i.json)).toEqual([
			{ id: users[0].id, name: 'alice', isAdmin: true, backend: 'jellyfin' },
			{ id: users[1].id, name: 'bob', isAdmin: false, backend: 'jellyfin' },
		]);
	});

	it('acts as the token\'s own user when no user is chosen, and asks for one with an API key', async () => {
		modern.seedState(users[1].id, library.movies[2], { played: true, playCount: 1 });
		const out = await runOn(modern, { resource: 'item', operation: 'get', itemId: modern.idOf(library.movies[2]), userId: '' }, undefined, users[1].token);
		expect(out[0].json).toMatchObject({ userId: users[1].id, played: true });
		await expect(runOn(modern, { resource: 'item', operation: 'get', itemId: modern.idOf(library.movies[2]), userId: '' })).rejects.toThrow(
			'this credential is an API key: choose the User whose watch state to use',
		);
	});

	it('sends the MediaBrowser Authorization header (legacy X-Emby-Token is off on this server)', async () => {
		const failure = await runOn(modern, { resource: 'library', operation: 'getAll' }, undefined, 'dummy-not-a-key').catch((e: Error) => e);
		expect((failure as Error).message).toBe('list libraries: the server refused the credential (HTTP 401); check the token');
	});
});

describe('Jellyfin node: find and apply', () => {
	it('finds by episode ids and by show ids + numbers with one library read per run', async () => {
		const ep = library.episodes.find((e) => e.show.n === 2 && e.season === 2 && e.episode === 3)!;
		const out = await runOn(modern, { resource: 'item', operation: 'find', findBy: 'input' }, [
			{ type: 'episode', guids: { tvdb: ep.guids.tvdb } },
			{ type: 'episode', guids: {}, show: { title: 'Show 2', guids: { imdb: 'tt2000002' } }, season: 2, episode: 3 },
		]);
		expect(out.map((i) => i.json.id)).toEqual([modern.idOf(ep), modern.idOf(ep)]);
		const itemListings = [...modern.requestsByRoute.entries()].filter(([k]) => k.startsWith('GET ^\\/Items$')).reduce((a, [, n]) => a + n, 0);
		expect(itemListings).toBe(2); // series + items, once
	});

	it('applies a Plex scrobble as played with its date, and leaves an unknown state alone', async () => {
		const m = library.movies[3];
		const source = { backend: 'plex', type: 'movie', id: '1', title: m.title, guids: { tmdb: m.guids.tmdb }, played: true, event: 'scrobble', tainted: false, updatedAt: '2026-02-03T04:05:06.000Z', playedAt: '2026-02-03T04:05:06.000Z' };
		const out = await runOn(modern, { resource: 'item', operation: 'apply', applyOptions: {} }, [source, { ...source, played: null, event: 'play', tainted: true }]);
		expect(out.map((i) => i.json.action)).toEqual(['marked-played', 'skipped']);
		expect(out[1].json.reason).toBe('played state unknown and no position');
		expect(modern.writes).toEqual([expect.objectContaining({ action: 'played', playedAt: Date.UTC(2026, 1, 3, 4, 5, 6) })]);
	});
});

describe('Jellyfin node: a 20k-item library', () => {
	const big = seedLibrary({ movies: 10_000, shows: 500, seasonsPerShow: 2, episodesPerSeason: 10 });
	const server = new JellyfinEmulator({ library: big, users, apiKey: API_KEY });
	beforeAll(async () => {
		await server.start();
	});
	afterAll(async () => {
		await server.stop();
	});

	it('is read completely with the expected number of requests', async () => {
		server.seedState(users[0].id, big.episodes[19_999 - 10_000], { played: true, playCount: 1 });
		const out = await runOn(server, { resource: 'library', operation: 'getWatchState', filters: {}, requestOptions: { pageSize: 500, concurrency: 4 } });
		expect(out).toHaveLength(20_000);
		expect(new Set(out.map((i) => i.json.id)).size).toBe(20_000);
		expect(out.filter((i) => i.json.played === true)).toHaveLength(1);
		// version + views + 1 series page (500) + 40 item pages (20 000 / 500)
		expect(server.requests).toBe(1 + 1 + 1 + 40);
	});
});
