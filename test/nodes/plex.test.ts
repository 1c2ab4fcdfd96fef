import type { IDataObject } from 'n8n-workflow';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { Plex } from '../../nodes/Plex/Plex.node';
import { seedLibrary } from '../../dev/emulators/library';
import { PlexEmulator, plexKeys } from '../../dev/emulators/plex';
import { runNode } from '../support/execute';

const library = seedLibrary({ movies: 30, shows: 3, seasonsPerShow: 2, episodesPerSeason: 5 });
const users = [
	{ id: '1', name: 'alice', token: 'dummy-plex-owner-token', admin: true },
	{ id: '2', name: 'bob', token: 'dummy-plex-bob-token' },
];
const plex = new PlexEmulator({ library, users });
const node = new Plex();
const credentials = () => ({ baseUrl: plex.url, token: users[0].token, clientIdentifier: 'test-client', ignoreSslIssues: false });
const run = (params: IDataObject, input?: IDataObject[], extra: { continueOnFail?: boolean; token?: string } = {}) =>
	runNode(node, {
		credentialType: new PlexApi(),
		credentials: { ...credentials(), ...(extra.token ? { token: extra.token } : {}) },
		params: { requestOptions: { retries: 3, timeout: 5 }, ...params },
		input,
		continueOnFail: extra.continueOnFail,
	});

const movie = (n: number) => library.movies[n - 1];
const episode = (show: number, season: number, ep: number) =>
	library.episodes.find((e) => e.show.n === show && e.season === season && e.episode === ep)!;

beforeAll(async () => {
	await plex.start();
});
afterAll(async () => {
	await plex.stop();
});
beforeEach(() => {
	plex.state.clear();
	plex.clearFaults();
	plex.resetCounters();
});

describe('Plex node: reading', () => {
	it('lists libraries and users', async () => {
		const libs = await run({ resource: 'library', operation: 'getAll' });
		expect(libs.map((i) => i.json)).toEqual([
			{ id: '1', title: 'Movies', type: 'movie', backend: 'plex' },
			{ id: '2', title: 'TV Shows', type: 'show', backend: 'plex' },
		]);
		const accounts = await run({ resource: 'user', operation: 'getAll' });
		expect(accounts.map((i) => i.json)).toEqual([
			{ id: '1', name: 'alice', backend: 'plex' },
			{ id: '2', name: 'bob', backend: 'plex' },
		]);
		expect(libs[0].pairedItem).toEqual({ item: 0 });
	});

	it('reads the watch state of every movie and episode, with show ids on episodes', async () => {
		plex.seedState('1', movie(1), { played: true, playCount: 2, lastPlayedAt: Date.UTC(2025, 4, 1), updatedAt: Date.UTC(2025, 4, 1) });
		plex.seedState('1', episode(1, 1, 2), { positionMs: 600_000, updatedAt: Date.UTC(2025, 4, 2) });
		const out = await run({ resource: 'library', operation: 'getWatchState', filters: {}, requestOptions: { pageSize: 7 } });
		expect(out).toHaveLength(30 + 30);
		const byId = new Map(out.map((i) => [i.json.id, i.json]));
		expect(byId.get(plexKeys.movie(1))).toMatchObject({
			backend: 'plex',
			serverId: plex.machineIdentifier,
			type: 'movie',
			title: 'Movie 1',
			guids: { imdb: 'tt1000001', tmdb: '100001' },
			played: true,
			playedAt: '2025-05-01T00:00:00.000Z',
			updatedAt: '2025-05-01T00:00:00.000Z',
		});
		expect(byId.get(plexKeys.episode(2))).toMatchObject({
			type: 'episode',
			show: { id: plexKeys.show(1), title: 'Show 1', guids: { imdb: 'tt2000001', tmdb: '200001', tvdb: '300001' } },
			season: 1,
			episode: 2,
			played: false,
			positionMs: 600_000,
		});
		// 13 and 26 lack an imdb id; 29 has none at all, as on real servers.
		expect(byId.get(plexKeys.movie(29))!.guids).toEqual({});
		expect(byId.get(plexKeys.movie(13))!.guids).toEqual({ tmdb: '100013' });
		// pages of 7: identity + sections + 5 movie pages + 1 show page + 5 episode pages
		expect(plex.requests).toBe(1 + 1 + 5 + 1 + 5);
	});

	it('filters by library, played state and change time', async () => {
		plex.seedState('1', movie(2), { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 5, 1), updatedAt: Date.UTC(2025, 5, 1) });
		plex.seedState('1', movie(3), { positionMs: 120_000 });
		plex.seedState('1', episode(2, 1, 1), { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 0, 1) });
		const played = await run({ resource: 'library', operation: 'getWatchState', filters: { only: 'played', libraries: 'movies' } });
		expect(played.map((i) => i.json.id)).toEqual([plexKeys.movie(2)]);
		const progress = await run({ resource: 'library', operation: 'getWatchState', filters: { only: 'inProgress' } });
		expect(progress.map((i) => i.json.id)).toEqual([plexKeys.movie(3)]);
		const recent = await run({ resource: 'library', operation: 'getWatchState', filters: { only: 'played', changedSince: '2025-03-01T00:00:00Z' } });
		expect(recent.map((i) => i.json.id)).toEqual([plexKeys.movie(2)]);
		await expect(run({ resource: 'library', operation: 'getWatchState', filters: { libraries: 'Music' } })).rejects.toThrow(
			/no library "Music" on this server; libraries: Movies \(1\), TV Shows \(2\)/,
		);
	});

	it('finds movies and episodes by external ids, by episode ids or show ids + numbers', async () => {
		const findMovie = await run({ resource: 'item', operation: 'find', findBy: 'ids', mediaType: 'movie', externalIds: { tmdb: '100013' } });
		expect(findMovie.map((i) => i.json.id)).toEqual([plexKeys.movie(13)]);
		const ep = episode(3, 2, 4);
		const byShow = await run({
			resource: 'item',
			operation: 'find',
			findBy: 'ids',
			mediaType: 'episode',
			externalIds: { showTvdb: '300003', season: 2, episode: 4 },
		});
		expect(byShow.map((i) => i.json.id)).toEqual([plexKeys.episode(ep.n)]);
		plex.resetCounters();
		const fromInput = await run({ resource: 'item', operation: 'find', findBy: 'input' }, [
			{ type: 'episode', guids: { tvdb: ep.guids.tvdb }, title: 'x' },
			{ type: 'movie', guids: { imdb: 'tt9999999' } },
		]);
		expect(fromInput.map((i) => i.json)).toEqual([
			expect.objectContaining({ id: plexKeys.episode(ep.n), season: 2, episode: 4 }),
			{ found: false, query: { type: 'movie', guids: { imdb: 'tt9999999' } } },
		]);
		expect(fromInput.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		// One index for the whole run: 2 input items, one library read.
		const listings = [...plex.requestsByRoute.entries()].filter(([k]) => k.includes('(\\w+)\\/all')).reduce((a, [, n]) => a + n, 0);
		expect(listings).toBe(3);
	});
});

