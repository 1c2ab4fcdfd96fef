/**
 * Two copies of one film (an HD and a 4K library) on Jellyfin and Emby. Jellyfin before 10.11 and
 * Emby keep one user-data record for both (keyed by the film's provider ids), 10.11 one per item:
 * one play must end as one play either way, never PlayCount 2 from one event.
 */
import type { IDataObject } from 'n8n-workflow';
import { EmbyApi } from '../../credentials/EmbyApi.credentials';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { Emby } from '../../nodes/Emby/Emby.node';
import { Jellyfin } from '../../nodes/Jellyfin/Jellyfin.node';
import { WatchState } from '../../nodes/WatchState/WatchState.node';
import { seedLibrary } from '../../dev/emulators/library';
import { EmbyEmulator, JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator } from '../../dev/emulators/plex';
import { runNode, runNodeOutputs } from '../support/execute';

// Film 2 has a 4K copy: film 7, same ids and title, another file.
const library = seedLibrary({ movies: 6, shows: 1, seasonsPerShow: 1, episodesPerSeason: 2, copies: [2] });
const hd = library.movies[1];
const uhd = library.movies[6];
const KEY = 'dummy-copies-key';
const USER = { id: 'a1000000000000000000000000000001', name: 'alice', token: 'dummy-copies-alice', admin: true };

const played = (): IDataObject => ({ backend: 'plex', type: 'movie', id: 'p1', title: hd.title, year: hd.year, guids: { ...hd.guids }, played: true, event: 'scrobble', tainted: false, updatedAt: '2026-03-01T10:00:00.000Z', playedAt: '2026-03-01T10:00:00.000Z' });

describe.each([
	['Jellyfin 10.10 (one record for both copies)', () => new JellyfinEmulator({ library, users: [USER], apiKey: KEY, version: '10.10.7' }), true],
	['Jellyfin 10.11 (a record per copy)', () => new JellyfinEmulator({ library, users: [USER], apiKey: KEY, version: '10.11.11' }), false],
	['Emby 4.8 (one record for both copies)', () => new EmbyEmulator({ library, users: [USER], apiKey: KEY }), true],
])('%s', (_label, make, shared) => {
	const server = make();
	beforeAll(async () => await server.start());
	afterAll(async () => await server.stop());
	beforeEach(() => {
		server.state.clear();
		server.writes.length = 0;
	});

	const apply = async () =>
		await runNode(server instanceof EmbyEmulator ? new Emby() : new Jellyfin(), {
			credentialType: server instanceof EmbyEmulator ? new EmbyApi() : new JellyfinApi(),
			credentials: server instanceof EmbyEmulator ? { baseUrl: server.url, apiKey: KEY, ignoreSslIssues: false } : { baseUrl: server.url, token: KEY, ignoreSslIssues: false },
			params: { resource: 'item', operation: 'apply', userId: USER.id, applyOptions: {}, requestOptions: { retries: 0 } },
			input: [played()],
		});

	it('one played event ends as one play on each copy, the second copy re-read after the first write', async () => {
		const out = await apply();
		expect(out.map((o) => o.json.action).sort()).toEqual(shared ? ['marked-played', 'skipped'] : ['marked-played', 'marked-played']);
		expect(server.writes).toHaveLength(shared ? 1 : 2);
		for (const copy of [hd, uhd]) expect([server.stateOf(USER.id, copy).played, server.stateOf(USER.id, copy).playCount]).toEqual([true, 1]);
	});
});

describe('Sync Servers onto copies that share one record', () => {
	const jellyfin = new JellyfinEmulator({ library, users: [USER], apiKey: KEY, version: '10.10.7' });
	const plex = new PlexEmulator({ library, users: [{ id: '1', name: 'alice', token: 'dummy-copies-plex', admin: true }] });
	beforeAll(async () => await Promise.all([jellyfin.start(), plex.start()]));
	afterAll(async () => await Promise.all([jellyfin.stop(), plex.stop()]));

	it('plans a write per copy but applies them one after another: one play, not two', async () => {
		plex.seedState('1', hd, { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 1, 1), updatedAt: Date.UTC(2025, 1, 1) });
		const [, , [summary]] = await runNodeOutputs(new WatchState(), {
			credentialType: new PlexApi(),
			credentials: { baseUrl: plex.url, token: 'dummy-copies-plex', clientIdentifier: 'copies', plexTvUrl: 'http://127.0.0.1:9', ignoreSslIssues: false },
			moreCredentials: [[new JellyfinApi(), { baseUrl: jellyfin.url, token: KEY, ignoreSslIssues: false }]],
			params: { operation: 'syncServers', servers: ['plex', 'jellyfin'], whose: 'one', jellyfinUserId: USER.id, sources: 'plex', targets: 'jellyfin', propagateUnplayed: false, dryRun: false, options: {}, requestOptions: { concurrency: 8 } },
			input: [{}],
		});
		expect(summary.json.applied).toEqual({ jellyfin: { 'marked-played': 1, skipped: 1 } });
		expect(jellyfin.writes).toHaveLength(1);
		expect(jellyfin.stateOf(USER.id, uhd)).toMatchObject({ played: true, playCount: 1 });
	});
});
