/**
 * What real servers do that a sync has to respect, each on the emulators that now do it: Plex
 * shows whose seasons are hidden, a listing that shifts while it is paged, a timeline report
 * without the library identifier, items someone is playing right now, a played threshold below
 * 90 %.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { Plex } from '../../nodes/Plex/Plex.node';
import { WatchState } from '../../nodes/WatchState/WatchState.node';
import { seedLibrary } from '../../dev/emulators/library';
import { JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator } from '../../dev/emulators/plex';
import { runNode, runNodeOutputs } from '../support/execute';

const library = seedLibrary({ movies: 30, shows: 3, seasonsPerShow: 2, episodesPerSeason: 4 });
const TOKEN = 'dummy-rules-plex';
const KEY = 'dummy-rules-key';
const JF = 'a1000000000000000000000000000001';
// Show 2's seasons are hidden: its episodes sit right under the show.
const plex = new PlexEmulator({ library, users: [{ id: '1', name: 'alice', token: TOKEN, admin: true }], flattenSeasons: [2], playedThreshold: 80 });
const jellyfin = new JellyfinEmulator({ library, users: [{ id: JF, name: 'alice', token: 'dummy-rules-jf', admin: true }], apiKey: KEY });
const credentials = () => ({ baseUrl: plex.url, token: TOKEN, clientIdentifier: 'rules-test', plexTvUrl: 'http://127.0.0.1:9', ignoreSslIssues: false });

beforeAll(async () => await Promise.all([plex.start(), jellyfin.start()]));
afterAll(async () => await Promise.all([plex.stop(), jellyfin.stop()]));
beforeEach(() => {
	for (const s of [plex, jellyfin]) {
		s.state.clear();
		s.writes.length = 0;
		s.sessions.length = 0;
		s.clearFaults();
	}
	plex.shiftedPages = 0;
});

const runPlex = (params: IDataObject, input?: IDataObject[]) =>
	runNode(new Plex(), { credentialType: new PlexApi(), credentials: credentials(), params: { requestOptions: { retries: 0 }, ...params }, input });

async function sync(extra: IDataObject = {}): Promise<INodeExecutionData[][]> {
	return await runNodeOutputs(new WatchState(), {
		credentialType: new PlexApi(),
		credentials: credentials(),
		moreCredentials: [[new JellyfinApi(), { baseUrl: jellyfin.url, token: KEY, ignoreSslIssues: false }]],
		params: { operation: 'syncServers', servers: ['plex', 'jellyfin'], whose: 'one', jellyfinUserId: JF, sources: '', targets: '', propagateUnplayed: false, dryRun: false, options: { outputWrites: true }, requestOptions: {}, ...extra },
		input: [{}],
	});
}

describe('Plex', () => {
	it('finds an episode of a show whose seasons are hidden (no season level under the show)', async () => {
		const episode = library.episodes.find((e) => e.show.n === 2 && e.season === 2 && e.episode === 3)!;
		// By show ids + numbers only, as Tautulli sends episodes.
		const event = { backend: 'jellyfin', type: 'episode', id: 'x', title: episode.title, guids: {}, show: { title: episode.show.title, guids: { ...episode.show.guids } }, season: 2, episode: 3, played: true, event: 'scrobble', tainted: false, updatedAt: '2026-03-01T10:00:00.000Z' };
		// Without the library read to fall back on: the search alone must find it.
		const [out] = await runPlex({ resource: 'item', operation: 'apply', applyOptions: { libraryFallback: false } }, [event]);
		expect(out.json.action).toBe('marked-played');
		expect(plex.writes.map((w) => w.itemId)).toEqual([plex.keyOf(episode)]);
	});

	it('a listing whose pages shift while it is read (a scan adds an item) is read again, never taken with a row twice and one missing', async () => {
		plex.shiftedPages = 3;
		const out = await runPlex({ resource: 'library', operation: 'getWatchState', filters: {}, requestOptions: { pageSize: 7, concurrency: 1 } });
		const ids = out.map((o) => String(o.json.id));
		expect(new Set(ids).size).toBe(ids.length);
		expect(ids.length).toBe(library.movies.length + library.episodes.length);
	});

	it('ignores a timeline report without the library identifier, as PMS does; the node sends it', async () => {
		const film = library.movies[0];
		const without = new URL(`${plex.url}/:/timeline`);
		for (const [k, v] of Object.entries({ ratingKey: plex.keyOf(film), key: `/library/metadata/${plex.keyOf(film)}`, state: 'stopped', time: '600000', duration: String(film.durationMs) })) without.searchParams.set(k, v);
		expect((await fetch(without, { method: 'POST', headers: { 'X-Plex-Token': TOKEN, 'X-Plex-Client-Identifier': 'probe' } })).status).toBe(200);
		expect(plex.stateOf('1', film).positionMs).toBe(0);
		await runPlex({ resource: 'item', operation: 'setPosition', itemId: plex.keyOf(film), position: 600, positionUnit: 's' });
		expect(plex.stateOf('1', film).positionMs).toBe(600_000);
	});

	it('a position at or past the server\'s own played threshold (80 % here) is not written: it would mark the film played', async () => {
		const film = library.movies[1];
		jellyfin.seedState(JF, film, { positionMs: Math.round(film.durationMs * 0.85), lastPlayedAt: Date.UTC(2026, 0, 1), updatedAt: Date.UTC(2026, 0, 1) });
		const [writes] = await sync({ sources: 'jellyfin', targets: 'plex' });
		expect(writes.map((w) => [w.json.action, w.json.reason])).toEqual([['skipped', expect.stringMatching(/past this server's played threshold \(80 %\)/)]]);
		expect(plex.stateOf('1', film)).toMatchObject({ played: false, positionMs: 0 });
	});
});

describe('an item being played right now', () => {
	it('is left alone on Plex and on Jellyfin; the next run writes it', async () => {
		const [a, b] = library.movies.slice(2, 4);
		plex.seedState('1', a, { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 1, 1), updatedAt: Date.UTC(2025, 1, 1) });
		jellyfin.seedState(JF, b, { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 1, 2), updatedAt: Date.UTC(2025, 1, 2) });
		// alice is watching a on Jellyfin and b on Plex right now.
		jellyfin.sessions.push({ userId: JF, item: a, positionMs: 120_000 });
		plex.sessions.push({ userId: '1', item: b, positionMs: 60_000, state: 'playing' });
		const [writes, rows] = await sync();
		expect(writes.map((w) => [w.json.backend, w.json.action, w.json.reason])).toEqual(
			expect.arrayContaining([
				['plex', 'skipped', expect.stringMatching(/being played right now/)],
				['jellyfin', 'skipped', expect.stringMatching(/being played right now/)],
			]),
		);
		expect([plex.writes, jellyfin.writes]).toEqual([[], []]);
		// The snapshot holds what the servers hold: no play recorded where none was written.
		const playedOn = (backend: string) => String(rows.find((r) => r.json.backend === backend)!.json.played).split(',');
		expect(playedOn('jellyfin')).not.toContain(jellyfin.idOf(a));
		plex.sessions.length = 0;
		jellyfin.sessions.length = 0;
		await sync({ options: {} });
		expect([plex.stateOf('1', b).played, jellyfin.stateOf(JF, a).played]).toEqual([true, true]);
	});
});
