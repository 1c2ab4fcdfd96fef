import { EmbyTrigger } from '../../nodes/EmbyTrigger/EmbyTrigger.node';
import { freezeDate, RECEIVED_AT } from '../support/clock';
import { describeWithFixtures, fixtureJson, fixtureText } from '../support/fixtures';
import { callTrigger, multipart, type RawRequest } from '../support/webhook';

const node = new EmbyTrigger();
const TOKEN = 'emby-secret-42';
const params = (options = {}) => ({ token: TOKEN, options });

/** Emby 4.8 sends JSON; 4.9 (default setting) and older send multipart with a `data` field. */
const asJson = (body: string): RawRequest => ({
	headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Emby Server/4.8.11.0' },
	query: { apikey: TOKEN },
	body,
});
const asMultipart = (body: string): RawRequest => {
	const m = multipart([{ name: 'data', value: body }]);
	return { headers: m.headers, query: { apikey: TOKEN }, body: m.body };
};

const STOP_MOVIE = {
	backend: 'emby',
	serverId: 'f40a5bd0c6b64051bdbed00580fa1118',
	serverName: 'PN41',
	userId: 'e6a9dd89fd954d689870e7e0e3e72947',
	userName: 'admin',
	type: 'movie',
	id: '240270',
	title: '蜘蛛侠：纵横宇宙',
	year: 2023,
	guids: { imdb: 'tt9362722', tmdb: '569094' },
	played: null,
	positionMs: 1743179,
	durationMs: 8043959,
	progress: 21.67,
	addedAt: '2023-06-21T21:01:27.000Z',
	updatedAt: '2023-08-19T00:49:07.852Z',
	event: 'stop',
	sourceEvent: 'playback.stop',
	tainted: true,
	receivedAt: RECEIVED_AT,
	player: { title: 'Microsoft Edge Windows', id: '30239450-1748-4855-9799-de3544fc2744', address: '10.10.10.253' },
};

describeWithFixtures('Emby Trigger on the shared payloads', () => {
	freezeDate();

	it('normalizes a captured playback.stop (not completed) as a tainted stop', async () => {
		const r = await callTrigger(node, asJson(fixtureText('specs/emby/webhook-playback.stop-movie.json')), params());
		expect(r.status).toBe(200);
		expect(r.body).toEqual({ status: 'accepted', event: 'stop', item: '240270' });
		expect(r.items![0].json).toStrictEqual(STOP_MOVIE);
	});

	it('reads the same event from the multipart `data` field', async () => {
		const r = await callTrigger(node, asMultipart(fixtureText('specs/emby/webhook-playback.stop-movie.json')), params());
		expect(r.items![0].json).toStrictEqual(STOP_MOVIE);
	});

	it('reads the `data` field when it is a file part with its own content type', async () => {
		const m = multipart([{ name: 'data', value: fixtureText('specs/emby/webhook-playback.stop-movie.json'), contentType: 'application/json' }]);
		const r = await callTrigger(node, { headers: m.headers, query: { apikey: TOKEN }, body: m.body }, params());
		expect(r.items![0].json).toStrictEqual(STOP_MOVIE);
	});

	it('normalizes a captured playback.start of an episode', async () => {
		const r = await callTrigger(node, asMultipart(fixtureText('specs/emby/webhook-playback.start-episode.json')), params());
		expect(r.items![0].json).toStrictEqual({
			backend: 'emby',
			serverId: 'f40a5bd0c6b64051bdbed00580fa1118',
			serverName: 'PN41',
			userId: 'e6a9dd89fd954d689870e7e0e3e72947',
			userName: 'admin',
			type: 'episode',
			id: '240252',
			title: '第 11 集',
			year: 2023,
			show: { id: '240202', title: '长风渡', guids: {} },
			season: 1,
			episode: 11,
			seasonId: '240203',
			seasonTitle: '季 1',
			guids: { tmdb: '4533239' },
			played: null,
			positionMs: 1425666,
			durationMs: 2802145,
			progress: 50.88,
			addedAt: '2023-06-21T10:51:06.000Z',
			updatedAt: '2023-08-19T00:52:20.520Z',
			event: 'play',
			sourceEvent: 'playback.start',
			tainted: true,
			receivedAt: RECEIVED_AT,
			player: { title: 'Microsoft Edge Windows', id: '30239450-1748-4855-9799-de3544fc2744', address: '10.10.10.253' },
		});
	});

	it('normalizes item.markplayed as an explicit played mark', async () => {
		const r = await callTrigger(node, asJson(fixtureText('specs/emby/webhook-item.markplayed-episode.json')), params());
		expect(r.items![0].json).toStrictEqual({
			backend: 'emby',
			serverId: 'a1b2c3d4e5f64718293a4b5c6d7e8f90',
			serverName: 'emulator-emby',
			userId: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
			userName: 'alice',
			type: 'episode',
			id: '5012',
			title: 'Pilot',
			year: 2008,
			show: { id: '5009', title: 'Breaking Bad', guids: {} },
			season: 1,
			episode: 1,
			seasonId: '5010',
			seasonTitle: 'Season 1',
			guids: { imdb: 'tt0959621', tvdb: '349232' },
			played: true,
			durationMs: 3480000,
			playedAt: '2025-06-01T19:50:02.123Z',
			addedAt: '2024-05-06T18:25:03.000Z',
			updatedAt: '2025-06-01T19:50:02.123Z',
			event: 'played',
			sourceEvent: 'item.markplayed',
			tainted: false,
			receivedAt: RECEIVED_AT,
		});
	});

	it('maps item.markunplayed and a completed stop', async () => {
		const marked = fixtureJson('specs/emby/webhook-item.markplayed-episode.json');
		const unmark = await callTrigger(node, asJson(JSON.stringify({ ...marked, Event: 'item.markunplayed' })), params());
		expect(unmark.items![0].json).toMatchObject({ event: 'unplayed', played: false, tainted: false });
		expect(unmark.items![0].json.playedAt).toBeUndefined();
		const stop = fixtureJson('specs/emby/webhook-playback.stop-movie.json') as { PlaybackInfo: Record<string, unknown> };
		stop.PlaybackInfo.PlayedToCompletion = true;
		const done = await callTrigger(node, asJson(JSON.stringify(stop)), params());
		expect(done.items![0].json).toMatchObject({ event: 'scrobble', played: true, tainted: false, playedAt: '2023-08-19T00:49:07.852Z' });
	});
});

