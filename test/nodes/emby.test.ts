import type { IDataObject } from 'n8n-workflow';
import { EmbyApi } from '../../credentials/EmbyApi.credentials';
import { Emby } from '../../nodes/Emby/Emby.node';
import { seedLibrary } from '../../dev/emulators/library';
import { EmbyEmulator } from '../../dev/emulators/mediabrowser';
import { runNode } from '../support/execute';

const library = seedLibrary({ movies: 40, shows: 3, seasonsPerShow: 2, episodesPerSeason: 5 });
const API_KEY = 'dummy-emby-api-key';
const users = [
	{ id: 'f0e1d2c3b4a5968778695a4b3c2d1e0f', name: 'alice', token: 'dummy-emby-alice', admin: true },
	{ id: 'e6a9dd89fd954d689870e7e0e3e72947', name: 'bob', token: 'dummy-emby-bob' },
];
const emby = new EmbyEmulator({ library, users, apiKey: API_KEY });
const careless = new EmbyEmulator({ library, users, apiKey: API_KEY, ignoreProviderFilter: true });
const node = new Emby();

function run(params: IDataObject, input?: IDataObject[], server = emby, baseSuffix = '') {
	return runNode(node, {
		credentialType: new EmbyApi(),
		credentials: { baseUrl: server.url + baseSuffix, apiKey: API_KEY, ignoreSslIssues: false },
		params: { requestOptions: { retries: 2, timeout: 5 }, userId: users[0].id, ...params },
		input,
	});
}

beforeAll(async () => {
	await Promise.all([emby.start(), careless.start()]);
});
afterAll(async () => {
	await Promise.all([emby.stop(), careless.stop()]);
});
beforeEach(() => {
	for (const s of [emby, careless]) {
		s.state.clear();
		s.clearFaults();
		s.resetCounters();
	}
});

