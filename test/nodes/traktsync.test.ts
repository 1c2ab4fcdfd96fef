/**
 * Trakt as a sync target and source where it numbers episodes its own way (an anime the servers
 * list in absolute order, a show in DVD order), where a write's answer is lost after Trakt applied
 * it, where a scrobble fails, and where a new code is pasted while the old token still works.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { TraktApi } from '../../credentials/TraktApi.credentials';
import { Trakt } from '../../nodes/Trakt/Trakt.node';
import { WatchState } from '../../nodes/WatchState/WatchState.node';
import { seedLibrary, type SeedEpisode } from '../../dev/emulators/library';
import { PlexEmulator } from '../../dev/emulators/plex';
import { airedOrder, TRAKT_OOB_REDIRECT, TraktEmulator } from '../../dev/emulators/trakt';
import { runNode, runNodeOutputs } from '../support/execute';

// Show 1: an anime of 8 episodes the servers list as season 1 (absolute order); Trakt has two
// seasons of 4. Show 2: in DVD order on the servers, episodes 1 and 2 swapped against Trakt.
const library = seedLibrary({ movies: 12, shows: 2, seasonsPerShow: 1, episodesPerSeason: 8 });
const anime = library.episodes.filter((e) => e.show.n === 1);
const dvd = library.episodes.filter((e) => e.show.n === 2);
const aired = airedOrder(library, 1, 4);
const numbering = (e: SeedEpisode) => {
	if (e.show.n === 1) return aired(e);
	if (e.show.n === 2 && e.episode <= 2) return { season: 1, number: 3 - e.episode };
	return undefined;
};
const CLIENT = { id: 'dummy-traktsync-client', secret: 'dummy-traktsync-secret' };
const PLEX_TOKEN = 'dummy-traktsync-plex';
const trakt = new TraktEmulator({ library, clientId: CLIENT.id, clientSecret: CLIENT.secret, numbering });
const plex = new PlexEmulator({ library, users: [{ id: '1', name: 'alice', token: PLEX_TOKEN, admin: true }] });
let credentials: IDataObject;
let processed: Set<string>;
let staticData: IDataObject;

function connected(tokens: { access_token: string; refresh_token: string }, code = 'first-code'): IDataObject {
	return { clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUri: TRAKT_OOB_REDIRECT, authUrl: trakt.auth.url, apiUrl: trakt.url, authorizationCode: code, accessToken: tokens.access_token, refreshToken: tokens.refresh_token, tokenFromCode: code };
}

beforeAll(async () => await Promise.all([trakt.start(), plex.start()]));
afterAll(async () => await Promise.all([trakt.stop(), plex.stop()]));
beforeEach(() => {
	trakt.history.length = 0;
	trakt.playback.length = 0;
	trakt.scrobbles.length = 0;
	trakt.clearFaults();
	trakt.tokenLog.length = 0;
	plex.state.clear();
	plex.writes.length = 0;
	credentials = connected(trakt.issueTokens());
	processed = new Set();
	staticData = {};
});

async function sync(snapshot: IDataObject[] = []): Promise<INodeExecutionData[][]> {
	return await runNodeOutputs(new WatchState(), {
		credentialType: new PlexApi(),
		credentials: { baseUrl: plex.url, token: PLEX_TOKEN, clientIdentifier: 'traktsync', plexTvUrl: 'http://127.0.0.1:9', ignoreSslIssues: false },
		moreCredentials: [[new TraktApi(), credentials]],
		params: { operation: 'syncServers', servers: ['plex', 'trakt'], whose: 'one', sources: '', targets: '', propagateUnplayed: false, dryRun: false, options: { traktHistory: true, traktPerson: '' }, requestOptions: {} },
		input: snapshot.length > 0 ? snapshot : [{}],
		processed,
		staticData,
	});
}

const played = (e: SeedEpisode) => plex.stateOf('1', e).played;
const traktPlaysOf = (e: SeedEpisode) => trakt.history.filter((h) => h.item === e).length;
const seedPlex = (e: SeedEpisode, day: number) => plex.seedState('1', e, { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 0, day), updatedAt: Date.UTC(2025, 0, day) });
const seedTrakt = (e: SeedEpisode, day: number) => trakt.history.push({ id: 900 + day, watchedAt: new Date(Date.UTC(2025, 1, day)).toISOString(), action: 'watch', item: e });

describe('Trakt episodes by Trakt\'s own identity', () => {
	it('an anime in absolute order converges: the right episodes on both sides, and later runs add no play', async () => {
		seedPlex(anime[5], 1); // Plex S1E6 = Trakt S2E2
		seedTrakt(anime[2], 2); // Trakt S1E3 = Plex S1E3
		seedTrakt(anime[6], 3); // Trakt S2E3 = Plex S1E7
		const [, first] = await sync();
		expect(anime.map((e) => [played(e), traktPlaysOf(e)])).toEqual([
			[false, 0],
			[false, 0],
			[true, 1],
			[false, 0],
			[false, 0],
			[true, 1],
			[true, 1],
			[false, 0],
		]);
		const [, second] = await sync(first.map((r) => r.json));
		await sync(second.map((r) => r.json));
		expect(trakt.history).toHaveLength(3);
		expect(plex.writes).toHaveLength(2);
	});

	it('in DVD order a play on Trakt marks the episode with its ids, not the one Plex numbers the same', async () => {
		// Trakt's S1E1 is the episode Plex numbers S1E2 (same TVDB id).
		seedTrakt(dvd[1], 4);
		await sync();
		expect([played(dvd[0]), played(dvd[1])]).toEqual([false, true]);
		await sync();
		expect(trakt.history).toHaveLength(1);
	});
});

describe('Trakt history writes that are not idempotent', () => {
	it.each([
		['a 502 after Trakt applied the batch', { status: 502 }],
		['a connection dropped after Trakt applied the batch', { drop: true }],
	])('%s: read again, nothing sent twice, every play once', async (_label, fault) => {
		for (const [i, e] of dvd.slice(2, 6).entries()) seedPlex(e, 10 + i);
		trakt.addFault({ path: /^\/sync\/history$/, method: 'POST', afterApplying: true, times: 1, ...fault });
		const [, , [summary]] = await sync();
		expect(dvd.slice(2, 6).map(traktPlaysOf)).toEqual([1, 1, 1, 1]);
		expect((summary.json.applied as IDataObject).trakt).toEqual({ 'marked-played': 4 });
	});

	it('a 200 that is not a list is an error, never "nothing on Trakt": nothing is written', async () => {
		seedPlex(dvd[3], 1);
		trakt.addFault({ path: /^\/sync\/watched\/movies$/, status: 200, times: 1 });
		await expect(sync()).rejects.toThrow(/did not answer with a list/);
		expect(trakt.history).toHaveLength(0);
	});
});

describe('Trakt scrobbles', () => {
	const stop = (): IDataObject => {
		const m = library.movies[2];
		return { backend: 'plex', type: 'movie', id: '3', title: m.title, year: m.year, guids: m.guids, played: true, event: 'scrobble', tainted: false, updatedAt: '2026-01-01T00:00:00.000Z' };
	};
	const scrobble = () => runNode(new Trakt(), { credentialType: new TraktApi(), credentials, params: { resource: 'scrobble', operation: 'fromEvent', rules: {} }, input: [stop()], processed });

	it('a stop Trakt refused (503 through every retry) claims nothing: the next stop is the one play', async () => {
		trakt.addFault({ path: /^\/scrobble\/stop$/, status: 503, retryAfter: 0, times: 5 });
		await expect(scrobble()).rejects.toThrow(/503/);
		expect(trakt.history).toHaveLength(0);
		const [again] = await scrobble();
		expect(again.json.action).toBe('stop');
		expect(trakt.history).toHaveLength(1);
		expect((await scrobble())[0].json.action).toBe('duplicate');
		expect(trakt.history).toHaveLength(1);
	});

	it('the finish window is as long as its setting: a stop 55 minutes later is the same play, 65 minutes later a new one', async () => {
		const real = Date.now.bind(Date);
		let offset = 0;
		jest.spyOn(Date, 'now').mockImplementation(() => real() + offset);
		// Start just after a whole hour, so a window kept as hour-long buckets would still hold at 65 minutes.
		const align = Math.ceil(real() / 3_600_000) * 3_600_000 - real() + 1000;
		const at = (minutes: number) => void (offset = align + minutes * 60_000);
		try {
			at(0);
			expect((await scrobble())[0].json.action).toBe('stop');
			at(55);
			expect((await scrobble())[0].json.action).toBe('duplicate');
			at(65);
			expect((await scrobble())[0].json.action).toBe('stop');
		} finally {
			jest.restoreAllMocks();
		}
	});
});

describe('a new Trakt code pasted while the old token still works', () => {
	it('is exchanged on the next run, and the run goes on with its token', async () => {
		credentials = connected(trakt.issueTokens(), 'old-code');
		credentials.authorizationCode = trakt.issueCode();
		const out = await runNode(new Trakt(), { credentialType: new TraktApi(), credentials, params: { resource: 'sync', operation: 'lastActivities' }, input: [{}] });
		expect(out[0].json).toHaveProperty('all');
		expect(trakt.tokenLog.map((t) => [t.grantType, t.status])).toEqual([['authorization_code', 200]]);
		expect(credentials.tokenFromCode).toBe(credentials.authorizationCode);
		// The next run uses the new token as it is.
		await runNode(new Trakt(), { credentialType: new TraktApi(), credentials, params: { resource: 'sync', operation: 'lastActivities' }, input: [{}] });
		expect(trakt.tokenLog).toHaveLength(1);
	});
});
