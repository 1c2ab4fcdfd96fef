import type { IDataObject } from 'n8n-workflow';
import type { WatchItem } from '../../nodes/shared/model';
import { planSync, type PlanItem } from '../../nodes/shared/sync/plan';
import { TraktApi } from '../../credentials/TraktApi.credentials';
import { Trakt } from '../../nodes/Trakt/Trakt.node';
import { seedLibrary } from '../../dev/emulators/library';
import { TRAKT_OOB_REDIRECT, TraktEmulator } from '../../dev/emulators/trakt';
import { runNode } from '../support/execute';
import { sleep } from 'n8n-workflow';

const library = seedLibrary({ movies: 300, shows: 3, seasonsPerShow: 1, episodesPerSeason: 4 });
const CLIENT = { id: 'dummy-trakt-client-id', secret: 'dummy-trakt-client-secret' };
const trakt = new TraktEmulator({ library, clientId: CLIENT.id, clientSecret: CLIENT.secret });
const node = new Trakt();
let credentials: IDataObject;
let processed: Set<string>;

const run = (params: IDataObject, input?: IDataObject[], stored: IDataObject | (() => IDataObject) = credentials) =>
	runNode(node, { credentialType: new TraktApi(), credentials: stored, params, input, processed });

const movieEvent = (n: number, extra: IDataObject = {}): IDataObject => {
	const m = library.movies[n - 1];
	return { backend: 'plex', type: 'movie', id: String(n), title: m.title, year: m.year, guids: m.guids, played: null, durationMs: 6_000_000, updatedAt: '2026-01-01T00:00:00.000Z', event: 'stop', tainted: true, ...extra };
};

beforeAll(async () => {
	await trakt.start();
});
afterAll(async () => {
	await trakt.stop();
});
beforeEach(() => {
	trakt.history.length = 0;
	trakt.playback.length = 0;
	trakt.scrobbles.length = 0;
	trakt.clearFaults();
	processed = new Set();
	credentials = connected(trakt.issueTokens());
});

/** The credential as stored once connected (or, with no tokens, with just a code pasted). */
function connected(tokens?: { access_token: string; refresh_token: string }, code = ''): IDataObject {
	return {
		clientId: CLIENT.id,
		clientSecret: CLIENT.secret,
		redirectUri: TRAKT_OOB_REDIRECT,
		authUrl: trakt.auth.url,
		apiUrl: trakt.url,
		authorizationCode: code,
		accessToken: tokens?.access_token ?? '',
		refreshToken: tokens?.refresh_token ?? '',
		tokenFromCode: code && tokens ? code : '',
	};
}
beforeEach(() => {
	trakt.tokenLog.length = 0;
});

