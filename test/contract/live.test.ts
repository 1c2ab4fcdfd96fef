/**
 * The emulators' live channels behave as the servers' (sources in dev/emulators/plex.ts and
 * mediabrowser.ts): who may open a socket, what each socket hears, keep-alive and what a playback
 * report or a manual mark announces. The client is the `ws` package's, independent of ours.
 */
import { WebSocket } from 'ws';
import { delay, repeat, stopRepeating } from '../../dev/lib/builtins';
import { seedLibrary } from '../../dev/emulators/library';
import { EmbyEmulator, JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator } from '../../dev/emulators/plex';
import { readMediaBrowserMessage, readPlexNotification } from '../../nodes/shared/watcher/messages';
import { PlaybackTracker } from '../../nodes/shared/watcher/playback';

const library = seedLibrary({ movies: 4, shows: 1, seasonsPerShow: 1, episodesPerSeason: 2 });
const owner = { id: '1', name: 'owner', token: 'dummy-live-owner', admin: true };
const bob = { id: '7', name: 'bob', token: 'dummy-live-bob' };
const JF_ALICE = { id: '5a0b1c2d3e4f40718293a4b5c6d7e8f9', name: 'alice', token: 'dummy-live-alice' };
const JF_CAROL = { id: '6a0b1c2d3e4f40718293a4b5c6d7e8f9', name: 'carol', token: 'dummy-live-carol' };
const API_KEY = 'dummy-live-key';

const plex = new PlexEmulator({ library, users: [owner, bob] });
const jellyfin = new JellyfinEmulator({ library, users: [JF_ALICE, JF_CAROL], apiKey: API_KEY });
const emby = new EmbyEmulator({ library, users: [{ ...JF_ALICE, id: '11' }], apiKey: API_KEY });
const all = [plex, jellyfin, emby];

/** A socket and every message it heard, parsed. */
interface Heard {
	ws: WebSocket;
	messages: Array<Record<string, unknown>>;
	closed: Promise<number>;
}

async function open(url: string, headers: Record<string, string> = {}): Promise<Heard> {
	const ws = new WebSocket(url, { headers });
	const messages: Array<Record<string, unknown>> = [];
	ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
	const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
	await new Promise<void>((resolve, reject) => {
		ws.once('open', () => resolve());
		ws.once('error', reject);
	});
	return { ws, messages, closed };
}

/** The HTTP status a refused upgrade got. */
async function refusal(url: string, headers: Record<string, string> = {}): Promise<number> {
	return await new Promise<number>((resolve, reject) => {
		const ws = new WebSocket(url, { headers });
		ws.once('unexpected-response', (_req, res) => {
			resolve(res.statusCode ?? 0);
			ws.terminate();
		});
		ws.once('open', () => reject(new Error('the socket opened')));
		ws.once('error', () => undefined);
	});
}

async function until<T>(what: string, probe: () => T | undefined, ms = 5000): Promise<T> {
	const end = Date.now() + ms;
	for (;;) {
		const value = probe();
		if (value !== undefined) return value;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await delay(10);
	}
}

const ws = (s: { url: string }, path: string) => s.url.replace('http', 'ws') + path;
const byType = (h: Heard, type: string) => h.messages.filter((m) => m.MessageType === type);

/** A Plex player's timeline report, as a client sends it for the token's user. */
const plexTimeline = (token: string, client: string, movie: (typeof library.movies)[number], state: string, time: number) =>
	fetch(`${plex.url}/:/timeline?ratingKey=${plex.keyOf(movie)}&key=/library/metadata/${plex.keyOf(movie)}&state=${state}&time=${time}&duration=${movie.durationMs}&identifier=com.plexapp.plugins.library`, {
		method: 'POST',
		headers: { 'X-Plex-Token': token, 'X-Plex-Client-Identifier': client },
	});

/** Jellyfin's Authorization header; the token's device is its own (one device, one session). */
const jellyfinAuth = (token: string) => ({ Authorization: `MediaBrowser Token="${token}", Client="test", Device="test", DeviceId="dummy-device-${token}", Version="1"` });

/** A Jellyfin client's playback report (`''`, `/Progress`, `/Stopped`) for the token's user. */
const jellyfinReport = (token: string, itemId: string, route: string, body: Record<string, unknown>) =>
	fetch(`${jellyfin.url}/Sessions/Playing${route}`, { method: 'POST', headers: { ...jellyfinAuth(token), 'content-type': 'application/json' }, body: JSON.stringify({ ItemId: itemId, ...body }) });

