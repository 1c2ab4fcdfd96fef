import { NodeApiError, type IDataObject } from 'n8n-workflow';
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
const modern = new JellyfinEmulator({ library, users, apiKey: API_KEY, version: '10.11.11' });
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
	['10.11 (query-style routes)', modern, { played: '/UserPlayedItems/' }],
	['10.8 (legacy /Users/{id} routes)', legacy, { played: '/Users/5a0b1c2d3e4f40718293a4b5c6d7e8f9/PlayedItems/' }],
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

	it('marks played with the watched date and unplayed on the route the version documents', async () => {
		const id = server.idOf(m1);
		const played = await runOn(server, { resource: 'item', operation: 'markPlayed', itemId: id, watchedAt: '2025-01-02T03:04:05Z' });
		expect(played[0].json).toMatchObject({ played: true, playedAt: '2025-01-02T03:04:05.000Z' });
		await runOn(server, { resource: 'item', operation: 'markUnplayed', itemId: id });
		expect(server.writes.map((w) => [w.action, w.method, w.path])).toEqual([
			['played', 'POST', paths.played + id],
			['unplayed', 'DELETE', paths.played + id],
		]);
		expect(server.writes[0].playedAt).toBe(Date.UTC(2025, 0, 2, 3, 4, 5));
		expect(server.stateOf(users[0].id, m1).played).toBe(false);
		// Bob's state is his own.
		expect(server.stateOf(users[1].id, m1).played).toBe(false);
	});
});