describe('Trakt node: scrobbling', () => {
	const scrobble = (input: IDataObject[], rules: IDataObject = {}) => run({ resource: 'scrobble', operation: 'fromEvent', rules }, input);

	it('starts, pauses and finishes a movie; a finish lands in the history once', async () => {
		const out = await scrobble([
			movieEvent(1, { event: 'play', positionMs: 60_000 }),
			movieEvent(1, { event: 'pause', positionMs: 1_800_000 }),
			movieEvent(1, { event: 'scrobble', tainted: false, played: true }),
			movieEvent(1, { event: 'scrobble', tainted: false, played: true }),
		]);
		expect(out.map((i) => [i.json.action, i.json.progress])).toEqual([
			['start', 1],
			['pause', 30],
			['stop', 90],
			['duplicate', undefined],
		]);
		expect(trakt.scrobbles.map((s) => s.action)).toEqual(['start', 'pause', 'scrobble']);
		expect(trakt.history).toHaveLength(1);
		expect(trakt.playback).toHaveLength(0);
	});

	it('holds a stop between 80 % and the watched line as a pause, and skips noise', async () => {
		const out = await scrobble([
			movieEvent(2, { positionMs: 5_100_000 }),
			movieEvent(2, { event: 'play', positionMs: 5_990_000 }),
			movieEvent(2, { positionMs: 10_000 }),
			movieEvent(2, { event: 'played', tainted: false, played: true }),
		]);
		expect(out.map((i) => i.json.action)).toEqual(['pause', 'skipped', 'skipped', 'skipped']);
		expect(trakt.history).toHaveLength(0);
		expect(trakt.playback.map((p) => p.progress)).toEqual([85]);
	});

	it('treats Trakt\'s 409 (already scrobbled) as done when the local window is off', async () => {
		const finish = movieEvent(3, { event: 'scrobble', tainted: false, played: true });
		const out = await scrobble([finish, finish], { finishWindowMinutes: 0 });
		expect(out.map((i) => i.json.action)).toEqual(['stop', 'stop']);
		expect(out[1].json.reason).toBe('Trakt already has this play (409)');
		expect(trakt.history).toHaveLength(1);
	});

	it('scrobbles a Tautulli episode that only carries show ids, by show + season + number', async () => {
		const e = library.episodes[2];
		const out = await scrobble([
			{ backend: 'tautulli', type: 'episode', id: '9', title: e.title, guids: {}, show: { title: e.show.title, guids: e.show.guids }, season: e.season, episode: e.episode, played: true, durationMs: 3_000_000, updatedAt: '2026-01-01T00:00:00.000Z', event: 'scrobble', tainted: false },
		]);
		expect(out[0].json.action).toBe('stop');
		expect(trakt.history.map((h) => h.item.n)).toEqual([e.n]);
	});

	it('scrobbles an episode known only by IMDb / TMDb ids (which Trakt does not take) by show + season + number', async () => {
		const e = library.episodes.find((x) => x.guids.imdb)!;
		const out = await scrobble([
			{ backend: 'plex', type: 'episode', id: '9', title: e.title, guids: { imdb: e.guids.imdb }, show: { title: e.show.title, guids: e.show.guids }, season: e.season, episode: e.episode, played: true, durationMs: 3_000_000, updatedAt: '2026-01-01T00:00:00.000Z', event: 'scrobble', tainted: false },
		]);
		expect(out[0].json.action).toBe('stop');
		expect(trakt.history.map((h) => h.item.n)).toEqual([e.n]);
	});

	it('debounces pauses of the same item', async () => {
		const out = await scrobble([movieEvent(4, { event: 'pause', positionMs: 600_000 }), movieEvent(4, { event: 'pause', positionMs: 610_000 })]);
		expect(out.map((i) => i.json.action)).toEqual(['pause', 'duplicate']);
	});
});