beforeAll(async () => {
	await Promise.all(all.map((s) => s.start()));
});
afterAll(async () => {
	await Promise.all(all.map((s) => s.stop()));
});

describe('Plex notification socket', () => {
	const path = '/:/websockets/notifications';

	it('refuses a socket without a known token with 401 and another path with 404, before any upgrade', async () => {
		expect(await refusal(ws(plex, path))).toBe(401);
		expect(await refusal(ws(plex, path), { 'X-Plex-Token': 'dummy-wrong' })).toBe(401);
		expect(await refusal(ws(plex, '/:/websockets/other'), { 'X-Plex-Token': owner.token })).toBe(404);
	});

	it("tells the owner's socket of every timeline state and of each watch-state change; a shared user's socket hears none", async () => {
		const ownerSocket = await open(ws(plex, `${path}?X-Plex-Token=${owner.token}`));
		const bobSocket = await open(ws(plex, path), { 'X-Plex-Token': bob.token });
		const movie = library.movies[0];
		const key = plex.keyOf(movie);
		const report = (state: string, time: number) => plexTimeline(bob.token, 'dummy-player', movie, state, time);
		await report('playing', 1000);
		await report('paused', 60_000);
		const playing = await until('two playing notifications', () => {
			const rows = ownerSocket.messages.filter((m) => (m.NotificationContainer as { type: string }).type === 'playing');
			return rows.length === 2 ? rows : undefined;
		});
		const states = playing.map((m) => (m.NotificationContainer as { PlaySessionStateNotification: Array<Record<string, unknown>> }).PlaySessionStateNotification[0]);
		expect(states.map((s) => [s.state, s.viewOffset, s.ratingKey, s.key])).toEqual([
			['playing', 1000, key, `/library/metadata/${key}`],
			['paused', 60_000, key, `/library/metadata/${key}`],
		]);
		expect(states[0].sessionKey).toBe(states[1].sessionKey);
		// The session is listed with its user while it lasts, and ends with the stop.
		const listed = (await (await fetch(`${plex.url}/status/sessions`, { headers: { 'X-Plex-Token': owner.token, Accept: 'application/json' } })).json()) as { MediaContainer: { Metadata: Array<{ sessionKey: string; User: { id: string } }> } };
		expect(listed.MediaContainer.Metadata.map((m: { sessionKey: string; User: { id: string } }) => [m.sessionKey, m.User.id])).toEqual([[states[0].sessionKey, bob.id]]);
		await report('stopped', Math.round(movie.durationMs * 0.95));
		const activity = await until('the played activity', () =>
			ownerSocket.messages.find((m) => {
				const c = m.NotificationContainer as { type: string; ActivityNotification?: Array<{ event: string }> };
				return c.type === 'activity' && c.ActivityNotification?.[0].event === 'ended';
			}),
		);
		const a = (activity.NotificationContainer as { ActivityNotification: Array<{ Activity: Record<string, unknown> }> }).ActivityNotification[0].Activity;
		expect([a.type, a.progress, a.userID, (a.Context as { key: string }).key]).toEqual(['library.refresh.items', 100, 7, `/library/metadata/${key}`]);
		expect(plex.stateOf(bob.id, movie).played).toBe(true);
		expect(plex.sessions).toEqual([]);
		// A manual un-mark by the owner is announced too, as account 1.
		ownerSocket.messages.length = 0;
		await fetch(`${plex.url}/:/unscrobble?key=${key}&identifier=com.plexapp.plugins.library`, { headers: { 'X-Plex-Token': owner.token } });
		const unmark = await until('the un-mark activity', () => ownerSocket.messages.find((m) => (m.NotificationContainer as { ActivityNotification?: Array<{ event: string }> }).ActivityNotification?.[0].event === 'ended'));
		expect((unmark.NotificationContainer as { ActivityNotification: Array<{ Activity: { userID: number } }> }).ActivityNotification[0].Activity.userID).toBe(1);
		expect(bobSocket.messages).toEqual([]);
		ownerSocket.ws.close();
		bobSocket.ws.close();
	});

	it('a dropped connection closes abnormally (1006), as a restart or a network cut does', async () => {
		const s = await open(ws(plex, path), { 'X-Plex-Token': owner.token });
		plex.live.dropAll();
		expect(await s.closed).toBe(1006);
	});
});