describe('Emby node', () => {
	it('lists users from /Users/Query and libraries through the /emby prefix', async () => {
		const people = await run({ resource: 'user', operation: 'getAll' });
		expect(people.map((i) => i.json.name)).toEqual(['alice', 'bob']);
		const libs = await run({ resource: 'library', operation: 'getAll' }, undefined, emby, '/emby');
		expect(libs.map((i) => i.json)).toEqual([
			{ id: '3', title: 'Movies', type: 'movie', backend: 'emby' },
			{ id: '4', title: 'Shows', type: 'show', backend: 'emby' },
		]);
	});

	it('reads untouched items (no UserData from Emby) as unplayed, touched ones as they are', async () => {
		emby.seedState(users[0].id, library.movies[4], { played: true, playCount: 3, lastPlayedAt: Date.UTC(2025, 1, 1) });
		const out = await run({ resource: 'library', operation: 'getWatchState', filters: { libraries: 'Movies' } });
		expect(out).toHaveLength(40);
		const byId = new Map(out.map((i) => [i.json.id, i.json]));
		expect(byId.get(emby.idOf(library.movies[0]))).toMatchObject({ played: false, positionMs: 0 });
		expect(byId.get(emby.idOf(library.movies[4]))).toMatchObject({ played: true, playedAt: '2025-02-01T00:00:00.000Z' });
	});

	it('Libraries chosen from the list (ids) read only those libraries', async () => {
		const out = await run({ resource: 'library', operation: 'getWatchState', filters: { libraries: ['4'] } });
		expect(out.length).toBe(library.episodes.length);
		expect(out.every((i) => i.json.type === 'episode')).toBe(true);
	});

	it('finds with AnyProviderIdEquals in one request instead of reading the library', async () => {
		const out = await run({ resource: 'item', operation: 'find', findBy: 'ids', mediaType: 'movie', externalIds: { imdb: 'tt1000007', tmdb: '100007' } });
		expect(out.map((i) => i.json.id)).toEqual([emby.idOf(library.movies[6])]);
		expect(emby.requests).toBe(1);
	});

	it('finds episodes by show ids + numbers through the series', async () => {
		const ep = library.episodes.find((e) => e.show.n === 2 && e.season === 2 && e.episode === 5)!;
		const out = await run({ resource: 'item', operation: 'find', findBy: 'ids', mediaType: 'episode', externalIds: { showTvdb: '300002', season: 2, episode: 5 } });
		expect(out.map((i) => i.json)).toEqual([expect.objectContaining({ id: emby.idOf(ep), season: 2, episode: 5, show: expect.objectContaining({ guids: { imdb: 'tt2000002', tmdb: '200002', tvdb: '300002' } }) })]);
	});

	it('never writes to unrelated items when a server ignores the id filter', async () => {
		const source = { backend: 'plex', type: 'movie', id: '1', title: 'x', guids: { imdb: 'tt0000404' }, played: true, event: 'scrobble', tainted: false, updatedAt: '2026-01-01T00:00:00.000Z' };
		const out = await run({ resource: 'item', operation: 'apply', applyOptions: {} }, [source], careless);
		expect(out[0].json).toMatchObject({ action: 'not-found' });
		expect(careless.writes).toEqual([]);
		const real = await run({ resource: 'item', operation: 'apply', applyOptions: {} }, [{ ...source, guids: { imdb: 'tt1000003' } }], careless);
		expect(real[0].json).toMatchObject({ action: 'marked-played', target: { id: careless.idOf(library.movies[2]) } });
		expect(careless.writes).toEqual([expect.objectContaining({ itemId: careless.idOf(library.movies[2]), action: 'played' })]);
	});

	it('writes played with DatePlayed, unplayed, and positions in ticks', async () => {
		const id = emby.idOf(library.movies[9]);
		await run({ resource: 'item', operation: 'markPlayed', itemId: id, watchedAt: '2024-12-24T18:00:00Z' });
		expect(emby.stateOf(users[0].id, library.movies[9])).toMatchObject({ played: true, lastPlayedAt: Date.UTC(2024, 11, 24, 18) });
		await run({ resource: 'item', operation: 'markUnplayed', itemId: id });
		const pos = await run({ resource: 'item', operation: 'setPosition', itemId: id, position: 1234, positionUnit: 'ms' });
		expect(pos[0].json).toMatchObject({ positionMs: 1234, played: false });
		expect(emby.writes.map((w) => [w.action, w.method, w.path])).toEqual([
			['played', 'POST', `/Users/${users[0].id}/PlayedItems/${id}`],
			['unplayed', 'DELETE', `/Users/${users[0].id}/PlayedItems/${id}`],
			['position', 'POST', `/Users/${users[0].id}/Items/${id}/UserData`],
		]);
	});

	it('needs a user: an API key has none', async () => {
		await expect(run({ resource: 'item', operation: 'get', itemId: emby.idOf(library.movies[0]), userId: '' })).rejects.toThrow(
			'Emby API keys have no user: choose the User whose watch state to use',
		);
	});

	it('applies an un-mark with Propagate Un-Marks, and skips it when the target changed later', async () => {
		const m = library.movies[11];
		emby.seedState(users[0].id, m, { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 0, 1), updatedAt: Date.UTC(2025, 0, 1) });
		const unmark = { backend: 'jellyfin', type: 'movie', id: 'x', title: m.title, guids: { tmdb: m.guids.tmdb }, played: false, event: 'unplayed', tainted: false, updatedAt: '2024-06-01T00:00:00.000Z' };
		const stale = await run({ resource: 'item', operation: 'apply', applyOptions: { propagateUnplayed: true } }, [unmark]);
		expect(stale[0].json).toMatchObject({ action: 'skipped', reason: 'target changed after the un-mark' });
		const fresh = await run({ resource: 'item', operation: 'apply', applyOptions: { propagateUnplayed: true } }, [{ ...unmark, updatedAt: '2026-06-01T00:00:00.000Z' }]);
		expect(fresh[0].json).toMatchObject({ action: 'marked-unplayed' });
		expect(emby.stateOf(users[0].id, m).played).toBe(false);
	});
});

