/**
 * A real n8n (pinned, Node 24) with the packed package and the shipped templates, against the
 * emulated servers: real webhook requests in, real HTTP writes out.
 */
import { plexPayload as plexPayloadFor } from '../../dev/demo/payloads';
import { DEMO, startDemoServers, stopDemoServers, type DemoServers } from '../../dev/demo/world';
import type { SeedEpisode, SeedItem, SeedMovie } from '../../dev/emulators/library';
import { plexKeys } from '../../dev/emulators/plex';
import { airedOrder } from '../../dev/emulators/trakt';
import { fs, join, readFileSync, tmpdir } from '../../dev/lib/builtins';
import { loadableItems, runWebhookLoad } from '../../dev/load';
import { DEMO_INFLUX_TOKEN, ROOT, startStack, type Stack } from '../../dev/n8n/stack';
import { InfluxEmulator } from '../../dev/emulators/influx';
import { delay, embyMultipart, plexMultipart, post, until } from './helpers';

const u = DEMO.user;
const log = (line: string) => void line;

/** Whether Plex, Jellyfin and Emby agree on played / unplayed for every one of the items. */
function playedStateAgrees(servers: DemoServers, items: SeedItem[]): boolean {
	return items.every((item) => {
		const played = servers.plex.stateOf(u.plexId, item).played;
		return servers.jellyfin.stateOf(u.jellyfinId, item).played === played && servers.emby.stateOf(u.embyId, item).played === played;
	});
}

function hook(stack: Stack, node: string): string {
	const found = stack.workflows.flatMap((w) => w.webhooks).find((h) => h.node === node);
	if (!found) throw new Error(`no webhook ${node}`);
	return found.url;
}

/**
 * A shipped template with its one ratings switch flipped, as docs/ratings.md tells a user to:
 * Rated added to the Events of the named triggers. Nothing else differs.
 */
function withRatingsSwitchedOn(file: string, triggers: string[]): string {
	const template = JSON.parse(readFileSync(join(ROOT, 'workflows', file), 'utf8')) as { nodes: Array<{ name: string; parameters: { options?: { events?: string[] } } }> };
	for (const node of template.nodes) if (triggers.includes(node.name)) node.parameters.options!.events!.push('rate');
	const path = join(fs.mkdtempSync(join(tmpdir(), 'ws-ratings-')), file);
	fs.writeFileSync(path, JSON.stringify(template));
	return path;
}