describe('Jellyfin resume positions by version', () => {
	const m2 = library.movies[1];

	it('10.9+: writes only the position through /UserItems/{id}/UserData, keeping favourite, rating and play count', async () => {
		modern.seedState(users[0].id, m2, { isFavorite: true, rating: 8, playCount: 3, lastPlayedAt: Date.UTC(2024, 1, 1) });
		await runOn(modern, { resource: 'item', operation: 'setPosition', itemId: modern.idOf(m2), position: 600, positionUnit: 's' });
		expect(modern.writes.map((w) => [w.action, w.method, w.path])).toEqual([['position', 'POST', `/UserItems/${modern.idOf(m2)}/UserData`]]);
		expect(modern.stateOf(users[0].id, m2)).toMatchObject({ positionMs: 600_000, isFavorite: true, rating: 8, playCount: 3, lastPlayedAt: Date.UTC(2024, 1, 1) });
	});

	it('10.8: Set Resume Position fails naming the version and the minimum, and writes nothing', async () => {
		const failure = await runOn(legacy, { resource: 'item', operation: 'setPosition', itemId: legacy.idOf(m2), position: 600, positionUnit: 's' }).catch((e: Error) => e);
		expect((failure as Error).message).toBe(
			'Jellyfin 10.8.13 has no API to set a resume position (POST /UserItems/{itemId}/UserData came in 10.9); update the server to 10.9 or later',
		);
		expect(legacy.writes).toEqual([]);
		expect(legacy.requests).toBeGreaterThan(0);
	});

	it('10.8: Apply Watch State skips a position with that reason and still marks plays', async () => {
		const source = { backend: 'plex', type: 'movie', id: '1', title: m2.title, guids: { tmdb: m2.guids.tmdb }, played: false, positionMs: 1_200_000, durationMs: m2.durationMs, event: 'stop', tainted: true, updatedAt: '2026-02-03T04:05:06.000Z' };
		const played = { ...source, guids: { tmdb: library.movies[2].guids.tmdb }, played: true, event: 'scrobble', tainted: false, positionMs: undefined };
		const out = await runOn(legacy, { resource: 'item', operation: 'apply', applyOptions: {} }, [source, played]);
		expect(out.map((i) => [i.json.action, i.json.reason])).toEqual([
			['skipped', expect.stringContaining('Jellyfin 10.8.13 has no API to set a resume position')],
			['marked-played', 'played on plex'],
		]);
		expect(legacy.writes.map((w) => w.action)).toEqual(['played']);
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

	it('says a refused credential is refused, without echoing it', async () => {
		const failure = await runOn(modern, { resource: 'library', operation: 'getAll' }, undefined, 'dummy-not-a-key').catch((e: Error) => e);
		expect((failure as Error).message).toBe('list libraries: the server refused the credential (HTTP 401); check the token');
	});
});

describe('Jellyfin node: errors say what to change', () => {
	const failureOf = async (baseUrl: string, token = API_KEY) =>
		(await runNode(node, {
			credentialType: new JellyfinApi(),
			credentials: { baseUrl, token, ignoreSslIssues: false },
			params: { requestOptions: { retries: 0, timeout: 5 }, resource: 'user', operation: 'getAll' },
		}).catch((e: unknown) => e)) as NodeApiError;

	it('a refused connection keeps the server, the address and the call in the message (n8n would replace a message holding the code)', async () => {
		const closed = new JellyfinEmulator({ library, users, apiKey: API_KEY });
		await closed.start();
		const url = closed.url;
		await closed.stop();
		const failure = await failureOf(url);
		expect(failure).toBeInstanceOf(NodeApiError);
		expect(failure.message).toBe(`GET /Users failed: Jellyfin at ${url}: the connection was refused (nothing listens at that address and port)`);
		expect(failure.description).toMatch(/Check that Jellyfin is running.*Server URL.*Docker.*'localhost'/);
	});

	it('an unknown host and a refused key each get their fix', async () => {
		const unknownHost = await failureOf('http://no-such-host.invalid:8096');
		expect(unknownHost.message).toMatch(/^GET \/Users failed: Jellyfin at http:\/\/no-such-host\.invalid:8096: (the host name in the Server URL could not be resolved|no answer in time)$/);
		expect(unknownHost.description).toMatch(/Server URL/);
		const refused = await failureOf(modern.url, 'dummy-not-a-key');
		expect(refused.httpCode).toBe('401');
		expect(refused.description).toBe('Jellyfin refused the credential: check its API Key or User Token (a server reset or a new install issues new ones).');
	});
});

describe('Jellyfin node: find and apply', () => {
	it('finds by episode ids (no title: the library, read once) and by show title + ids + numbers (a search)', async () => {
		const ep = library.episodes.find((e) => e.show.n === 2 && e.season === 2 && e.episode === 3)!;
		const out = await runOn(modern, { resource: 'item', operation: 'find', findBy: 'input' }, [
			{ type: 'episode', guids: { tvdb: ep.guids.tvdb } },
			{ type: 'episode', guids: { tvdb: ep.guids.tvdb } },
			{ type: 'episode', guids: {}, show: { title: 'Show 2', guids: { imdb: 'tt2000002' } }, season: 2, episode: 3 },
		]);
		expect(out.map((i) => i.json.id)).toEqual([modern.idOf(ep), modern.idOf(ep), modern.idOf(ep)]);
		const itemListings = [...modern.requestsByRoute.entries()].filter(([k]) => k.startsWith('GET ^\\/Items$')).reduce((a, [, n]) => a + n, 0);
		// The index: series + items, once for both untitled queries; then one series search.
		expect(itemListings).toBe(3);
		expect(modern.requestsByRoute.get('GET ^\\/Shows\\/(\\w+)\\/Episodes$')).toBe(1);
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

// Paging is checked by request counts on a library of many pages; the time a 100k library takes
// is measured by npm run bench, not here.
describe('Jellyfin node: a library of many pages', () => {
	const big = seedLibrary({ movies: 1_200, shows: 60, seasonsPerShow: 2, episodesPerSeason: 10 });
	const server = new JellyfinEmulator({ library: big, users, apiKey: API_KEY });
	beforeAll(async () => {
		await server.start();
	});
	afterAll(async () => {
		await server.stop();
	});

	it('is read completely, each item once, with the expected number of requests', async () => {
		server.seedState(users[0].id, big.episodes[1_199], { played: true, playCount: 1 });
		const out = await runOn(server, { resource: 'library', operation: 'getWatchState', filters: {}, requestOptions: { pageSize: 100, concurrency: 4 } });
		expect(out).toHaveLength(2_400);
		expect(new Set(out.map((i) => i.json.id)).size).toBe(2_400);
		expect(out.filter((i) => i.json.played === true)).toHaveLength(1);
		// version + views + 1 series page (60) + 24 item pages (2 400 / 100)
		expect(server.requests).toBe(1 + 1 + 1 + 24);
	});
});

describe('Changed Since finds new plays (the servers date-filter on metadata saves, not on user data)', () => {
	it.each([
		['Jellyfin 10.11', modern],
		['Jellyfin 10.8', legacy],
	])('%s: an item played after the date comes back, older plays and untouched items do not', async (_label, server) => {
		const recent = library.movies[5];
		const old = library.movies[6];
		server.seedState(users[0].id, recent, { played: true, playCount: 1, lastPlayedAt: Date.UTC(2026, 5, 2), updatedAt: Date.UTC(2026, 5, 2) });
		server.seedState(users[0].id, old, { played: true, playCount: 1, lastPlayedAt: Date.UTC(2024, 5, 2), updatedAt: Date.UTC(2024, 5, 2) });
		const out = await runOn(server, { resource: 'library', operation: 'getWatchState', filters: { changedSince: '2026-06-01T00:00:00Z' }, requestOptions: { pageSize: 5 } });
		expect(out.map((i) => i.json.id)).toEqual([server.idOf(recent)]);
		// Sorted by last play, newest first: the read stops at the first older page.
		expect(server.requests).toBeLessThanOrEqual(5);
	});
});

describe('Paging is stable when the server order has ties', () => {
	// 120 shows of 5 episodes: every "001 - 0001 - Episode 1" sort name appears 120 times.
	const ties = seedLibrary({ movies: 0, shows: 120, seasonsPerShow: 1, episodesPerSeason: 5 });
	const server = new JellyfinEmulator({ library: ties, users, apiKey: API_KEY, version: '10.11.11' });
	beforeAll(async () => {
		await server.start();
	});
	afterAll(async () => {
		await server.stop();
	});

	it('every episode comes back exactly once when pages are read concurrently', async () => {
		const out = await runOn(server, { resource: 'library', operation: 'getWatchState', filters: {}, requestOptions: { pageSize: 25, concurrency: 4 } });
		const ids = out.map((i) => String(i.json.id));
		expect(ids).toHaveLength(600);
		expect(new Set(ids).size).toBe(600);
		expect(new Set(ids)).toEqual(new Set(ties.episodes.map((e) => server.idOf(e))));
	});
});
