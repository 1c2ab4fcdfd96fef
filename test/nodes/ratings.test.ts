/**
 * Ratings: a rate event sets the same rating on the other servers and on Trakt, through the real
 * nodes against the emulators; a rating write touches nothing else of the user data (each server's
 * whole record read before and after); removals only with the explicit option; the servers refuse
 * what the real ones refuse.
 */
import type { IDataObject } from 'n8n-workflow';
import { EmbyApi } from '../../credentials/EmbyApi.credentials';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { TraktApi } from '../../credentials/TraktApi.credentials';
import { Emby } from '../../nodes/Emby/Emby.node';
import { Jellyfin } from '../../nodes/Jellyfin/Jellyfin.node';
import { Plex } from '../../nodes/Plex/Plex.node';
import { Trakt } from '../../nodes/Trakt/Trakt.node';
import { seedLibrary, type ItemState, type SeedItem } from '../../dev/emulators/library';
import { EmbyEmulator, JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator } from '../../dev/emulators/plex';
import { TRAKT_OOB_REDIRECT, TraktEmulator } from '../../dev/emulators/trakt';
import { parsePlexWebhook } from '../../nodes/shared/backends/plex/webhook';
import { parseJellyfinWebhook } from '../../nodes/shared/backends/jellyfin/webhook';
import { runNode } from '../support/execute';

const library = seedLibrary({ movies: 12, shows: 1, seasonsPerShow: 1, episodesPerSeason: 3 });
const PLEX = { id: '1', name: 'alice', token: 'dummy-rate-plex', admin: true };
const JF = { id: 'a2000000000000000000000000000001', name: 'alice', token: 'dummy-rate-jf', admin: true };
const EMBY = { id: 'b2000000000000000000000000000001', name: 'alice', token: 'dummy-rate-emby', admin: true };
const KEY = 'dummy-rate-key';
const CLIENT = { id: 'dummy-rate-trakt-id', secret: 'dummy-rate-trakt-secret' };

const plex = new PlexEmulator({ library, users: [PLEX] });
const jellyfin = new JellyfinEmulator({ library, users: [JF], apiKey: KEY });
const jellyfin108 = new JellyfinEmulator({ library, users: [JF], apiKey: KEY, version: '10.8.13' });
const emby = new EmbyEmulator({ library, users: [EMBY], apiKey: KEY });
const trakt = new TraktEmulator({ library, clientId: CLIENT.id, clientSecret: CLIENT.secret, rateLimit: false });
const all = [plex, jellyfin, jellyfin108, emby, trakt];

beforeAll(async () => await Promise.all(all.map((s) => s.start())));
afterAll(async () => await Promise.all(all.map((s) => s.stop())));
beforeEach(() => {
	for (const s of [plex, jellyfin, jellyfin108, emby]) {
		s.state.clear();
		s.resetCounters();
	}
	trakt.ratings.clear();
	trakt.resetCounters();
});

const film = library.movies[2];
const episode = library.episodes[1];