describe('Jellyfin socket', () => {

	it('refuses a socket without a valid token with 403 (WebSocketManager: SecurityException)', async () => {
		expect(await refusal(ws(jellyfin, '/socket'))).toBe(403);
		expect(await refusal(ws(jellyfin, '/socket'), jellyfinAuth('dummy-wrong'))).toBe(403);
	});

	it('asks for keep-alives on connect, answers them, and drops a socket that sends none in time', async () => {
		jellyfin.socketLostTimeoutMs = 1000;
		try {
			const quiet = await open(ws(jellyfin, '/socket'), jellyfinAuth(API_KEY));
			const chatty = await open(ws(jellyfin, '/socket'), jellyfinAuth(API_KEY));
			expect(quiet.messages[0] ?? (await until('ForceKeepAlive', () => quiet.messages[0]))).toMatchObject({ MessageType: 'ForceKeepAlive', Data: 60 });
			const beat = repeat(100, () => chatty.ws.send(JSON.stringify({ MessageType: 'KeepAlive' })));
			expect(await quiet.closed).toBe(1006);
			expect(chatty.ws.readyState).toBe(WebSocket.OPEN);
			expect(byType(chatty, 'KeepAlive').length).toBeGreaterThan(0);
			stopRepeating(beat);
			chatty.ws.close();
		} finally {
			jellyfin.socketLostTimeoutMs = 60_000;
		}
	});

	it("sends Sessions to a SessionsStart subscriber on every playback report; UserDataChanged reaches the user's own socket, never the API key's", async () => {
		const admin = await open(ws(jellyfin, '/socket'), jellyfinAuth(API_KEY));
		const alice = await open(ws(jellyfin, '/socket'), jellyfinAuth(JF_ALICE.token));
		const carol = await open(ws(jellyfin, '/socket'), jellyfinAuth(JF_CAROL.token));
		admin.ws.send(JSON.stringify({ MessageType: 'SessionsStart', Data: '0,1500' }));
		await until('the first Sessions', () => byType(admin, 'Sessions')[0]);
		const movie = library.movies[1];
		const id = jellyfin.idOf(movie);
		const report = (route: string, body: Record<string, unknown>) => jellyfinReport(JF_ALICE.token, id, route, body);
		expect((await report('', { PositionTicks: 0 })).status).toBe(204);
		expect(jellyfin.stateOf(JF_ALICE.id, movie).playCount).toBe(1);
		await report('/Progress', { PositionTicks: 600_000_000, IsPaused: true });
		const paused = await until('a paused session', () =>
			byType(admin, 'Sessions')
				.map((m) => (m.Data as Array<{ UserId: string; PlayState: { IsPaused: boolean; PositionTicks: number }; NowPlayingItem: { Id: string } }>)[0])
				.find((s) => s?.PlayState.IsPaused),
		);
		expect([paused.UserId, paused.NowPlayingItem.Id, paused.PlayState.PositionTicks]).toEqual([JF_ALICE.id, id, 600_000_000]);
		await report('/Stopped', { PositionTicks: Math.round(movie.durationMs * 0.95) * 10_000 });
		expect(jellyfin.stateOf(JF_ALICE.id, movie)).toMatchObject({ played: true, positionMs: 0 });
		const changed = await until("alice's UserDataChanged", () => byType(alice, 'UserDataChanged')[0]);
		expect(changed.Data).toMatchObject({ UserId: JF_ALICE.id, UserDataList: [{ ItemId: id, Played: true }] });
		expect((byType(admin, 'Sessions').at(-1)!.Data as unknown[]).length).toBe(0);
		// A manual un-mark, by the API key for alice: alice's socket hears it, carol's and the key's do not.
		await fetch(`${jellyfin.url}/UserPlayedItems/${id}?userId=${JF_ALICE.id}`, { method: 'DELETE', headers: jellyfinAuth(API_KEY) });
		await until('the un-mark', () => (byType(alice, 'UserDataChanged').length === 2 ? true : undefined));
		expect(byType(alice, 'UserDataChanged')[1].Data).toMatchObject({ UserDataList: [{ ItemId: id, Played: false }] });
		expect(byType(admin, 'UserDataChanged')).toEqual([]);
		expect(byType(carol, 'UserDataChanged')).toEqual([]);
		// A playback report needs a user's session: the API key is refused.
		expect((await fetch(`${jellyfin.url}/Sessions/Playing`, { method: 'POST', headers: { ...jellyfinAuth(API_KEY), 'content-type': 'application/json' }, body: JSON.stringify({ ItemId: id }) })).status).toBe(400);
		for (const s of [admin, alice, carol]) s.ws.close();
	});
});