describe('real-time sync template in a real n8n', () => {
	let servers: DemoServers;
	let stack: Stack;
	beforeAll(async () => {
		servers = await startDemoServers({ drift: false });
		stack = await startStack(servers, { name: 'e2e-realtime', port: 5688, brokerPort: 5689, templates: [withRatingsSwitchedOn('realtime-sync.json', ['Plex Trigger', 'Jellyfin Trigger'])], tautulliMethod: 'PUT', log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	const movie = (n: number): SeedMovie => servers.library.movies[n - 1];
	const episode = (show: number, season: number, ep: number): SeedEpisode =>
		servers.library.episodes.find((e) => e.show.n === show && e.season === season && e.episode === ep)!;
	const writesFor = (item: SeedItem) => ({
		plex: servers.plex.writes.filter((w) => w.itemId === servers.plex.keyOf(item)),
		jellyfin: servers.jellyfin.writes.filter((w) => w.itemId === servers.jellyfin.idOf(item)),
		emby: servers.emby.writes.filter((w) => w.itemId === servers.emby.idOf(item)),
	});
	const plexPayload = (m: SeedMovie, event: string, extra: object = {}) => plexPayloadFor(servers, m, event, extra);

	it('Plex multipart scrobble (payload as a file part, as PMS sends it) marks Jellyfin and Emby played, once', async () => {
		const m = movie(2);
		const req = plexMultipart(plexPayload(m, 'media.scrobble', { viewCount: 1, lastViewedAt: 1735700000 }), true, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
		const res = await post(hook(stack, 'Plex Trigger'), req.body, req.headers);
		expect(res).toEqual({ status: 200, body: JSON.stringify({ status: 'accepted', event: 'scrobble', item: plexKeys.movie(2) }) });
		expect(await until(() => servers.jellyfin.stateOf(u.jellyfinId, m).played && servers.emby.stateOf(u.embyId, m).played)).toBe(true);
		await delay(1500);
		const w = writesFor(m);
		expect([w.plex.length, w.jellyfin.map((x) => x.action), w.emby.map((x) => x.action)]).toEqual([0, ['played'], ['played']]);
		expect(servers.jellyfin.stateOf(u.jellyfinId, m).lastPlayedAt).toBe(1735700000 * 1000);
	});

	it('Plex payload as a bare form field works too; a stop copies the resume position only', async () => {
		const m = movie(3);
		const req = plexMultipart(plexPayload(m, 'media.stop', { viewOffset: 1_500_000 }), false);
		expect((await post(hook(stack, 'Plex Trigger'), req.body, req.headers)).status).toBe(200);
		expect(await until(() => servers.jellyfin.stateOf(u.jellyfinId, m).positionMs === 1_500_000 && servers.emby.stateOf(u.embyId, m).positionMs === 1_500_000)).toBe(true);
		expect(servers.jellyfin.stateOf(u.jellyfinId, m).played).toBe(false);
		expect(servers.emby.stateOf(u.embyId, m).played).toBe(false);
	});

	it('Jellyfin PlaybackStop (text/plain JSON) with PlayedToCompletion marks the episode on Plex and Emby', async () => {
		const e = episode(1, 1, 2);
		const payload = {
			ServerId: servers.jellyfin.serverId,
			ServerName: 'demo-jellyfin',
			NotificationType: 'PlaybackStop',
			UtcTimestamp: '2026-11-20T20:00:00.1234567Z',
			Name: e.title,
			ItemId: servers.jellyfin.idOf(e),
			ItemType: 'Episode',
			RunTimeTicks: e.durationMs * 10_000,
			PlaybackPositionTicks: e.durationMs * 9_600,
			SeriesName: e.show.title,
			SeasonNumber: e.season,
			EpisodeNumber: e.episode,
			Provider_tvdb: e.guids.tvdb,
			PlayedToCompletion: true,
			UserId: u.jellyfinId,
			NotificationUsername: u.name,
		};
		const res = await post(hook(stack, 'Jellyfin Trigger'), JSON.stringify(payload), { 'content-type': 'text/plain; charset=utf-8', 'user-agent': 'Jellyfin-Server/10.11.8' });
		expect(res.status).toBe(200);
		expect(await until(() => servers.plex.stateOf(u.plexId, e).played && servers.emby.stateOf(u.embyId, e).played)).toBe(true);
		// datePlayed goes over the wire as yyyyMMddHHmmss: to the second
		expect(servers.emby.stateOf(u.embyId, e).lastPlayedAt).toBe(Date.parse('2026-11-20T20:00:00Z'));
	});

	it('Emby item.markplayed (JSON) and a multipart playback.stop reach Plex and Jellyfin', async () => {
		const m = movie(4);
		const item = (x: SeedMovie) => ({ Name: x.title, Id: servers.emby.idOf(x), Type: 'Movie', ProviderIds: { Imdb: x.guids.imdb, Tmdb: x.guids.tmdb }, RunTimeTicks: x.durationMs * 10_000 });
		const marked = { Title: 'marked', Date: '2026-11-21T10:00:00.0000000Z', Event: 'item.markplayed', User: { Name: u.name, Id: u.embyId }, Item: item(m), Server: { Name: 'demo-emby', Id: 'a1b2c3d4e5f64718293a4b5c6d7e8f90', Version: '4.8.11.0' } };
		expect((await post(hook(stack, 'Emby Trigger'), JSON.stringify(marked), { 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
		expect(await until(() => servers.plex.stateOf(u.plexId, m).played && servers.jellyfin.stateOf(u.jellyfinId, m).played)).toBe(true);

		const s = movie(9);
		const stop = { ...marked, Event: 'playback.stop', Item: item(s), PlaybackInfo: { PositionTicks: Math.round(s.durationMs * 0.4) * 10_000, PlayedToCompletion: false } };
		const req = embyMultipart(stop);
		expect((await post(hook(stack, 'Emby Trigger'), req.body, req.headers)).status).toBe(200);
		const at = Math.round(s.durationMs * 0.4);
		expect(await until(() => servers.plex.stateOf(u.plexId, s).positionMs === at && servers.jellyfin.stateOf(u.jellyfinId, s).positionMs === at)).toBe(true);
	});

	it('Tautulli PUT of a watched episode (show-level ids) finds it by show + numbers', async () => {
		const e = episode(2, 1, 3);
		const payload = {
			event: 'tautulli.watched',
			Account: { id: '1', title: u.name },
			Server: { title: 'demo-plex', uuid: servers.plex.machineIdentifier },
			Player: { local: '1', title: 'TV', uuid: 'tv' },
			Metadata: {
				ratingKey: plexKeys.episode(e.n),
				type: 'episode',
				title: e.title,
				grandparentTitle: e.show.title,
				index: String(e.episode),
				parentIndex: String(e.season),
				viewOffset: String(Math.round(e.durationMs * 0.9)),
				duration: String(e.durationMs),
				year: String(e.show.year),
				addedAt: '2024-05-06',
				Guids: { imdb: e.show.guids.imdb ?? '', tvdb: e.show.guids.tvdb ?? '', tmdb: e.show.guids.tmdb ?? '', tvmaze: '' },
			},
		};
		const res = await post(hook(stack, 'Tautulli Trigger'), JSON.stringify(payload), { 'content-type': 'application/json' }, 'PUT');
		expect(res.status).toBe(200);
		// The trigger listens with the method chosen in it, nothing else.
		expect((await post(hook(stack, 'Tautulli Trigger'), JSON.stringify(payload), { 'content-type': 'application/json' }, 'POST')).status).toBe(404);
		expect(await until(() => servers.jellyfin.stateOf(u.jellyfinId, e).played && servers.emby.stateOf(u.embyId, e).played)).toBe(true);
	});

	it('a Plex rating of 8 reaches Jellyfin and Emby, and a Jellyfin rating reaches Plex, changing nothing else of the user data', async () => {
		const m = movie(6);
		const lived = { played: true, playCount: 2, lastPlayedAt: Date.UTC(2025, 5, 1), positionMs: 0, isFavorite: true, updatedAt: Date.UTC(2025, 5, 1) };
		servers.jellyfin.seedState(u.jellyfinId, m, lived);
		servers.emby.seedState(u.embyId, m, lived);
		servers.plex.seedState(u.plexId, m, lived);
		const rest = (s: { played: boolean; playCount: number; lastPlayedAt?: number; isFavorite: boolean }) => [s.played, s.playCount, s.lastPlayedAt, s.isFavorite];
		const req = plexMultipart({ ...plexPayload(m, 'media.rate', { userRating: 8, lastRatedAt: Math.floor(Date.now() / 1000) }), rating: 8 }, true);
		expect((await post(hook(stack, 'Plex Trigger'), req.body, req.headers)).status).toBe(200);
		expect(await until(() => servers.jellyfin.stateOf(u.jellyfinId, m).rating === 8 && servers.emby.stateOf(u.embyId, m).rating === 8)).toBe(true);
		expect([rest(servers.jellyfin.stateOf(u.jellyfinId, m)), rest(servers.emby.stateOf(u.embyId, m))]).toEqual([rest(lived), rest(lived)]);
		const jf = { ServerId: servers.jellyfin.serverId, NotificationType: 'UserDataSaved', SaveReason: 'UpdateUserRating', Name: m.title, Year: m.year, ItemId: servers.jellyfin.idOf(m), ItemType: 'Movie', Provider_imdb: m.guids.imdb, Provider_tmdb: m.guids.tmdb, UserId: u.jellyfinId, NotificationUsername: u.name, Rating: 6, Likes: true, Played: true };
		expect((await post(hook(stack, 'Jellyfin Trigger'), JSON.stringify(jf), { 'content-type': 'application/json' })).status).toBe(200);
		expect(await until(() => servers.plex.stateOf(u.plexId, m).rating === 6 && servers.emby.stateOf(u.embyId, m).rating === 6)).toBe(true);
		expect(rest(servers.plex.stateOf(u.plexId, m))).toEqual(rest(lived));
		await delay(1500);
		// One rating write per server and event, no watch-state write.
		const w = writesFor(m);
		expect([w.plex.map((x) => x.action), w.jellyfin.map((x) => x.action), w.emby.map((x) => x.action)]).toEqual([['rated'], ['rated'], ['rated', 'rated']]);
	});

	it('refuses a wrong token (401), a foreign payload (400), and runs nothing for them', async () => {
		const before = servers.plex.writes.length + servers.jellyfin.writes.length + servers.emby.writes.length;
		const req = plexMultipart(plexPayload(movie(5), 'media.scrobble'), true);
		const wrong = await post(hook(stack, 'Plex Trigger').replace(DEMO.webhookToken, 'dummy-wrong'), req.body, req.headers);
		expect(wrong).toEqual({ status: 401, body: JSON.stringify({ error: 'invalid token' }) });
		const foreign = await post(hook(stack, 'Jellyfin Trigger'), JSON.stringify({ event: 'media.play' }), { 'content-type': 'application/json' });
		expect(foreign.status).toBe(400);
		expect(JSON.parse(foreign.body).error).toMatch(/^`NotificationType` is missing/);
		await delay(2000);
		expect(servers.plex.writes.length + servers.jellyfin.writes.length + servers.emby.writes.length).toBe(before);
		expect(servers.jellyfin.stateOf(u.jellyfinId, movie(5)).played).toBe(false);
	});

	it('loses no event under a bounded load and a burst: each one becomes exactly one write per other server', async () => {
		// Items no other test here touches.
		const used = new Set<SeedItem>([movie(2), movie(3), movie(4), movie(5), movie(9), episode(1, 1, 2), episode(2, 1, 3)]);
		const items = loadableItems(servers).filter((i) => !used.has(i) && (i.kind === 'movie' ? i.n > 10 : i.show.n > 2));
		expect(items.length).toBeGreaterThanOrEqual(120);
		const steady = await runWebhookLoad(stack, servers, { items: items.slice(0, 60), concurrency: 6, mode: 'closed', settleMs: 30_000 });
		expect([steady.accepted, steady.lost, steady.doubled]).toEqual([60, 0, 0]);
		const burst = await runWebhookLoad(stack, servers, { items: items.slice(60, 120), concurrency: 6, mode: 'burst', settleMs: 120_000 });
		expect([burst.accepted, burst.lost, burst.doubled]).toEqual([60, 0, 0]);
		log(`load: p50 ${steady.latency.p50} ms, p95 ${steady.latency.p95} ms; burst drained at ${burst.eventsPerSecond.toFixed(1)}/s`);
	});

	it('never writes a token or API key into its log or its executions, and calls nothing outside the machine', () => {
		const secrets = [DEMO.webhookToken, DEMO.plexToken, DEMO.jellyfinApiKey, DEMO.embyApiKey];
		const executions = stack.sql('select data from execution_data').map((r) => String(r.data));
		expect(executions.length).toBeGreaterThan(100);
		const logText = readFileSync(stack.logFile, 'utf8');
		expect(logText.length).toBeGreaterThan(0);
		// And n8n made no outbound call it could not make (telemetry, templates, the MCP registry).
		expect(logText).not.toMatch(/ENOTFOUND|EAI_AGAIN|api\.n8n\.io/);
		for (const secret of secrets) {
			expect(executions.filter((d) => d.includes(secret))).toEqual([]);
			expect(logText.includes(secret)).toBe(false);
		}
	});
});

describe('full sync template in a real n8n', () => {
	let servers: DemoServers;
	let stack: Stack;
	const EVERY = 12;
	beforeAll(async () => {
		servers = await startDemoServers({ drift: true });
		stack = await startStack(servers, { name: 'e2e-full', port: 5688, brokerPort: 5689, templates: ['full-sync.json'], scheduleEverySeconds: EVERY, log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	const runs = () => servers.plex.requestsByRoute.get('GET ^\\/library\\/sections\\/all$') ?? 0;
	const allWrites = () => servers.plex.writes.length + servers.jellyfin.writes.length + servers.emby.writes.length;
	// Items without any external id (like unmatched items on real servers) cannot be synced.
	const matchable = (item: SeedItem) => Object.keys(item.guids).length > 0 || (item.kind === 'episode' && Object.keys(item.show.guids).length > 0);
	const items = () => [...servers.library.movies, ...servers.library.episodes].filter(matchable);
	const converged = () => playedStateAgrees(servers, items());

	it('converges disagreeing servers, and a later run writes nothing', async () => {
		expect(converged()).toBe(false);
		const playedSomewhere = items().filter((i) => [servers.plex.stateOf(u.plexId, i), servers.jellyfin.stateOf(u.jellyfinId, i), servers.emby.stateOf(u.embyId, i)].some((s) => s.played)).length;
		// Emby's 40 % positions must reach Plex and Jellyfin too.
		const halfWatched = servers.library.movies.filter((_, i) => i % 11 === 0 && i % 5 !== 0 && i % 7 !== 0);
		const positionsCopied = () =>
			halfWatched.every((m) => [servers.plex.stateOf(u.plexId, m), servers.jellyfin.stateOf(u.jellyfinId, m)].every((s) => s.positionMs === Math.round(m.durationMs * 0.4)));
		expect(await until(() => converged() && positionsCopied(), 120_000, 500)).toBe(true);
		// Everything played anywhere is now played everywhere; nothing else was marked.
		const playedEverywhere = items().filter((i) => servers.plex.stateOf(u.plexId, i).played).length;
		expect(playedEverywhere).toBe(playedSomewhere);
		await delay(3000);
		const settled = allWrites();
		const runsBefore = runs();
		expect(await until(() => runs() >= runsBefore + 2, 4 * EVERY * 1000, 500)).toBe(true);
		await delay(3000);
		expect(allWrites()).toBe(settled);
		expect(servers.plex.writes.filter((w) => w.action === 'unplayed')).toEqual([]);
		// The unmatchable movie played only on Jellyfin stays as it was.
		const unmatched = servers.library.movies[28];
		expect([servers.jellyfin.stateOf(u.jellyfinId, unmatched).played, servers.plex.stateOf(u.plexId, unmatched).played]).toEqual([true, false]);
	});

	it('never undoes an un-mark or a cleared resume point after copying to Plex, nor wipes a rewatch there, with seconds between plan and write', async () => {
		// Every Plex write lands 1.2 s after the run planned it, and PMS's clock runs 30 s ahead.
		servers.plex.addFault({ path: /^\/:\/(scrobble|timeline)$/, delayMs: 1200, times: Infinity });
		servers.plex.clockOffsetMs = 30_000;
		const [a, b, c] = [servers.library.movies[101], servers.library.movies[103], servers.library.movies[107]];
		const IN_2025 = Date.UTC(2025, 4, 1);
		const yesterday = Date.now() - 86_400_000;
		servers.jellyfin.seedState(u.jellyfinId, a, { played: true, playCount: 1, lastPlayedAt: IN_2025, updatedAt: IN_2025 });
		servers.jellyfin.seedState(u.jellyfinId, b, { positionMs: 30 * 60_000, lastPlayedAt: IN_2025, updatedAt: IN_2025 });
		servers.jellyfin.seedState(u.jellyfinId, c, { played: true, playCount: 1, lastPlayedAt: IN_2025, updatedAt: IN_2025 });
		servers.plex.seedState(u.plexId, c, { positionMs: 40 * 60_000, lastPlayedAt: yesterday, updatedAt: yesterday });
		const plexOf = (m: SeedItem) => servers.plex.stateOf(u.plexId, m);
		// The rewatch under way on Plex keeps its resume point through the mark (written back after it).
		expect(await until(() => plexOf(a).played && plexOf(b).positionMs === 30 * 60_000 && plexOf(c).played && plexOf(c).positionMs === 40 * 60_000, 90_000, 500)).toBe(true);

		// alice un-marks a, and marks b unplayed (its resume point goes), in Jellyfin.
		servers.jellyfin.seedState(u.jellyfinId, a, { played: false, playCount: 0, updatedAt: Date.now() });
		servers.jellyfin.seedState(u.jellyfinId, b, { positionMs: 0, updatedAt: Date.now() });
		const runsBefore = runs();
		expect(await until(() => runs() >= runsBefore + 3, 6 * EVERY * 1000, 500)).toBe(true);
		await delay(3000);
		const jf = (m: SeedItem) => servers.jellyfin.stateOf(u.jellyfinId, m);
		expect([jf(a).played, jf(b).positionMs, plexOf(c).positionMs, plexOf(c).played]).toEqual([false, 0, 40 * 60_000, true]);
		servers.plex.clearFaults();
		servers.plex.clockOffsetMs = 0;
	});
});

describe('Trakt scrobbling template in a real n8n', () => {
	let servers: DemoServers;
	let stack: Stack;
	const WEEK = 7 * 86_400_000;
	beforeAll(async () => {
		servers = await startDemoServers({ drift: false });
		// The credential holds only the code the user pasted: the first Trakt call exchanges it.
		stack = await startStack(servers, { name: 'e2e-trakt', port: 5688, brokerPort: 5689, templates: [withRatingsSwitchedOn('trakt-scrobbling.json', ['Plex Trigger (Trakt)'])], trakt: 'code', log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	/** `extra` goes into Metadata, `top` beside it (media.rate carries `rating` there). */
	const plexEvent = (n: number, event: string, extra: object, top: object = {}) => {
		const m = servers.library.movies[n];
		return plexMultipart(
			{
				event,
				Account: { id: 1, title: u.name },
				Server: { title: 'demo-plex', uuid: servers.plex.machineIdentifier },
				Metadata: { type: 'movie', ratingKey: plexKeys.movie(m.n), title: m.title, year: m.year, duration: m.durationMs, Guid: Object.entries(m.guids).map(([k, v]) => ({ id: `${k}://${v}` })), ...extra },
				...top,
			},
			true,
		);
	};
	const send = async (n: number, event: string, extra: object) => {
		const { body, headers } = plexEvent(n, event, extra);
		return (await post(hook(stack, 'Plex Trigger (Trakt)'), body, headers)).status;
	};
	const grants = () => servers.trakt.tokenLog.map((t) => [t.host, t.grantType, t.redirectUri, t.status]);

	it('connects from the pasted code, then scrobbles across two 7-day expiries without anyone reconnecting', async () => {
		const m = servers.library.movies[5];
		expect(await send(5, 'media.play', { viewOffset: Math.round(m.durationMs * 0.1) })).toBe(200);
		expect(await until(() => servers.trakt.scrobbles.length === 1)).toBe(true);
		expect(grants()).toEqual([['auth', 'authorization_code', 'urn:ietf:wg:oauth:2.0:oob', 200]]);

		// A week later the access token has expired: n8n's preAuthentication renews it.
		servers.trakt.advanceClock(WEEK + 60_000);
		expect(await send(5, 'media.scrobble', { viewCount: 1 })).toBe(200);
		expect(await until(() => servers.trakt.history.length === 1)).toBe(true);
		// The same finish reported again (Tautulli beside Plex, a retry): no second play.
		expect(await send(5, 'media.scrobble', { viewCount: 1 })).toBe(200);

		// Another week: the second renewal must use the refresh token the first one stored.
		servers.trakt.advanceClock(WEEK + 60_000);
		const m2 = servers.library.movies[6];
		expect(await send(6, 'media.play', { viewOffset: Math.round(m2.durationMs * 0.2) })).toBe(200);
		expect(await until(() => servers.trakt.scrobbles.length === 3)).toBe(true);
		await delay(2000);
		expect(servers.trakt.scrobbles.map((s) => [s.action, s.progress])).toEqual([
			['start', 10],
			['scrobble', 90],
			['start', 20],
		]);
		expect(servers.trakt.history).toHaveLength(1);
		const log = servers.trakt.tokenLog;
		expect(grants()).toEqual([
			['auth', 'authorization_code', 'urn:ietf:wg:oauth:2.0:oob', 200],
			['auth', 'refresh_token', 'urn:ietf:wg:oauth:2.0:oob', 200],
			['auth', 'refresh_token', 'urn:ietf:wg:oauth:2.0:oob', 200],
		]);
		expect(log[2].refreshToken).not.toBe(log[1].refreshToken);
	});

	it('a Plex rating of 8 reaches Trakt (Rate on Trakt), and Scrobble sends nothing for it', async () => {
		const m = servers.library.movies[9];
		const scrobbles = servers.trakt.scrobbles.length;
		const { body, headers } = plexEvent(9, 'media.rate', { userRating: 8 }, { rating: 8 });
		expect((await post(hook(stack, 'Plex Trigger (Trakt)'), body, headers)).status).toBe(200);
		expect(await until(() => servers.trakt.ratings.size === 1)).toBe(true);
		expect([...servers.trakt.ratings.values()].map((r) => [r.item, r.rating])).toEqual([[m, 8]]);
		await delay(1500);
		expect(servers.trakt.scrobbles.length).toBe(scrobbles);
	});

	it('a finish Trakt refuses through every retry (503) is no play, and claims nothing: the next stop is the one play', async () => {
		const m = servers.library.movies[8];
		servers.trakt.addFault({ path: /^\/scrobble\/stop$/, status: 503, times: 5 });
		const failedRuns = () => stack.sql("select id from execution_entity where status = 'error'").length;
		const failedBefore = failedRuns();
		expect(await send(8, 'media.scrobble', { viewCount: 1 })).toBe(200);
		expect(await until(() => failedRuns() === failedBefore + 1, 60_000)).toBe(true);
		expect(servers.trakt.history.filter((h) => h.item === m)).toHaveLength(0);
		// The player stops at 97 %: that stop is the play.
		expect(await send(8, 'media.stop', { viewOffset: Math.round(m.durationMs * 0.97) })).toBe(200);
		expect(await until(() => servers.trakt.history.some((h) => h.item === m), 60_000)).toBe(true);
		await delay(2000);
		expect(servers.trakt.history.filter((h) => h.item === m)).toHaveLength(1);
	});

	it('when access is revoked on Trakt, the run fails saying what to click and the error path carries the message', async () => {
		servers.trakt.revokeAll();
		const before = servers.trakt.tokenLog.length;
		const scrobbled = servers.trakt.scrobbles.length;
		const failed = () => stack.sql("select d.data as data from execution_data d join execution_entity e on e.id = d.executionId where e.status = 'error' order by e.id");
		const failedBefore = failed().length;
		expect(await send(7, 'media.play', { viewOffset: 600_000 })).toBe(200);
		expect(await until(() => failed().length === failedBefore + 1)).toBe(true);
		const data = String(failed()[failedBefore].data);
		// One try at the token endpoint, no retry loop against it.
		expect(servers.trakt.tokenLog.slice(before).map((t) => [t.grantType, t.status])).toEqual([['refresh_token', 400]]);
		expect(data).toContain('Trakt needs to be reconnected');
		expect(data).toContain('paste it into Authorization Code');
		// The error output ran the notification placeholder before the run was failed.
		expect(data).toContain('Send Notification (Replace Me)');
		expect(data).toContain('Fail the Execution');
		expect(servers.trakt.scrobbles).toHaveLength(scrobbled);
	});

});

describe('Trakt two-way sync (the daily sync of the Trakt template) in a real n8n', () => {
	let servers: DemoServers;
	let stack: Stack;
	let fromTrakt: SeedMovie[];
	const EVERY = 15;
	const states = (m: SeedMovie) => [servers.plex.stateOf(u.plexId, m), servers.jellyfin.stateOf(u.jellyfinId, m), servers.emby.stateOf(u.embyId, m)];
	const withIds = (m: SeedMovie) => Object.keys(m.guids).length > 0;
	// Show 1 is an anime the servers list in absolute order (S1E1–6, S2E1–6 as one run of 12); Trakt
	// numbers it in seasons of 4.
	let anime: SeedEpisode[];
	let animeOnTrakt: SeedEpisode;
	beforeAll(async () => {
		servers = await startDemoServers({ drift: true });
		anime = servers.library.episodes.filter((e) => e.show.n === 1);
		servers.trakt.options.numbering = airedOrder(servers.library, 1, 4);
		// Plays recorded on Trakt only (a phone app): two films no server has played.
		fromTrakt = servers.library.movies.filter((m) => withIds(m) && states(m).every((st) => !st.played && st.positionMs === 0)).slice(0, 2);
		fromTrakt.forEach((m, i) => servers.trakt.history.push({ id: 900_000 + i, watchedAt: `2024-06-0${i + 1}T20:00:00.000Z`, action: 'watch', item: m }));
		// And one anime episode: Trakt's S2E2, which the servers call S1E6.
		animeOnTrakt = anime[5];
		servers.trakt.history.push({ id: 900_100, watchedAt: '2024-06-03T20:00:00.000Z', action: 'watch', item: animeOnTrakt });
		stack = await startStack(servers, { name: 'e2e-trakt-sync', port: 5688, brokerPort: 5689, templates: ['trakt-scrobbling.json'], scheduleEverySeconds: EVERY, dryRun: false, traktPerson: u.name, log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	const runs = () => servers.trakt.requestsByRoute.get('GET ^\\/sync\\/playback(?:\\/(movies|episodes))?$') ?? 0;
	const serverWrites = () => servers.plex.writes.length + servers.jellyfin.writes.length + servers.emby.writes.length;
	const traktKeys = () => servers.trakt.history.map((h) => `${h.item.kind}${h.item.n}`);

	it('brings Trakt plays to every server once and server plays to Trakt with their dates; the next runs write nothing', async () => {
		expect(fromTrakt).toHaveLength(2);
		const playedOnServers = servers.library.movies.filter((m) => withIds(m) && states(m).some((st) => st.played));
		expect(playedOnServers.length).toBeGreaterThan(0);
		// A film played on Plex only: its play date must reach Trakt.
		const sample = playedOnServers.find((m) => servers.plex.stateOf(u.plexId, m).played && !servers.jellyfin.stateOf(u.jellyfinId, m).played && !servers.emby.stateOf(u.embyId, m).played)!;
		const sampleDate = servers.plex.stateOf(u.plexId, sample).lastPlayedAt;
		expect(sampleDate).toBeDefined();
		const everywhere = () => fromTrakt.every((m) => states(m).every((st) => st.played));
		const onTrakt = () => playedOnServers.every((m) => traktKeys().includes(`movie${m.n}`));
		expect(await until(() => everywhere() && onTrakt(), 180_000, 500)).toBe(true);
		// One play per server for each Trakt play, dated as on Trakt where the server takes a date.
		for (const m of fromTrakt) expect(states(m).map((st) => st.playCount)).toEqual([1, 1, 1]);
		expect(servers.jellyfin.stateOf(u.jellyfinId, fromTrakt[0]).lastPlayedAt).toBe(Date.parse('2024-06-01T20:00:00.000Z'));
		// Server plays reached Trakt once each, with the server's play date.
		const entries = servers.trakt.history.filter((h) => h.item.kind === 'movie' && h.item.n === sample.n);
		expect(entries).toHaveLength(1);
		expect(Date.parse(entries[0].watchedAt)).toBe(sampleDate);
		await delay(3000);
		const settledServers = serverWrites();
		const settledTrakt = servers.trakt.history.length;
		expect(new Set(traktKeys()).size).toBe(settledTrakt);
		const before = runs();
		expect(await until(() => runs() >= before + 2, 5 * EVERY * 1000, 500)).toBe(true);
		await delay(3000);
		expect(serverWrites()).toBe(settledServers);
		expect(servers.trakt.history).toHaveLength(settledTrakt);
	});

	it('an anime in absolute order converges by the episodes\' own ids, and later runs add no play to Trakt', async () => {
		const epStates = (e: SeedEpisode) => [servers.plex.stateOf(u.plexId, e), servers.jellyfin.stateOf(u.jellyfinId, e), servers.emby.stateOf(u.embyId, e)];
		// Trakt's S2E2 reached the episode the servers number S1E6, and not their S2E2.
		expect(epStates(animeOnTrakt).every((st) => st.played)).toBe(true);
		const serversS2E2 = anime.find((e) => e.season === 2 && e.episode === 2)!;
		expect(epStates(serversS2E2).some((st) => st.played)).toBe(false);
		// Emby's anime plays (every 4th episode of the library) each reached Trakt once.
		const embyPlayed = anime.filter((e) => servers.emby.stateOf(u.embyId, e).played && Object.keys(e.guids).length > 0);
		expect(embyPlayed.length).toBeGreaterThan(1);
		for (const e of embyPlayed) expect(servers.trakt.history.filter((h) => h.item === e)).toHaveLength(1);
		const settled = servers.trakt.history.length;
		const before = runs();
		expect(await until(() => runs() >= before + 2, 5 * EVERY * 1000, 500)).toBe(true);
		await delay(3000);
		expect(servers.trakt.history).toHaveLength(settled);
	});
});

describe('full sync template when a server fails its writes', () => {
	let servers: DemoServers;
	let stack: Stack;
	beforeAll(async () => {
		servers = await startDemoServers({ drift: true });
		// Every Plex write fails: the run must stop, write nothing wrong and save no snapshot.
		servers.plex.addFault({ path: /^\/:\/(scrobble|unscrobble|timeline)$/, status: 500, times: Infinity });
		stack = await startStack(servers, { name: 'e2e-faults', port: 5688, brokerPort: 5689, templates: ['full-sync.json'], scheduleEverySeconds: 12, log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	const failedRuns = () => stack.sql("select id from execution_entity where status = 'error'").length;
	const snapshotRows = () => {
		const tables = stack.sql("select name from sqlite_master where type = 'table' and name like 'data_table_user_%'");
		return tables.reduce((n, t) => n + Number(stack.sql(`select count(*) as c from "${String(t.name)}"`)[0].c), 0);
	};

	it('stops at the failed write, saves no snapshot, un-marks nothing, then converges once the server is back', async () => {
		expect(await until(() => failedRuns() >= 1, 60_000, 1000)).toBe(true);
		const [failed] = stack.sql("select d.data as data from execution_data d join execution_entity e on e.id = d.executionId where e.status = 'error' limit 1");
		const data = String(failed.data);
		expect(data).toContain('"Sync Servers"');
		expect(data).toMatch(/failed: HTTP 500/);
		expect(data).not.toContain('"Save Snapshot":');
		expect(snapshotRows()).toBe(0);
		expect([servers.plex, servers.jellyfin, servers.emby].flatMap((s) => s.writes).filter((w) => w.action === 'unplayed')).toEqual([]);
		expect(servers.plex.writes).toEqual([]);

		servers.plex.clearFaults();
		const converged = () => playedStateAgrees(servers, loadableItems(servers));
		expect(await until(() => converged() && snapshotRows() === 3, 90_000, 1000)).toBe(true);
	});
});

describe('full sync template through transient faults (429, 5xx, timeouts, dropped connections)', () => {
	let servers: DemoServers;
	let stack: Stack;
	beforeAll(async () => {
		servers = await startDemoServers({ drift: true });
		// What flaky servers do; each within the nodes' default 4 retries.
		servers.plex.addFault({ path: /^\/library\/sections\/all$/, status: 503, times: 1 });
		servers.plex.addFault({ path: /^\/:\/(scrobble|timeline)$/, drop: true, times: 3 });
		servers.jellyfin.addFault({ path: /^\/Items$/, status: 429, retryAfter: 1, times: 3 });
		servers.jellyfin.addFault({ path: /^\/UserPlayedItems\//, status: 502, times: 2 });
		// Longer than the request timeout (2 s here): the client must give up and ask again.
		servers.emby.addFault({ path: /^\/Users\/\w+\/Items$/, delayMs: 5000, times: 2 });
		stack = await startStack(servers, { name: 'e2e-flaky', port: 5688, brokerPort: 5689, templates: ['full-sync.json'], scheduleEverySeconds: 20, requestTimeoutSeconds: 2, log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	it('converges in its first run, every fault absorbed by retries, with no write repeated or reversed', async () => {
		const all = [servers.plex, servers.jellyfin, servers.emby];
		const converged = () => playedStateAgrees(servers, loadableItems(servers));
		// The template does not keep successful runs: n8n marks them deleted (status stays "running").
		const ended = () => stack.sql("select status, deletedAt is not null as discarded from execution_entity where deletedAt is not null or status in ('success', 'error', 'crashed') order by id");
		expect(await until(() => ended().length >= 1, 120_000, 1000)).toBe(true);
		expect(ended()[0]).toEqual({ status: 'running', discarded: 1 });
		expect(all.map((s) => s.faultsLeft())).toEqual([0, 0, 0]);
		expect(converged()).toBe(true);
		for (const server of all) {
			expect(server.writes.filter((w) => w.action === 'unplayed')).toEqual([]);
			const keys = server.writes.map((w) => `${w.itemId} ${w.action}`);
			expect(keys.length - new Set(keys).size).toBe(0);
		}
	});
});

// Debian's chromium, installed by .ci/run (apt-get install chromium); without it this is skipped.
describe('backup, restore and migration templates in a real n8n', () => {
	let servers: DemoServers;
	let stack: Stack;
	beforeAll(async () => {
		servers = await startDemoServers({ drift: true });
		stack = await startStack(servers, { name: 'e2e-backup', port: 5688, brokerPort: 5689, templates: ['backup.json', 'restore.json', 'migrate.json'], manualAsWebhook: true, dryRun: false, log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	const lastError = () => String(stack.sql("select d.data as data from execution_data d join execution_entity e on e.id = d.executionId where e.status = 'error' order by e.id desc limit 1")[0]?.data ?? '');
	/** Runs a Manual Trigger's flow; a failed run is answered 500, and says why in the execution. */
	const run = async (node: string, expectFailure = false) => {
		const found = stack.workflows.flatMap((w) => w.manual).find((m) => m.node === node)!;
		const res = await post(found.url, '{}', { 'content-type': 'application/json' });
		if (res.status !== 200 && !expectFailure) throw new Error(`${node}: ${res.status} ${lastError().slice(0, 2000)}`);
		return res;
	};
	const folder = () => stack.filesFolder;
	const backups = () => (fs.existsSync(folder()) ? fs.readdirSync(folder()).filter((f) => f.startsWith('watchstate-backup-')) : []);
	const matchable = (item: SeedItem) => Object.keys(item.guids).length > 0 || (item.kind === 'episode' && Object.keys(item.show.guids).length > 0);
	const items = () => [...servers.library.movies, ...servers.library.episodes].filter(matchable);

	it('migrates Plex onto a wiped Jellyfin: the two then agree, with a copy of the backup kept; again writes nothing', async () => {
		servers.jellyfin.state.clear();
		expect((await run('Migrate Now')).status).toBe(200);
		expect(items().filter((i) => servers.plex.stateOf(u.plexId, i).played).length).toBeGreaterThan(10);
		for (const i of items()) expect([i.title, servers.jellyfin.stateOf(u.jellyfinId, i).played]).toEqual([i.title, servers.plex.stateOf(u.plexId, i).played]);
		expect(fs.readdirSync(folder()).filter((f) => f.startsWith('migration-watchstate-backup-'))).toHaveLength(1);
		const writes = servers.jellyfin.writes.length;
		expect((await run('Migrate Now')).status).toBe(200);
		expect(servers.jellyfin.writes.length).toBe(writes);
	});

	it('backs up every server to the file of the day; a truncated file is refused before any write; the good one restores', async () => {
		expect((await run('Back Up Now')).status).toBe(200);
		expect(backups()).toHaveLength(1);
		const path = join(folder(), backups()[0]);
		const text = readFileSync(path, 'utf8');
		const backup = JSON.parse(text) as { kind: string; servers: Record<string, number>; records: Array<{ played: boolean | null }> };
		const size = servers.library.movies.length + servers.library.episodes.length;
		expect([backup.kind, backup.servers]).toEqual(['watchstate-backup', { plex: size, jellyfin: size, emby: size }]);
		const playedAnywhere = items().filter((i) => [servers.plex.stateOf(u.plexId, i), servers.jellyfin.stateOf(u.jellyfinId, i), servers.emby.stateOf(u.embyId, i)].some((st) => st.played));

		servers.jellyfin.state.clear();
		const writes = servers.jellyfin.writes.length;
		fs.writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));
		const refused = await run('Restore Now', true);
		expect(refused.status).toBe(500);
		expect(lastError()).toMatch(/not a complete backup/);
		expect(servers.jellyfin.writes.length).toBe(writes);

		fs.writeFileSync(path, text);
		expect((await run('Restore Now')).status).toBe(200);
		expect(items().filter((i) => servers.jellyfin.stateOf(u.jellyfinId, i).played).map((i) => i.title).sort()).toEqual(playedAnywhere.map((i) => i.title).sort());
		expect(servers.jellyfin.writes.filter((w) => w.action === 'unplayed')).toEqual([]);
	});
});

describe('playback history template in a real n8n (Data Table and InfluxDB line protocol)', () => {
	let servers: DemoServers;
	let stack: Stack;
	const influx = new InfluxEmulator({ token: DEMO_INFLUX_TOKEN, org: 'home', bucket: 'plex' });
	beforeAll(async () => {
		servers = await startDemoServers({ drift: false });
		await influx.start();
		stack = await startStack(servers, {
			name: 'e2e-history',
			port: 5688,
			brokerPort: 5689,
			templates: ['playback-history.json'],
			replace: { 'http://influxdb:8086': influx.url },
			enableNodes: ['Write to InfluxDB'],
			log,
		});
	});
	afterAll(async () => {
		await stack?.stop();
		await influx.stop();
		if (servers) await stopDemoServers(servers);
	});

	const rows = () => {
		const [table] = stack.sql("select id from data_table where name = 'watchstate_playback_history'");
		return table ? stack.sql(`select * from "data_table_user_${String(table.id)}" order by id`) : [];
	};

	it('stores every event of the four servers as a row and a strictly valid point, odd titles and a missing Player included', async () => {
		const m = servers.library.movies[0];
		const odd = 'Say "Hi", Bob = 1\nPart\\2';
		const plex = plexPayloadFor(servers, m, 'media.scrobble', { title: odd, ratingCount: 7 });
		delete (plex as { Player?: unknown }).Player;
		const req = plexMultipart(plex, true);
		expect((await post(hook(stack, 'Plex Trigger'), req.body, req.headers)).status).toBe(200);
		const tautulli = { event: 'tautulli.play', user: 'true', Account: { id: '1', title: u.name }, Server: { title: 'demo-plex', uuid: servers.plex.machineIdentifier }, Player: { local: '0', title: 'Living, Room', uuid: 'tv' }, Metadata: { ratingKey: plexKeys.movie(2), type: 'movie', title: 'Heat', librarySectionID: '1', viewOffset: '60000', duration: '6000000', Guids: { imdb: 'tt0113277' } } };
		expect((await post(hook(stack, 'Tautulli Trigger'), JSON.stringify(tautulli), { 'content-type': 'application/json' })).status).toBe(200);
		const e = servers.library.episodes[0];
		const jellyfin = { ServerId: servers.jellyfin.serverId, ServerName: 'demo-jellyfin', NotificationType: 'PlaybackStop', Name: e.title, ItemId: servers.jellyfin.idOf(e), ItemType: 'Episode', RunTimeTicks: e.durationMs * 10_000, PlaybackPositionTicks: e.durationMs * 9_600, SeriesName: 'Show = "One"', SeasonNumber: e.season, EpisodeNumber: e.episode, PlayedToCompletion: true, UserId: u.jellyfinId, NotificationUsername: u.name, ClientName: 'Web', DeviceName: 'Fire, TV' };
		expect((await post(hook(stack, 'Jellyfin Trigger'), JSON.stringify(jellyfin), { 'content-type': 'text/plain; charset=utf-8' })).status).toBe(200);
		const emby = { Title: 'stop', Date: '2026-11-21T10:00:00.0000000Z', Event: 'playback.stop', User: { Name: u.name, Id: u.embyId }, Item: { Name: 'Heat,\r\n"Director\'s Cut"', Id: servers.emby.idOf(m), Type: 'Movie', ProviderIds: { Imdb: m.guids.imdb }, RunTimeTicks: m.durationMs * 10_000 }, Server: { Name: 'demo-emby', Id: 'a1b2c3d4e5f64718293a4b5c6d7e8f90', Version: '4.8.11.0' }, PlaybackInfo: { PositionTicks: 600_000_000, PlayedToCompletion: false } };
		expect((await post(hook(stack, 'Emby Trigger'), JSON.stringify(emby), { 'content-type': 'application/json' })).status).toBe(200);

		expect(await until(() => influx.points.length === 4 && rows().length === 4, 60_000)).toBe(true);
		expect(influx.requests.every((r) => r.status === 204)).toBe(true);
		expect(influx.points.map((p) => [p.measurement, p.tags.event, p.precision]).sort()).toEqual([
			['emby_webhooks', 'playback.stop', 'ms'],
			['jellyfin_webhooks', 'PlaybackStop', 'ms'],
			['plex_webhooks', 'media.scrobble', 'ms'],
			['plex_webhooks', 'tautulli.play', 'ms'],
		]);
		const scrobble = influx.points.find((p) => p.tags.event === 'media.scrobble')!;
		expect(scrobble.fields.title).toEqual({ type: 'string', value: 'Say "Hi", Bob = 1 Part\\2' });
		expect(scrobble.fields.rating_count).toEqual({ type: 'int', value: 7n });
		expect(Object.keys(scrobble.tags).some((k) => k.startsWith('player'))).toBe(false);
		expect(influx.points.find((p) => p.tags.event === 'tautulli.play')!.tags.player_title).toBe('Living, Room');
		expect(influx.points.find((p) => p.measurement === 'jellyfin_webhooks')!.tags.grandparent_title).toBe('Show = "One"');

		const stored = rows();
		expect(stored.map((r) => r.event).sort()).toEqual(['PlaybackStop', 'media.scrobble', 'playback.stop', 'tautulli.play']);
		const row = stored.find((r) => r.event === 'media.scrobble')!;
		expect([row.title, row.rating_count, row.user_name, row.player_title]).toEqual([odd, 7, u.name, null]);
	});
});