describe('Plex node: writing', () => {
	it('marks played and unplayed, writing exactly one call each', async () => {
		const id = plexKeys.movie(5);
		const played = await run({ resource: 'item', operation: 'markPlayed', itemId: id });
		expect(played[0].json).toMatchObject({ id, played: true });
		expect(plex.writes).toEqual([expect.objectContaining({ userId: '1', itemId: id, action: 'played', method: 'PUT', path: '/:/scrobble' })]);
		const unplayed = await run({ resource: 'item', operation: 'markUnplayed', itemId: id });
		expect(unplayed[0].json).toMatchObject({ id, played: false });
		expect(plex.writes.map((w) => w.action)).toEqual(['played', 'unplayed']);
		expect(plex.stateOf('2', movie(5)).played).toBe(false);
	});

	it('sets the resume position in ms, seconds or percent through the timeline (with the client identifier)', async () => {
		const m = movie(6);
		const id = plexKeys.movie(6);
		await run({ resource: 'item', operation: 'setPosition', itemId: id, position: 754_000, positionUnit: 'ms' });
		expect(plex.stateOf('1', m).positionMs).toBe(754_000);
		await run({ resource: 'item', operation: 'setPosition', itemId: id, position: 90, positionUnit: 's' });
		expect(plex.stateOf('1', m).positionMs).toBe(90_000);
		const out = await run({ resource: 'item', operation: 'setPosition', itemId: id, position: 50, positionUnit: 'percent' });
		expect(plex.stateOf('1', m).positionMs).toBe(Math.round(m.durationMs / 2));
		expect(out[0].json).toMatchObject({ positionMs: Math.round(m.durationMs / 2), progress: 50 });
		expect(plex.writes.every((w) => w.path === '/:/timeline' && w.action === 'position')).toBe(true);
	});

	it('answers an unknown item with a clear error, or an error item with Continue On Fail', async () => {
		await expect(run({ resource: 'item', operation: 'get', itemId: '424242' })).rejects.toThrow('read item 424242: not found (HTTP 404)');
		const out = await run({ resource: 'item', operation: 'markPlayed', itemId: '424242' }, [{}], { continueOnFail: true });
		expect(out).toEqual([{ json: { error: 'read item 424242: not found (HTTP 404)' }, pairedItem: { item: 0 } }]);
		expect(plex.writes).toEqual([]);
	});

	it('reports a refused token without showing it', async () => {
		const failure = await run({ resource: 'library', operation: 'getAll' }, undefined, { token: 'dummy-wrong-token-123' }).catch((e: Error) => e);
		expect((failure as Error).message).toBe('list libraries: the server refused the credential (HTTP 401); check the token');
		expect(JSON.stringify(failure)).not.toContain('dummy-wrong-token-123');
	});
});