describe('Emby writes keep what the user did not ask to change', () => {
	it('Set Resume Position sends the whole user data back: favourite, rating, play count, played and last play stay', async () => {
		const m = library.movies[14];
		emby.seedState(users[0].id, m, { played: true, playCount: 4, isFavorite: true, rating: 7.5, lastPlayedAt: Date.UTC(2025, 2, 3), positionMs: 0 });
		await run({ resource: 'item', operation: 'setPosition', itemId: emby.idOf(m), position: 1234, positionUnit: 's' });
		expect(emby.stateOf(users[0].id, m)).toMatchObject({ positionMs: 1_234_000, played: true, playCount: 4, isFavorite: true, rating: 7.5, lastPlayedAt: Date.UTC(2025, 2, 3) });
	});

	it('a position on an item Emby has no user data for yet writes a complete, empty record', async () => {
		const m = library.movies[15];
		await run({ resource: 'item', operation: 'setPosition', itemId: emby.idOf(m), position: 90, positionUnit: 's' });
		expect(emby.stateOf(users[0].id, m)).toMatchObject({ positionMs: 90_000, played: false, playCount: 0, isFavorite: false });
	});

	it("another user's state is untouched by a write for this user", async () => {
		const m = library.movies[16];
		emby.seedState(users[1].id, m, { isFavorite: true, played: true, playCount: 1 });
		await run({ resource: 'item', operation: 'setPosition', itemId: emby.idOf(m), position: 300, positionUnit: 's' });
		await run({ resource: 'item', operation: 'markPlayed', itemId: emby.idOf(m) });
		expect(emby.stateOf(users[1].id, m)).toMatchObject({ isFavorite: true, played: true, playCount: 1, positionMs: 0 });
	});
});

describe('Emby lookups by external id', () => {
	it('finds a film Emby knows by its TMDb id only, although the IMDb id comes first (Emby filters on the first pair)', async () => {
		const m = library.movies[12]; // n = 13: no IMDb id on the server
		const out = await run({ resource: 'item', operation: 'find', findBy: 'ids', mediaType: 'movie', externalIds: { imdb: 'tt7654321', tmdb: m.guids.tmdb } });
		expect(out.map((i) => i.json.id)).toEqual([emby.idOf(m)]);
	});

	it('finds an episode by its TVDB id when its IMDb id is unknown to Emby, and by show ids when it has none', async () => {
		const ep = library.episodes.find((e) => !e.guids.imdb && e.guids.tvdb)!;
		const out = await run({ resource: 'item', operation: 'find', findBy: 'ids', mediaType: 'episode', externalIds: { imdb: 'tt7654322', tvdb: ep.guids.tvdb } });
		expect(out.map((i) => i.json.id)).toEqual([emby.idOf(ep)]);
		const byShow = await run({ resource: 'item', operation: 'find', findBy: 'ids', mediaType: 'episode', externalIds: { showTvdb: ep.show.guids.tvdb, season: ep.season, episode: ep.episode } });
		expect(byShow.map((i) => i.json.id)).toEqual([emby.idOf(ep)]);
		// A show id that contradicts the series' own is another show: nothing is joined.
		const contradicted = await run({ resource: 'item', operation: 'find', findBy: 'ids', mediaType: 'episode', externalIds: { showImdb: 'tt7654323', showTvdb: ep.show.guids.tvdb, season: ep.season, episode: ep.episode } });
		expect(contradicted.map((i) => i.json)).toEqual([expect.objectContaining({ found: false })]);
	});

	it('never returns items a short id only matches as a substring of their ids', async () => {
		// "Tmdb=10000" is a substring of "Tmdb=100001", "Tmdb=100002", …: Emby returns them all.
		const out = await run({ resource: 'item', operation: 'find', findBy: 'ids', mediaType: 'movie', externalIds: { tmdb: '10000' } });
		expect(out.map((i) => i.json)).toEqual([{ found: false, query: { type: 'movie', guids: { tmdb: '10000' } } }]);
	});
});
