/**
 * A sync never undoes what a person did after it, on servers that date writes as they really do:
 * PMS stamps a scrobble and a timeline report with its own clock at the call (seconds after the
 * plan, here: every Plex write is delayed 1.2 s, and the Plex clock runs 40 s ahead of n8n's).
 * Sync Servers through the node's execute(), Plex + Jellyfin (the most common home), one user.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { WatchState } from '../../nodes/WatchState/WatchState.node';
import { seedLibrary, type SeedLibrary, type SeedMovie } from '../../dev/emulators/library';
import { JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator } from '../../dev/emulators/plex';
import { runNodeOutputs } from '../support/execute';

const PLEX_TOKEN = 'dummy-own-plex';
const KEY = 'dummy-own-jellyfin-key';
const ALICE_JF = 'a1000000000000000000000000000001';
const DAY = 86_400_000;
const IN_2025 = Date.UTC(2025, 2, 1);

let library: SeedLibrary;
let plex: PlexEmulator;
let jellyfin: JellyfinEmulator;

async function start(jellyfinVersion?: string): Promise<void> {
	library = seedLibrary({ movies: 8, shows: 1, seasonsPerShow: 1, episodesPerSeason: 2 });
	plex = new PlexEmulator({ library, users: [{ id: '1', name: 'alice', token: PLEX_TOKEN, admin: true }] });
	jellyfin = new JellyfinEmulator({ library, users: [{ id: ALICE_JF, name: 'alice', token: 'dummy-own-jf-alice', admin: true }], apiKey: KEY, version: jellyfinVersion });
	await Promise.all([plex.start(), jellyfin.start()]);
	// Seconds between planning and writing, as on a real server over a real network.
	plex.addFault({ path: /^\/:\/(scrobble|timeline)$/, delayMs: 1200, times: Infinity });
	// And PMS's clock is not n8n's.
	plex.clockOffsetMs = 40_000;
}

afterEach(async () => {
	await Promise.all([plex?.stop(), jellyfin?.stop()]);
});

async function sync(snapshot: IDataObject[], extra: IDataObject = {}): Promise<INodeExecutionData[][]> {
	return await runNodeOutputs(new WatchState(), {
		credentialType: new PlexApi(),
		credentials: { baseUrl: plex.url, token: PLEX_TOKEN, clientIdentifier: 'own-writes-test', plexTvUrl: 'http://127.0.0.1:9', ignoreSslIssues: false },
		moreCredentials: [[new JellyfinApi(), { baseUrl: jellyfin.url, token: KEY, ignoreSslIssues: false }]],
		params: { operation: 'syncServers', servers: ['plex', 'jellyfin'], whose: 'one', jellyfinUserId: ALICE_JF, sources: '', targets: '', propagateUnplayed: false, dryRun: false, options: {}, requestOptions: {}, ...extra },
		input: snapshot.length > 0 ? snapshot : [{}],
	});
}

const rows = (out: INodeExecutionData[][]) => out[1].map((r) => r.json);
const movie = (i: number): SeedMovie => library.movies[i];

describe('Sync Servers recognises its own writes on a server that dates them itself', () => {
	beforeEach(async () => await start());

	it('an un-mark made after the sync copied the play to Plex stays un-marked (Propagate Un-Marks off and on)', async () => {
		const film = movie(0);
		jellyfin.seedState(ALICE_JF, film, { played: true, playCount: 1, lastPlayedAt: IN_2025, updatedAt: IN_2025 });
		const first = await sync([]);
		expect(plex.writes.map((w) => [w.itemId, w.action])).toEqual([[plex.keyOf(film), 'played']]);
		// Plex dated the copy at its own "now", long after the play it copied.
		expect(plex.stateOf('1', film).lastPlayedAt).toBeGreaterThan(Date.now());

		// alice un-marks the film in Jellyfin.
		jellyfin.seedState(ALICE_JF, film, { played: false, playCount: 0, updatedAt: Date.now() });
		const jfWrites = jellyfin.writes.length;
		const second = await sync(rows(first));
		expect(jellyfin.writes.slice(jfWrites)).toEqual([]);
		expect(jellyfin.stateOf(ALICE_JF, film).played).toBe(false);
		expect(second[2][0].json.planned).toBe(0);

		// With Propagate Un-Marks the un-mark reaches Plex, and nothing re-marks it.
		const third = await sync(rows(second), { propagateUnplayed: true });
		expect(plex.stateOf('1', film).played).toBe(false);
		await sync(rows(third), { propagateUnplayed: true });
		expect(jellyfin.stateOf(ALICE_JF, film).played).toBe(false);
		expect(plex.stateOf('1', film).played).toBe(false);
	});

	it('a resume point the person cleared after the sync copied it to Plex is not copied back', async () => {
		const film = movie(1);
		jellyfin.seedState(ALICE_JF, film, { positionMs: 30 * 60_000, lastPlayedAt: IN_2025, updatedAt: IN_2025 });
		const first = await sync([]);
		expect(plex.writes.map((w) => [w.itemId, w.action, w.positionMs])).toEqual([[plex.keyOf(film), 'position', 30 * 60_000]]);
		// PMS stamped the partial play with its own time.
		expect(plex.stateOf('1', film).lastPlayedAt).toBeGreaterThan(Date.now());

		// alice marks it unplayed in Jellyfin: position gone, last played date cleared.
		jellyfin.seedState(ALICE_JF, film, { positionMs: 0, updatedAt: Date.now() });
		const jfWrites = jellyfin.writes.length;
		const second = await sync(rows(first));
		expect(jellyfin.writes.slice(jfWrites)).toEqual([]);
		expect(jellyfin.stateOf(ALICE_JF, film).positionMs).toBe(0);
		await sync(rows(second));
		expect(jellyfin.stateOf(ALICE_JF, film).positionMs).toBe(0);
	});

	it('a play copied onto Plex where a newer rewatch is under way keeps the resume point', async () => {
		const film = movie(2);
		jellyfin.seedState(ALICE_JF, film, { played: true, playCount: 1, lastPlayedAt: IN_2025, updatedAt: IN_2025 });
		const yesterday = Date.now() - DAY;
		plex.seedState('1', film, { positionMs: 30 * 60_000, lastPlayedAt: yesterday, updatedAt: yesterday });
		const first = await sync([]);
		const state = plex.stateOf('1', film);
		expect([state.played, state.positionMs]).toEqual([true, 30 * 60_000]);
		// Nothing flips back and forth afterwards.
		const before = plex.writes.length + jellyfin.writes.length;
		const second = await sync(rows(first));
		await sync(rows(second));
		expect(plex.writes.length + jellyfin.writes.length).toBe(before);
		expect(plex.stateOf('1', film).positionMs).toBe(30 * 60_000);
	});

	it('the other way round: a play copied onto Jellyfin keeps its newer resume point there', async () => {
		const film = movie(3);
		plex.seedState('1', film, { played: true, playCount: 1, lastPlayedAt: IN_2025, updatedAt: IN_2025 });
		const yesterday = Date.now() - DAY;
		jellyfin.seedState(ALICE_JF, film, { positionMs: 45 * 60_000, lastPlayedAt: yesterday, updatedAt: yesterday, isFavorite: true, rating: 8 });
		await sync([]);
		const state = jellyfin.stateOf(ALICE_JF, film);
		expect([state.played, state.positionMs, state.lastPlayedAt, state.isFavorite, state.rating]).toEqual([true, 45 * 60_000, IN_2025, true, 8]);
	});
});

describe('a server that cannot write a position back', () => {
	beforeEach(async () => await start('10.8.13'));

	it('Jellyfin 10.8 gets no mark that would wipe its newer resume point; the run says why', async () => {
		const film = movie(4);
		plex.seedState('1', film, { played: true, playCount: 1, lastPlayedAt: IN_2025, updatedAt: IN_2025 });
		const yesterday = Date.now() - DAY;
		jellyfin.seedState(ALICE_JF, film, { positionMs: 45 * 60_000, lastPlayedAt: yesterday, updatedAt: yesterday });
		const [writes] = await sync([], { options: { outputWrites: true } });
		expect(jellyfin.writes).toEqual([]);
		expect(jellyfin.stateOf(ALICE_JF, film).positionMs).toBe(45 * 60_000);
		expect(writes.map((w) => w.json)).toEqual([expect.objectContaining({ backend: 'jellyfin', action: 'skipped', reason: expect.stringMatching(/held: marking it would lose the newer resume point.*10\.9/) })]);
	});
});