describe('Plex node: Apply Watch State', () => {
	const scrobble = (extra: IDataObject = {}): IDataObject => ({
		backend: 'jellyfin',
		type: 'movie',
		id: 'jf-1',
		title: 'Movie 7',
		guids: { imdb: 'tt1000007' },
		played: true,
		event: 'scrobble',
		tainted: false,
		updatedAt: '2026-01-01T10:00:00.000Z',
		playedAt: '2026-01-01T10:00:00.000Z',
		...extra,
	});

	it('marks the matching item played once; a second apply writes nothing', async () => {
		const first = await run({ resource: 'item', operation: 'apply', applyOptions: {} }, [scrobble()]);
		expect(first[0].json).toMatchObject({ action: 'marked-played', reason: 'played on jellyfin', target: { id: plexKeys.movie(7), played: false } });
		expect(plex.writes).toHaveLength(1);
		const second = await run({ resource: 'item', operation: 'apply', applyOptions: {} }, [scrobble()]);
		expect(second[0].json).toMatchObject({ action: 'skipped', reason: 'already played' });
		expect(plex.writes).toHaveLength(1);
	});

	it('copies a tainted stop position but never its played flag', async () => {
		const stop = scrobble({ event: 'stop', tainted: true, played: null, positionMs: 1_800_000 });
		const out = await run({ resource: 'item', operation: 'apply', applyOptions: {} }, [stop]);
		expect(out[0].json).toMatchObject({ action: 'progress', positionMs: 1_800_000 });
		expect(plex.stateOf('1', movie(7))).toMatchObject({ played: false, positionMs: 1_800_000 });
		const taintedPlayed = await run({ resource: 'item', operation: 'apply', applyOptions: {} }, [scrobble({ event: 'play', tainted: true, played: true, positionMs: 10_000 })]);
		expect(taintedPlayed[0].json).toMatchObject({ action: 'skipped', reason: 'position under 60 s is not synced' });
		expect(plex.stateOf('1', movie(7)).played).toBe(false);
	});

	it('propagates an explicit un-mark only when asked', async () => {
		plex.seedState('1', movie(8), { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 0, 1), updatedAt: Date.UTC(2025, 0, 1) });
		const unmark = scrobble({ guids: { imdb: 'tt1000008' }, event: 'unplayed', played: false });
		expect((await run({ resource: 'item', operation: 'apply', applyOptions: {} }, [unmark]))[0].json).toMatchObject({ action: 'skipped' });
		expect(plex.stateOf('1', movie(8)).played).toBe(true);
		const done = await run({ resource: 'item', operation: 'apply', applyOptions: { propagateUnplayed: true } }, [unmark]);
		expect(done[0].json).toMatchObject({ action: 'marked-unplayed' });
		expect(plex.stateOf('1', movie(8)).played).toBe(false);
	});

	it('does nothing in a dry run, and reports items it cannot find', async () => {
		const out = await run({ resource: 'item', operation: 'apply', applyOptions: { dryRun: true } }, [
			scrobble(),
			scrobble({ guids: { imdb: 'tt0000404' } }),
			scrobble({ guids: {} }),
		]);
		expect(out.map((i) => [i.json.action, i.json.dryRun])).toEqual([
			['marked-played', true],
			['not-found', true],
			['not-found', true],
		]);
		expect(out[2].json.reason).toBe('the source item has no external ids to match by');
		expect(plex.writes).toEqual([]);
	});

	it('rejects input that is not a WatchItem', async () => {
		await expect(run({ resource: 'item', operation: 'apply', applyOptions: {} }, [{ hello: 'world' }])).rejects.toThrow(
			'The input item is not a WatchItem or WatchEvent (it needs `type` and `guids`)',
		);
	});
});