describe('Emby socket', () => {
	it('takes a socket on /embywebsocket only, with a valid token (401 otherwise)', async () => {
		expect(await refusal(ws(emby, '/embywebsocket'), { 'X-Emby-Token': 'dummy-wrong' })).toBe(401);
		expect(await refusal(ws(emby, '/socket'), { 'X-Emby-Token': API_KEY })).toBe(404);
		const s = await open(ws(emby, `/embywebsocket?api_key=${API_KEY}`));
		s.ws.send(JSON.stringify({ MessageType: 'SessionsStart', Data: '0,1500' }));
		const first = await until('Sessions', () => byType(s, 'Sessions')[0]);
		expect(first.Data).toEqual([]);
		s.ws.close();
	});
});

describe("the Watcher's reading of the emulated channels", () => {
	it('Plex: a play, a pause and a stop at 95 % read as play, pause, scrobble; the mark as a change of that account', async () => {
		const owner$ = await open(ws(plex, '/:/websockets/notifications'), { 'X-Plex-Token': owner.token });
		const movie = library.movies[2];
		const key = plex.keyOf(movie);
		const report = (state: string, time: number) => plexTimeline(bob.token, 'dummy-tv', movie, state, time);
		await report('playing', 1000);
		await report('paused', 2000);
		await report('stopped', Math.round(movie.durationMs * 0.95));
		await until('four notifications', () => (owner$.messages.length >= 4 ? true : undefined));
		const tracker = new PlaybackTracker();
		const events: string[] = [];
		const changes: string[] = [];
		for (const m of owner$.messages) {
			const read = readPlexNotification(JSON.stringify(m));
			if (!Array.isArray(read)) continue;
			for (const signal of read) {
				if (signal.kind === 'changed') changes.push(`${signal.accountId}:${signal.itemId}`);
				else if (signal.state === 'stopped') events.push(...tracker.end(signal.key, { positionMs: signal.positionMs, durationMs: movie.durationMs }).map((t) => t.event));
				else events.push(...tracker.update({ key: signal.key, userId: 'from /status/sessions', itemId: signal.itemId, positionMs: signal.positionMs, durationMs: movie.durationMs, paused: signal.state === 'paused' }).map((t) => t.event));
			}
		}
		expect(events).toEqual(['play', 'pause', 'scrobble']);
		expect(changes).toEqual([`7:${key}`]);
		owner$.ws.close();
	});

	it("Jellyfin: the Sessions list of an API key socket reads as play, pause, stop for the right user, and the stop's position is not in it", async () => {
		const admin = await open(ws(jellyfin, '/socket'), jellyfinAuth(API_KEY));
		admin.ws.send(JSON.stringify({ MessageType: 'SessionsStart', Data: '0,1500' }));
		await until('the first Sessions', () => byType(admin, 'Sessions')[0]);
		const movie = library.movies[3];
		const id = jellyfin.idOf(movie);
		const report = (route: string, body: Record<string, unknown>) => jellyfinReport(JF_CAROL.token, id, route, body);
		await report('', { PositionTicks: 0 });
		await report('/Progress', { PositionTicks: 10_000_000, IsPaused: true });
		await report('/Stopped', { PositionTicks: Math.round(movie.durationMs * 0.95) * 10_000 });
		await until('four Sessions', () => (byType(admin, 'Sessions').length >= 4 ? true : undefined));
		const tracker = new PlaybackTracker();
		const events: Array<[string, string]> = [];
		for (const m of byType(admin, 'Sessions')) {
			const read = readMediaBrowserMessage(JSON.stringify(m));
			if (read.kind !== 'sessions') throw new Error(`unexpected ${read.kind}`);
			events.push(...tracker.replaceAll(read.sessions).map((t): [string, string] => [t.event, t.session.userId]));
		}
		// A stopped session just leaves the list: the position of the stop (95 %) is never in it, only
		// the last progress report's (1 s). So the list alone reads a finished play as a stop; the
		// Watcher has to read the item's user data when a session ends (the server applied
		// UpdatePlayState: played), never conclude from the list.
		expect(events.map((e) => e[0])).toEqual(['play', 'pause', 'stop']);
		expect(events.every((e) => e[1] === JF_CAROL.id)).toBe(true);
		expect(jellyfin.stateOf(JF_CAROL.id, movie).played).toBe(true);
		admin.ws.close();
	});
});