describe('Trakt node: history', () => {
	const played = (n: number) => movieEvent(n, { played: true, playedAt: `2025-0${1 + (n % 9)}-15T20:00:00.000Z`, event: undefined, tainted: undefined });

	it('adds plays in batches spaced for the write limit, with dates, and never twice', async () => {
		const items = Array.from({ length: 250 }, (_, i) => played(i + 1));
		const started = Date.now();
		const out = await run({ resource: 'history', operation: 'add', historyOptions: { batchSize: 100 } }, [...items, movieEvent(299, { played: false })]);
		expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
		expect(out).toHaveLength(1);
		// movies 29, 58, ... 232 have no ids at all: Trakt cannot match them, the node lists them
		expect(out[0].json).toMatchObject({ operation: 'add', sent: 242, skipped: 1, added: { movies: 242, episodes: 0 } });
		expect((out[0].json.withoutIds as IDataObject[]).map((x) => x.id)).toEqual(['29', '58', '87', '116', '145', '174', '203', '232']);
		expect(trakt.history).toHaveLength(242);
		expect(trakt.history.find((h) => h.item.n === 5)!.watchedAt).toBe('2025-06-15T20:00:00.000Z');
		trakt.resetCounters();
		const again = await run({ resource: 'history', operation: 'add', historyOptions: {} }, items);
		expect(again[0].json).toMatchObject({ sent: 0, skipped: 242 });
		expect(trakt.history).toHaveLength(242);
		// What Trakt has as watched, in one request whatever the history's length; no write.
		expect([...trakt.requestsByRoute.entries()]).toEqual([['GET ^\\/sync\\/watched\\/(movies|shows)$', 1]]);
	});

	it('skips episodes Trakt has played, by their own ids or (without any) show ids + season + number, from one page of the episode history', async () => {
		const [e1, e2] = library.episodes;
		const episode = (e: (typeof library.episodes)[number]) => ({ backend: 'plex', type: 'episode', id: String(e.n), title: e.title, guids: { ...e.guids }, show: { title: e.show.title, guids: { ...e.show.guids } }, season: e.season, episode: e.episode, played: true, playedAt: '2025-03-01T00:00:00.000Z', updatedAt: '2025-03-01T00:00:00.000Z' });
		await run({ resource: 'history', operation: 'add', historyOptions: {} }, [episode(e1)]);
		trakt.resetCounters();
		const out = await run({ resource: 'history', operation: 'add', historyOptions: {} }, [episode(e1), { ...episode(e2), guids: {} }]);
		expect(out[0].json).toMatchObject({ sent: 1, skipped: 1, added: { episodes: 1 } });
		expect(trakt.history.map((h) => h.item.n).sort()).toEqual([e1.n, e2.n]);
		expect(trakt.requestsByRoute.get('GET ^\\/sync\\/history(?:\\/(movies|episodes|shows))?$')).toBe(1);
	});

	it('removes plays and reads history back page by page', async () => {
		await run({ resource: 'history', operation: 'add', historyOptions: {} }, [played(10), played(11), played(12)]);
		const got = await run({ resource: 'history', operation: 'get', historyType: 'movies', returnAll: true });
		expect(got.map((i) => (i.json.movie as IDataObject).title).sort()).toEqual(['Movie 10', 'Movie 11', 'Movie 12']);
		const removed = await run({ resource: 'history', operation: 'remove', historyOptions: {} }, [played(11)]);
		expect(removed[0].json).toMatchObject({ deleted: { movies: 1 } });
		expect(trakt.history.map((h) => h.item.n).sort()).toEqual([10, 12]);
	});
});

describe('Trakt node: reads, limits and tokens', () => {
	it('searches by id, reads playback and last activities', async () => {
		const found = await run({ resource: 'search', operation: 'byId', idType: 'imdb', id: 'tt1000007', mediaType: 'movie' });
		expect(found[0].json).toMatchObject({ type: 'movie', movie: { title: 'Movie 7', ids: { trakt: 10007, imdb: 'tt1000007' } } });
		await run({ resource: 'scrobble', operation: 'fromEvent', rules: {} }, [movieEvent(8, { event: 'pause', positionMs: 600_000 })]);
		const playback = await run({ resource: 'playback', operation: 'get', playbackType: '' });
		expect(playback[0].json).toMatchObject({ progress: 10, type: 'movie' });
		const activities = await run({ resource: 'sync', operation: 'lastActivities' });
		expect(activities[0].json.movies).toMatchObject({ paused_at: expect.stringMatching(/^20/) });
	});

	it('waits out a 429 with Retry-After', async () => {
		trakt.addFault({ path: /^\/scrobble\/start$/, status: 429, retryAfter: 1, times: 1 });
		const started = Date.now();
		const out = await run({ resource: 'scrobble', operation: 'fromEvent', rules: {} }, [movieEvent(9, { event: 'play', positionMs: 600_000 })]);
		expect(out[0].json.action).toBe('start');
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
	});

	it('rejects input that is not a WatchEvent, or one Trakt cannot identify', async () => {
		await expect(run({ resource: 'scrobble', operation: 'fromEvent', rules: {} }, [{ hello: 1 }])).rejects.toThrow('not a WatchEvent');
		await expect(run({ resource: 'scrobble', operation: 'fromEvent', rules: {} }, [movieEvent(29, { event: 'play', positionMs: 600_000 })])).rejects.toThrow(/no IMDb \/ TMDb \/ TVDB id/);
	});
});