describe('Plex node under faults', () => {
	it('retries 503s and a dropped connection, then succeeds with one write', async () => {
		plex.addFault({ path: /^\/:\/scrobble$/, status: 503, times: 2 });
		plex.addFault({ path: /^\/library\/metadata\//, drop: true, times: 1 });
		const out = await run({ resource: 'item', operation: 'markPlayed', itemId: plexKeys.movie(9) });
		expect(out[0].json).toMatchObject({ played: true });
		expect(plex.writes).toHaveLength(1);
	});

	it('honours Retry-After on 429', async () => {
		plex.addFault({ path: /^\/library\/sections\/all$/, status: 429, retryAfter: 1, times: 1 });
		const started = Date.now();
		await run({ resource: 'library', operation: 'getAll' });
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
	});

	it('gives up after the retries with the server status, writing nothing', async () => {
		plex.addFault({ path: /^\/:\/scrobble$/, status: 500, times: Infinity });
		const failure = await run({ resource: 'item', operation: 'markPlayed', itemId: plexKeys.movie(10), requestOptions: { retries: 1 } }).catch((e: Error) => e);
		expect((failure as Error).message).toBe('PUT /:/scrobble failed: HTTP 500: injected fault 500');
		expect(plex.writes).toEqual([]);
		expect(plex.stateOf('1', movie(10)).played).toBe(false);
	});

	it('times out a slow server', async () => {
		plex.addFault({ path: /^\/library\/sections\/all$/, delayMs: 2500, times: Infinity });
		const failure = await run({ resource: 'library', operation: 'getAll', requestOptions: { retries: 0, timeout: 1 } }).catch((e: Error) => e);
		expect((failure as Error).message).toMatch(/^GET \/library\/sections\/all failed: /);
	});

	it('stops a listing that fails midway instead of returning part of the library', async () => {
		plex.addFault({ path: /^\/library\/sections\/2\/all$/, status: 502, times: Infinity });
		const failure = await run({ resource: 'library', operation: 'getWatchState', filters: {}, requestOptions: { retries: 1 } }).catch((e: Error) => e);
		expect((failure as Error).message).toMatch(/^GET \/library\/sections\/2\/all failed: HTTP 502/);
	});
});

// Paging is checked by request counts on a library of many pages; the time a 100k library takes
// is measured by npm run bench, not here.
describe('Plex node: a library of many pages', () => {
	const big = seedLibrary({ movies: 1_200, shows: 60, seasonsPerShow: 2, episodesPerSeason: 10 });
	const server = new PlexEmulator({ library: big, users });
	beforeAll(async () => {
		await server.start();
	});
	afterAll(async () => {
		await server.stop();
	});

	it('is read completely, each item once, with the expected number of requests', async () => {
		const out = await runNode(node, {
			credentialType: new PlexApi(),
			credentials: { baseUrl: server.url, token: users[0].token, clientIdentifier: 'test', ignoreSslIssues: false },
			params: { resource: 'library', operation: 'getWatchState', filters: {}, requestOptions: { pageSize: 100, concurrency: 4 } },
		});
		expect(out).toHaveLength(2_400);
		expect(new Set(out.map((i) => i.json.id)).size).toBe(2_400);
		// identity + sections + 12 movie pages + 1 show page + 12 episode pages
		expect(server.requests).toBe(1 + 1 + 12 + 1 + 12);
	});

	it('reads legacy-agent guids from a library that uses them', async () => {
		const legacy = new PlexEmulator({ library: seedLibrary({ movies: 3, shows: 0 }), users, legacyAgents: true });
		await legacy.start();
		try {
			const out = await runNode(node, {
				credentialType: new PlexApi(),
				credentials: { baseUrl: legacy.url, token: users[0].token, clientIdentifier: 'test', ignoreSslIssues: false },
				params: { resource: 'library', operation: 'getWatchState', filters: {}, requestOptions: {} },
			});
			expect(out.map((i) => i.json.guids)).toEqual([{ imdb: 'tt1000001' }, { imdb: 'tt1000002' }, { imdb: 'tt1000003' }]);
		} finally {
			await legacy.stop();
		}
	});
});