/** A Plex media.rate as the trigger emits it. */
function plexRate(item: SeedItem, rating: number | null): IDataObject {
	const out = parsePlexWebhook(
		{
			event: 'media.rate',
			rating: rating ?? -1,
			Account: { id: 1, title: 'alice' },
			Server: { title: 'plex', uuid: 'plex-uuid' },
			Metadata: {
				type: item.kind,
				ratingKey: plex.keyOf(item),
				title: item.title,
				...(item.kind === 'episode' ? { grandparentTitle: item.show.title, parentIndex: item.season, index: item.episode } : { year: item.year }),
				Guid: Object.entries(item.guids).map(([k, v]) => ({ id: `${k}://${v}` })),
				...(rating !== null ? { userRating: rating, lastRatedAt: Math.floor(Date.now() / 1000) } : {}),
			},
		},
		{ receivedAt: new Date().toISOString(), progressEvents: false, allowWithoutUser: false },
	);
	if (out.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(out)}`);
	return out.event as unknown as IDataObject;
}

type Target = { name: string; server: PlexEmulator | JellyfinEmulator | EmbyEmulator; user: string; run: (input: IDataObject[], options: IDataObject) => Promise<IDataObject[]> };

const apply = (options: IDataObject) => ({ resource: 'item', operation: 'apply', whose: 'one', applyOptions: options, requestOptions: { retries: 1, timeout: 5 } });
const targets: Target[] = [
	{
		name: 'Jellyfin',
		server: jellyfin,
		user: JF.id,
		run: async (input, options) =>
			(await runNode(new Jellyfin(), { credentialType: new JellyfinApi(), credentials: { baseUrl: jellyfin.url, token: KEY, ignoreSslIssues: false }, params: { ...apply(options), userId: JF.id }, input })).map((o) => o.json),
	},
	{
		name: 'Emby',
		server: emby,
		user: EMBY.id,
		run: async (input, options) =>
			(await runNode(new Emby(), { credentialType: new EmbyApi(), credentials: { baseUrl: emby.url, apiKey: KEY, ignoreSslIssues: false }, params: { ...apply(options), userId: EMBY.id }, input })).map((o) => o.json),
	},
];
const runPlex = async (input: IDataObject[], options: IDataObject) =>
	(await runNode(new Plex(), { credentialType: new PlexApi(), credentials: { baseUrl: plex.url, token: PLEX.token, clientIdentifier: 'rate-test', ignoreSslIssues: false }, params: apply(options), input })).map((o) => o.json);

/** Everything the person has on an item besides the rating (what a rating write must leave as it was). */
const rest = (s: ItemState) => ({ played: s.played, playCount: s.playCount, lastPlayedAt: s.lastPlayedAt, positionMs: s.positionMs, isFavorite: s.isFavorite });
const LIVED = { played: true, playCount: 3, lastPlayedAt: Date.UTC(2025, 4, 1), positionMs: 1_234_000, isFavorite: true, updatedAt: Date.UTC(2025, 4, 1) };

describe.each(targets)('a Plex rating onto $name', ({ server, user, run }) => {
	it('sets 8 and changes nothing else of the user data (played, play count, last played, position, favourite)', async () => {
		for (const item of [film, episode]) server.seedState(user, item, LIVED);
		const before = [film, episode].map((i) => rest(server.stateOf(user, i)));
		const out = await run([plexRate(film, 8), plexRate(episode, 8)], { syncRatings: true });
		expect(out.map((o) => [o.action, o.rating])).toEqual([
			['rated', 8],
			['rated', 8],
		]);
		expect([film, episode].map((i) => server.stateOf(user, i).rating)).toEqual([8, 8]);
		expect([film, episode].map((i) => rest(server.stateOf(user, i)))).toEqual(before);
		// Read back through the node: the same rating, so a second event writes nothing.
		const again = await run([plexRate(film, 8)], { syncRatings: true });
		expect(again.map((o) => [o.action, o.reason])).toEqual([['skipped', 'rating already in step']]);
		expect(server.writes.map((w) => w.action)).toEqual(['rated', 'rated']);
	});

	it('writes nothing while Sync Ratings is off (the default), and removes only with Remove Ratings', async () => {
		server.seedState(user, film, { ...LIVED, rating: 6 });
		expect((await run([plexRate(film, 9)], {})).map((o) => o.reason)).toEqual(['ratings are not synced (turn on Sync Ratings)']);
		expect((await run([plexRate(film, null)], { syncRatings: true })).map((o) => o.reason)).toEqual(['removed ratings are not propagated (turn on Remove Ratings)']);
		expect(server.writes).toEqual([]);
		const removed = await run([plexRate(film, null)], { syncRatings: true, removeRatings: true });
		expect(removed.map((o) => o.action)).toEqual(['rating-removed']);
		expect(server.stateOf(user, film).rating).toBeUndefined();
		expect(rest(server.stateOf(user, film))).toEqual(rest({ ...LIVED, rating: 6 }));
	});

	it('reports a dry run without writing', async () => {
		const out = await run([plexRate(film, 7)], { syncRatings: true, dryRun: true });
		expect(out.map((o) => [o.action, o.dryRun])).toEqual([['rated', true]]);
		expect(server.writes).toEqual([]);
	});
});

describe('ratings onto Plex and the older servers', () => {
	it('a Jellyfin rating (UpdateUserRating) reaches Plex, dated by PMS, with the play count and position kept', async () => {
		plex.seedState(PLEX.id, film, LIVED);
		const parsed = parseJellyfinWebhook(
			{ NotificationType: 'UserDataSaved', SaveReason: 'UpdateUserRating', ItemType: 'Movie', ItemId: jellyfin.idOf(film), Name: film.title, Year: film.year, UserId: JF.id, Rating: 6.6, Provider_imdb: film.guids.imdb, Provider_tmdb: film.guids.tmdb },
			{ receivedAt: new Date().toISOString(), progressEvents: false, allowWithoutUser: false },
		);
		expect(parsed).toMatchObject({ kind: 'event', event: { event: 'rate', rating: 7 } });
		const out = await runPlex([(parsed as unknown as { event: IDataObject }).event], { syncRatings: true });
		expect(out.map((o) => o.action)).toEqual(['rated']);
		const state = plex.stateOf(PLEX.id, film);
		expect([state.rating, rest(state)]).toEqual([7, rest(LIVED)]);
		expect(state.ratedAt).toBeGreaterThan(Date.now() - 60_000);
		expect(plex.writes.map((w) => [w.action, w.path])).toEqual([['rated', '/:/rate']]);
	});

	it('reads a removal from each webhook: Plex -1, Jellyfin 0 (the plugin writes `Rating ?? 0`); Emby item.rate carries no value', async () => {
		expect(plexRate(film, null)).toMatchObject({ event: 'rate', ratingRemoved: true });
		expect(plexRate(film, null).rating).toBeUndefined();
		const jf = (Rating: unknown) => parseJellyfinWebhook({ NotificationType: 'UserDataSaved', SaveReason: 'UpdateUserRating', ItemType: 'Movie', ItemId: jellyfin.idOf(film), UserId: JF.id, Rating }, { receivedAt: new Date().toISOString(), progressEvents: false, allowWithoutUser: false });
		expect(jf(0)).toMatchObject({ kind: 'event', event: { event: 'rate', ratingRemoved: true } });
		expect(jf('10')).toMatchObject({ kind: 'event', event: { rating: 10 } });
		const noValue = (jf(undefined) as unknown as { event: IDataObject }).event;
		expect([noValue.rating, noValue.ratingRemoved]).toEqual([undefined, undefined]);
		const out = await runPlex([{ ...noValue, backend: 'emby', id: '9', guids: film.guids, title: film.title }], { syncRatings: true });
		expect(out.map((o) => o.reason)).toEqual(["this emby rate event carries no rating value (Emby's webhook sends no user data): nothing to copy"]);
	});

	it('Jellyfin 10.8 (likes only) is skipped with the reason, never given a like for a rating', async () => {
		const out = await runNode(new Jellyfin(), {
			credentialType: new JellyfinApi(),
			credentials: { baseUrl: jellyfin108.url, token: KEY, ignoreSslIssues: false },
			params: { ...apply({ syncRatings: true }), userId: JF.id },
			input: [plexRate(film, 8)],
		});
		expect(out.map((o) => o.json.action)).toEqual(['skipped']);
		expect(String(out[0].json.reason)).toMatch(/10\.8.*likes/);
		expect(jellyfin108.writes).toEqual([]);
	});

	it('a rating written on a target after the event (Plex dates ratings) stays', async () => {
		plex.seedState(PLEX.id, film, { rating: 4, ratedAt: Date.now() });
		const late = { ...plexRate(film, 9), backend: 'jellyfin', id: 'x', ratedAt: new Date(Date.now() - 60_000).toISOString(), updatedAt: new Date(Date.now() - 60_000).toISOString() };
		const out = await runPlex([late], { syncRatings: true });
		expect(out.map((o) => o.reason)).toEqual(['rated here after the event; the newer rating stays']);
		expect(plex.stateOf(PLEX.id, film).rating).toBe(4);
	});
});

describe('the emulators refuse what the servers refuse', () => {
	const plexRateCall = (query: string) => fetch(`${plex.url}/:/rate?${query}`, { method: 'PUT', headers: { 'X-Plex-Token': PLEX.token } });
	it('Plex /:/rate: rating outside 0–10 is a 400, an unknown identifier or key a 404, a future ratedAt a 400; -1 removes', async () => {
		const key = plex.keyOf(film);
		expect((await plexRateCall(`key=${key}&identifier=com.plexapp.plugins.library&rating=11`)).status).toBe(400);
		expect((await plexRateCall(`key=${key}&identifier=com.plexapp.plugins.library`)).status).toBe(400);
		expect((await plexRateCall(`key=${key}&identifier=com.example&rating=5`)).status).toBe(404);
		expect((await plexRateCall(`key=999999&identifier=com.plexapp.plugins.library&rating=5`)).status).toBe(404);
		expect((await plexRateCall(`key=${key}&identifier=com.plexapp.plugins.library&rating=5&ratedAt=${Math.floor(Date.now() / 1000) + 3600}`)).status).toBe(400);
		expect(plex.stateOf(PLEX.id, film).rating).toBeUndefined();
		expect((await plexRateCall(`key=${key}&identifier=com.plexapp.plugins.library&rating=5.5`)).status).toBe(200);
		expect(plex.stateOf(PLEX.id, film).rating).toBe(5.5);
		expect((await plexRateCall(`key=${key}&identifier=com.plexapp.plugins.library&rating=-1`)).status).toBe(200);
		expect(plex.stateOf(PLEX.id, film).rating).toBeUndefined();
	});

	it('Jellyfin / Emby: a Rating outside 0–10 in UserData is a 400 and changes nothing; likes store 10 or 1', async () => {
		const post = (url: string, body: object) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `MediaBrowser Token="${KEY}"`, 'X-Emby-Token': KEY }, body: JSON.stringify(body) });
		jellyfin.seedState(JF.id, film, LIVED);
		expect((await post(`${jellyfin.url}/UserItems/${jellyfin.idOf(film)}/UserData?userId=${JF.id}`, { Rating: 11 })).status).toBe(400);
		expect((await post(`${emby.url}/Users/${EMBY.id}/Items/${emby.idOf(film)}/UserData`, { Rating: -2, Played: false, IsFavorite: false })).status).toBe(400);
		expect([rest(jellyfin.stateOf(JF.id, film)), jellyfin.stateOf(JF.id, film).rating]).toEqual([rest(LIVED), undefined]);
		expect((await post(`${jellyfin.url}/UserItems/${jellyfin.idOf(film)}/Rating?userId=${JF.id}&likes=false`, {})).status).toBe(200);
		expect(jellyfin.stateOf(JF.id, film).rating).toBe(1);
	});

	it('Trakt: a rating that is not a whole number 1–10 refuses the request whole (422)', async () => {
		const tokens = trakt.issueTokens();
		const call = (body: object) =>
			fetch(`${trakt.url}/sync/ratings`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'trakt-api-key': CLIENT.id, 'trakt-api-version': '2', Authorization: `Bearer ${tokens.access_token}` }, body: JSON.stringify(body) });
		for (const rating of [0, 11, 7.5]) expect((await call({ movies: [{ rating: 8, ids: { imdb: film.guids.imdb } }, { rating, ids: { tmdb: 1 } }] })).status).toBe(422);
		expect(trakt.ratings.size).toBe(0);
		expect((await call({ movies: [{ rating: 8, ids: { imdb: film.guids.imdb } }] })).status).toBe(201);
		expect(trakt.ratings.size).toBe(1);
	});
});

describe('Trakt node: Rating', () => {
	let credentials: IDataObject;
	beforeEach(() => {
		const tokens = trakt.issueTokens();
		credentials = { clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUri: TRAKT_OOB_REDIRECT, authUrl: trakt.auth.url, apiUrl: trakt.url, authorizationCode: '', accessToken: tokens.access_token, refreshToken: tokens.refresh_token, tokenFromCode: '' };
	});
	const run = async (params: IDataObject, input?: IDataObject[]) => (await runNode(new Trakt(), { credentialType: new TraktApi(), credentials, params, input })).map((o) => o.json);

	it('rate events become one sync/ratings request; Get Many reads them back; removal needs the option', async () => {
		const [out] = await run({ resource: 'rating', operation: 'set', ratingOptions: {} }, [plexRate(film, 8), plexRate(episode, 6), plexRate(library.movies[3], null)]);
		expect(out).toMatchObject({ rated: { movies: 1, episodes: 1 }, sent: 2, skipped: [expect.objectContaining({ reason: 'removed ratings are not propagated (turn on Remove Ratings)' })] });
		expect(trakt.requests).toBe(1);
		const rows = await run({ resource: 'rating', operation: 'get', ratingType: '' });
		expect(rows.map((r) => [r.type, r.rating])).toEqual([
			['movie', 8],
			['episode', 6],
		]);
		const [removed] = await run({ resource: 'rating', operation: 'set', ratingOptions: { removeRatings: true } }, [plexRate(film, null)]);
		expect(removed).toMatchObject({ removed: { movies: 1, episodes: 0 } });
		expect([...trakt.ratings.values()].map((r) => r.rating)).toEqual([6]);
	});
});

describe('Set Rating and Remove Rating on the media nodes', () => {
	const runOp = (params: IDataObject) =>
		runNode(new Emby(), { credentialType: new EmbyApi(), credentials: { baseUrl: emby.url, apiKey: KEY, ignoreSslIssues: false }, params: { requestOptions: { retries: 1, timeout: 5 }, userId: EMBY.id, resource: 'item', itemId: emby.idOf(film), ...params } });

	it('sets a whole number 1–10 and answers the item with it; removes it; refuses anything else before any write', async () => {
		emby.seedState(EMBY.id, film, LIVED);
		const [set] = await runOp({ operation: 'setRating', rating: 9 });
		expect(set.json).toMatchObject({ id: emby.idOf(film), rating: 9, played: true, positionMs: 1_234_000 });
		await expect(runOp({ operation: 'setRating', rating: 11 })).rejects.toThrow(/whole number from 1 to 10/);
		await expect(runOp({ operation: 'setRating', rating: 7.5 })).rejects.toThrow(/whole number from 1 to 10/);
		const [removed] = await runOp({ operation: 'removeRating' });
		expect(removed.json.rating).toBeUndefined();
		expect(rest(emby.stateOf(EMBY.id, film))).toEqual(rest(LIVED));
		expect(emby.writes.map((w) => w.action)).toEqual(['rated', 'unrated']);
	});
});