describe('Trakt credential: a connection that renews itself', () => {
	const lastActivities = (stored: IDataObject | (() => IDataObject) = credentials) => run({ resource: 'sync', operation: 'lastActivities' }, undefined, stored);
	const WEEK = 7 * 86_400_000;

	it('exchanges a pasted code on the first call, on the OAuth host, with the redirect URI', async () => {
		credentials = connected(undefined, trakt.issueCode());
		expect((await lastActivities())[0].json).toHaveProperty('all');
		expect(trakt.tokenLog).toEqual([{ grantType: 'authorization_code', refreshToken: undefined, redirectUri: TRAKT_OOB_REDIRECT, status: 200, host: 'auth' }]);
		expect(credentials.accessToken).toMatch(/^dummy-trakt-access-/);
		expect(credentials.tokenFromCode).toBe(credentials.authorizationCode);
		expect(Date.parse(String(credentials.expiresAt)) - Date.now()).toBeGreaterThan(WEEK - 60_000);
		// The code is not exchanged again on later calls.
		await lastActivities();
		expect(trakt.tokenLog).toHaveLength(1);
	});

	it('after each 7-day expiry renews once with the latest refresh token, twice in a row', async () => {
		for (let round = 1; round <= 2; round++) {
			const before = String(credentials.refreshToken);
			trakt.advanceClock(WEEK + 60_000);
			expect((await lastActivities())[0].json).toHaveProperty('all');
			expect(trakt.tokenLog).toHaveLength(round);
			expect(trakt.tokenLog[round - 1]).toEqual({ grantType: 'refresh_token', refreshToken: before, redirectUri: TRAKT_OOB_REDIRECT, status: 200, host: 'auth' });
			expect(credentials.refreshToken).not.toBe(before);
		}
	});

	it('a refresh without the redirect URI the code was made for is refused, as by Trakt', async () => {
		credentials.redirectUri = 'https://example.invalid/callback';
		trakt.advanceClock(WEEK + 60_000);
		await expect(lastActivities()).rejects.toThrow(/needs to be reconnected.*refresh token/);
		expect(trakt.tokenLog.map((t) => t.status)).toEqual([400]);
	});

	it('when access was revoked, fails saying what to do and keeps the stored tokens; a new code reconnects', async () => {
		const stored = { ...credentials };
		trakt.revokeAll();
		const error = await lastActivities().then(
			() => undefined,
			(e: Error) => e,
		);
		expect(error?.message).toMatch(/Trakt needs to be reconnected: Trakt refused the stored refresh token .*Authorization Code.*run any Trakt node within 10 minutes/);
		expect(credentials).toEqual(stored);
		credentials.authorizationCode = trakt.issueCode();
		expect((await lastActivities())[0].json).toHaveProperty('all');
		expect(trakt.tokenLog.map((t) => [t.grantType, t.status])).toEqual([
			['refresh_token', 400],
			['authorization_code', 200],
		]);
	});

	it('an expired or reused code says so and changes nothing', async () => {
		credentials = connected(undefined, trakt.issueCode());
		trakt.advanceClock(11 * 60_000);
		await expect(lastActivities()).rejects.toThrow(/refused the authorization code \(codes last 10 minutes/);
		expect(credentials.accessToken).toBe('');
	});

	it('another execution renewing first with the same refresh token is not a revoked connection', async () => {
		const stale = { ...credentials };
		trakt.advanceClock(WEEK + 60_000);
		// The other execution: renews with the refresh token both read and stores the new pair.
		await lastActivities();
		expect(credentials.refreshToken).not.toBe(stale.refreshToken);
		// This one read the credential before that and tries the spent refresh token.
		let reads = 0;
		const out = await lastActivities(() => (reads++ < 2 ? stale : credentials));
		expect(out[0].json).toHaveProperty('all');
		expect(trakt.tokenLog.map((t) => t.status)).toEqual([200, 400]);
	});
});

describe('Trakt as a source and a target of Plan Sync', () => {
	const getWatchState = (person = '') => run({ resource: 'sync', operation: 'getWatchState', person });
	const applyWrites = (writes: IDataObject[], extra: IDataObject = {}) => run({ resource: 'sync', operation: 'applyWrites', dryRun: false, batchSize: 100, ...extra }, writes);
	const serverItem = (kind: 'movie' | 'episode', n: number, played: boolean, playedAt = '2025-03-01T20:00:00.000Z'): PlanItem => {
		if (kind === 'movie') {
			const m = library.movies[n];
			return { backend: 'plex', id: `p${n}`, type: 'movie', title: m.title, year: m.year, guids: m.guids, played, ...(played ? { playedAt } : {}), updatedAt: playedAt };
		}
		const e = library.episodes[n];
		return { backend: 'plex', id: `pe${n}`, type: 'episode', title: e.title, guids: {}, show: { title: e.show.title, guids: e.show.guids }, season: e.season, episode: e.episode, played, ...(played ? { playedAt } : {}), updatedAt: playedAt };
	};
	const traktWrites = (items: PlanItem[]) =>
		planSync(items, undefined, { propagateUnplayed: false, now: '2026-01-01T00:00:00.000Z', history: { backend: 'trakt', person: '' } }).writes.filter((w) => w.backend === 'trakt') as unknown as IDataObject[];

	it('reads watched movies and episodes with their last play, and paused items with a position, in three requests', async () => {
		trakt.history.push(
			{ id: 1, watchedAt: '2025-01-02T03:04:05.000Z', action: 'watch', item: library.movies[0] },
			{ id: 2, watchedAt: '2025-02-02T03:04:05.000Z', action: 'watch', item: library.episodes[1] },
		);
		trakt.playback.push({ id: 3, progress: 25, pausedAt: '2025-03-03T00:00:00.000Z', item: library.movies[1] });
		const before = trakt.requests;
		const items = (await getWatchState('alice')).map((i) => i.json as unknown as WatchItem);
		expect(trakt.requests - before).toBe(3);
		expect(items).toHaveLength(3);
		expect(items[0]).toMatchObject({ backend: 'trakt', person: 'alice', type: 'movie', guids: library.movies[0].guids, played: true, playedAt: '2025-01-02T03:04:05.000Z' });
		const e = library.episodes[1];
		expect(items[1]).toMatchObject({ type: 'episode', show: { guids: e.show.guids }, season: e.season, episode: e.episode, played: true, playedAt: '2025-02-02T03:04:05.000Z' });
		const m = library.movies[1];
		expect(items[2]).toMatchObject({ type: 'movie', played: false, progress: 25, durationMs: Math.round(m.durationMs / 60_000) * 60_000, updatedAt: '2025-03-03T00:00:00.000Z' });
		expect(items[2].positionMs).toBe(Math.round((items[2].durationMs! * 25) / 100));
	});

	it('adds the plays Trakt lacks with their dates, once: applying the same writes again adds nothing', async () => {
		trakt.history.push({ id: 1, watchedAt: '2025-01-01T00:00:00.000Z', action: 'watch', item: library.movies[2] });
		const writes = traktWrites([serverItem('movie', 3, true), serverItem('episode', 0, true, '2025-04-04T04:04:04.000Z'), serverItem('movie', 4, false)]);
		expect(writes).toHaveLength(2);
		// Trakt got movie 2 meanwhile through another way: planned earlier, skipped now.
		const stale = traktWrites([serverItem('movie', 2, true)]);
		const out = await applyWrites([...writes, ...stale]);
		expect(out.map((o) => o.json.action)).toEqual(['marked-played', 'marked-played', 'skipped']);
		expect(out[2].json.reason).toBe('already in the Trakt history');
		expect(trakt.history.map((h) => [h.item.kind, h.item.n, h.watchedAt]).slice(1)).toEqual([
			['movie', library.movies[3].n, '2025-03-01T20:00:00.000Z'],
			['episode', library.episodes[0].n, '2025-04-04T04:04:04.000Z'],
		]);
		const again = await applyWrites(writes);
		expect(again.map((o) => o.json.action)).toEqual(['skipped', 'skipped']);
		expect(trakt.history).toHaveLength(3);
	});

	it('removes plays only for an explicit un-mark it has, never sets positions, and writes nothing on a dry run', async () => {
		trakt.history.push({ id: 1, watchedAt: '2025-01-01T00:00:00.000Z', action: 'watch', item: library.movies[5] });
		const target = { backend: 'trakt', id: 'movie:x', type: 'movie', title: '', guids: library.movies[5].guids, played: true, updatedAt: '' };
		const unmark = { kind: 'watchstate-write', backend: 'trakt', op: 'mark-unplayed', target, reason: 'un-marked on plex', source: {} };
		const position = { ...unmark, op: 'set-position', positionMs: 600_000 };
		const foreign = { ...unmark, backend: 'plex' };
		const dry = await applyWrites([unmark], { dryRun: true });
		expect(dry[0].json.action).toBe('marked-unplayed');
		expect(trakt.history).toHaveLength(1);
		const out = await applyWrites([unmark, position, foreign]);
		expect(out.map((o) => o.json.action)).toEqual(['marked-unplayed', 'skipped', 'skipped']);
		expect(trakt.history).toHaveLength(0);
	});

	it('a history of over 10,000 plays: added in one write per 1,000 plays a second apart, read back in a request per 1,000 episode plays and two more', async () => {
		const big = seedLibrary({ movies: 5300, shows: 50, seasonsPerShow: 5, episodesPerSeason: 20 });
		const bigTrakt = new TraktEmulator({ library: big, clientId: CLIENT.id, clientSecret: CLIENT.secret, getLimit: 12 });
		await bigTrakt.start();
		try {
			const stored = { ...credentials, ...connected(bigTrakt.issueTokens()), authUrl: bigTrakt.auth.url, apiUrl: bigTrakt.url };
			const items: PlanItem[] = [
				...big.movies.map((m, n) => ({ backend: 'plex' as const, id: `p${n}`, type: 'movie' as const, title: m.title, guids: m.guids, played: true, playedAt: '2025-05-05T00:00:00.000Z', updatedAt: '2025-05-05T00:00:00.000Z' })),
				...big.episodes.map((e, n) => ({ backend: 'plex' as const, id: `e${n}`, type: 'episode' as const, title: e.title, guids: {}, show: { title: e.show.title, guids: e.show.guids }, season: e.season, episode: e.episode, played: true, playedAt: '2025-05-05T00:00:00.000Z', updatedAt: '2025-05-05T00:00:00.000Z' })),
			];
			// Some seeded items share ids or have none Trakt takes: at least 10,000 distinct plays remain.
			const writes = traktWrites(items);
			const plays = writes.length;
			expect(plays).toBeGreaterThanOrEqual(10_000);
			const started = bigTrakt.requests;
			const out = await run({ resource: 'sync', operation: 'applyWrites', dryRun: false, batchSize: 1000 }, writes, stored);
			expect(out.filter((o) => o.json.action === 'marked-played')).toHaveLength(plays);
			expect(bigTrakt.history).toHaveLength(plays);
			// Two reads of what Trakt has and one write per 1,000 plays; a write that arrived a little
			// early (429) was sent again after Retry-After and counts once.
			const batches = Math.ceil(plays / 1000);
			expect(bigTrakt.requests - bigTrakt.rateLimited - started).toBe(2 + batches);
			const read = await run({ resource: 'sync', operation: 'getWatchState', person: '' }, undefined, stored);
			expect(read.filter((o) => o.json.played === true)).toHaveLength(plays);
			// Watched films and paused playback in one request each; the episode history (each play
			// with the episode's own ids) in pages of 1,000.
			const episodePlays = bigTrakt.history.filter((h) => h.item.kind === 'episode').length;
			expect(bigTrakt.requests - bigTrakt.rateLimited - started).toBe(2 + batches + 2 + Math.ceil(episodePlays / 1000));
		} finally {
			await bigTrakt.stop();
		}
	}, 60_000);
});

describe('Trakt node: scrobble rules (pause hold, regression clamp)', () => {
	const scrobble = (input: IDataObject[], rules: IDataObject = {}) => run({ resource: 'scrobble', operation: 'fromEvent', rules: { pauseDebounceSeconds: 0, ...rules } }, input);
	const at = (n: number, event: string, percent: number) => movieEvent(n, { event, positionMs: percent * 60_000 });
	const sent = () => trakt.scrobbles.map((s) => [s.action, Math.round(s.progress)]);

	it('a pause followed within the hold by a resume sends neither; the Trakt scrobble stays running', async () => {
		await scrobble([at(20, 'play', 10)]);
		const [pause, resume] = await Promise.all([scrobble([at(20, 'pause', 30)], { holdPausesSeconds: 2 }), sleep(400).then(async () => await scrobble([at(20, 'resume', 30)], { holdPausesSeconds: 2 }))]);
		expect(pause.map((o) => o.json.reason)).toEqual(['resumed within 2 s: the pause is not sent']);
		expect(resume.map((o) => o.json.reason)).toEqual(['resumes a pause that was held back and never sent: Trakt still has it playing']);
		expect(sent()).toEqual([['start', 10]]);
	});

	it('a resume just before a pause never drops that pause (only resumes after it count)', async () => {
		await scrobble([at(24, 'play', 10)]);
		// The pause arrives 50 ms after the resume (a flaky client), while the resume is still going out.
		const [, [pause]] = await Promise.all([scrobble([at(24, 'resume', 20)], { holdPausesSeconds: 1 }), sleep(50).then(async () => await scrobble([at(24, 'pause', 21)], { holdPausesSeconds: 1 }))]);
		expect(pause.json.action).toBe('pause');
		expect(sent()).toEqual([
			['start', 10],
			['start', 20],
			['pause', 21],
		]);
	});

	it('a pause nobody resumes goes out after the hold, and the resume after it is sent', async () => {
		await scrobble([at(21, 'play', 10), at(21, 'pause', 30)], { holdPausesSeconds: 1 });
		await scrobble([at(21, 'resume', 30)], { holdPausesSeconds: 1 });
		expect(sent()).toEqual([
			['start', 10],
			['pause', 30],
			['start', 30],
		]);
	});

	it('a player reporting 12 % after 85 % is kept at 85 % (a stop there is held as a pause, never a play); a new play lifts it', async () => {
		const out = await scrobble([at(22, 'play', 10), at(22, 'pause', 85), at(22, 'stop', 12), at(22, 'play', 5)], { holdPausesSeconds: 0 });
		expect(out.map((o) => o.json.action)).toEqual(['start', 'pause', 'pause', 'start']);
		expect(String(out[2].json.reason)).toContain('reported 12 % after 85 % was sent');
		expect(sent()).toEqual([
			['start', 10],
			['pause', 85],
			['pause', 85],
			['start', 5],
		]);
		expect(trakt.history).toEqual([]);
		// Off, the regression goes out as reported.
		const off = await scrobble([at(23, 'play', 10), at(23, 'pause', 85), at(23, 'stop', 12)], { holdPausesSeconds: 0, clampRegressions: false });
		expect(off.map((o) => [o.json.action, Math.round(Number(o.json.progress))])).toEqual([
			['start', 10],
			['pause', 85],
			['stop', 12],
		]);
	});
});