describe('Emby Trigger event rules', () => {
	freezeDate();
	const base = {
		Event: 'playback.pause',
		Date: '2025-06-01T19:50:02.1234567Z',
		User: { Name: 'alice', Id: 'u1' },
		Item: { Id: '77', Type: 'Movie', Name: 'Heat', ProviderIds: { IMDB: 'tt0113277', tmdb: '949' }, RunTimeTicks: 600_000_000 },
		Server: { Id: 's1', Name: 'emby' },
		PlaybackInfo: { PositionTicks: 150_000_000 },
	};
	const send = (payload: unknown, options = {}) => callTrigger(node, asJson(JSON.stringify(payload)), params(options));

	it.each([
		['playback.pause', 'pause'],
		['playback.unpause', 'resume'],
		['item.rate', 'rate'],
	])('maps %s to a tainted %s with unknown played state, reading ProviderIds in any casing', async (Event, event) => {
		const r = await send({ ...base, Event });
		expect(r.items![0].json).toMatchObject({ event, tainted: true, played: null, guids: { imdb: 'tt0113277', tmdb: '949' }, progress: 25 });
	});

	it('answers the test button with 200 and a clear message, running nothing', async () => {
		const r = await send({ Title: 'Test', Event: 'system.notificationtest', Date: base.Date });
		expect(r).toMatchObject({
			status: 200,
			body: { status: 'ignored', reason: 'Emby test notification received; the trigger is reachable and the token is right' },
			items: undefined,
		});
	});

	it('drops playback.progress unless asked, and library.new without a user unless asked', async () => {
		expect((await send({ ...base, Event: 'playback.progress' })).items).toBeUndefined();
		expect((await send({ ...base, Event: 'playback.progress' }, { progressEvents: true })).items![0].json.event).toBe('progress');
		const added = { ...base, Event: 'library.new', User: undefined };
		expect((await send(added)).body!.reason).toBe('library.new names no user (enable Accept Events Without User to keep it)');
		expect((await send(added, { allowWithoutUser: true })).items![0].json).toMatchObject({ event: 'added', tainted: true });
	});

	it.each([
		['Item as a string', { ...base, Item: 'x' }, /^`Item` must be an object/],
		['no Item', { ...base, Item: undefined }, /^`Item` is missing \(Emby playback.pause\)$/],
		['no Event', { ...base, Event: undefined }, /^`Event` is missing/],
		['User as an array', { ...base, User: [1] }, /^`User` must be an object/],
		['a numeric Event', { ...base, Event: 5 }, /^`Event` is missing/],
	])('rejects %s with 400', async (_label, payload, error) => {
		const r = await send(payload);
		expect(r.status).toBe(400);
		expect(String(r.body!.error)).toMatch(error);
		expect(r.items).toBeUndefined();
	});

	it('rejects a multipart request without the data field, and a wrong token', async () => {
		const m = multipart([{ name: 'payload', value: '{}' }]);
		const r = await callTrigger(node, { headers: m.headers, query: { apikey: TOKEN }, body: m.body }, params());
		expect(r).toMatchObject({ status: 400, body: { error: 'multipart request has no `data` part (emby webhook)' } });
		const wrong = await callTrigger(node, { ...asJson(JSON.stringify(base)), query: { apikey: 'emby-secret-43' } }, params());
		expect(wrong).toMatchObject({ status: 401, items: undefined });
	});

	it.each([['Audio'], ['Series'], ['Photo']])('ignores %s items with 200', async (Type) => {
		const r = await send({ ...base, Item: { ...base.Item, Type } });
		expect(r).toMatchObject({ status: 200, body: { status: 'ignored' }, items: undefined });
	});
});
