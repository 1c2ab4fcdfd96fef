import { JellyfinTrigger } from '../../nodes/JellyfinTrigger/JellyfinTrigger.node';
import { freezeDate, RECEIVED_AT } from '../support/clock';
import { describeWithFixtures, fixtureJson, fixtureText } from '../support/fixtures';
import { callTrigger, type RawRequest } from '../support/webhook';

const node = new JellyfinTrigger();
const TOKEN = 'jf-secret-abcdef';
const params = (options = {}) => ({ token: TOKEN, options });

/** The plugin's default: the JSON body sent as text/plain. */
const textPlain = (body: string): RawRequest => ({
	headers: { 'content-type': 'text/plain; charset=utf-8', 'user-agent': 'Jellyfin-Server/10.11.8' },
	query: { apikey: TOKEN },
	body,
});

const STOP_EPISODE = {
	backend: 'jellyfin',
	serverId: '6f1f2a3b4c5d4e6f8a9b0c1d2e3f4a5b',
	serverName: 'emulator-jellyfin',
	userId: '5a0b1c2d3e4f40718293a4b5c6d7e8f9',
	userName: 'alice',
	type: 'episode',
	id: 'b1c2d3e4f5a6478899aabbccddeeff00',
	title: 'Pilot',
	show: { id: 'c2d3e4f5a6b7489900aabbccddeeff11', title: 'Breaking Bad', year: 2008, guids: {} },
	season: 1,
	episode: 1,
	seasonId: 'd3e4f5a6b7c8490011aabbccddeeff22',
	guids: { imdb: 'tt0959621', tvdb: '349232' },
	played: true,
	positionMs: 3312000,
	durationMs: 3480000,
	progress: 95.17,
	playedAt: '2025-06-01T19:47:12.364Z',
	updatedAt: '2025-06-01T19:47:12.364Z',
	event: 'scrobble',
	sourceEvent: 'PlaybackStop',
	tainted: false,
	receivedAt: RECEIVED_AT,
	player: {
		title: 'Firefox',
		id: 'TW96aWxsYS81LjAgKFgxMTsgTGludXggeDg2XzY0OyBydjoxMjYuMCkgR2Vja28vMjAxMDAxMDEgRmlyZWZveC8xMjYuMHwxNzE3MjY4ODAwMDAw',
		address: '192.168.1.50',
	},
};

describeWithFixtures('Jellyfin Trigger on the shared payloads', () => {
	freezeDate();

	it('normalizes a captured PlaybackStart (text/plain) as a tainted play with unknown played state', async () => {
		const r = await callTrigger(node, textPlain(fixtureText('specs/jellyfin/webhook-PlaybackStart-episode.json')), params());
		expect(r.status).toBe(200);
		expect(r.items![0].json).toStrictEqual({
			backend: 'jellyfin',
			serverId: 'd79d3a6261614419a114595a585xxxxx',
			serverName: 'nyanmisaka-jellyfin1',
			userId: '9783d2432b0d40a8a716b6aa46xxxxx',
			userName: 'Jeaven',
			type: 'episode',
			id: '4b92551344f53b560fb55cd6700xxxxx',
			title: '慕灼华逃婚离开',
			show: { title: '灼灼风流', year: 2023, guids: {} },
			season: 1,
			episode: 1,
			guids: { tmdb: '229210' },
			played: null,
			positionMs: 100,
			durationMs: 2707499,
			progress: 0,
			updatedAt: '2023-09-10T08:35:25.399Z',
			event: 'play',
			sourceEvent: 'PlaybackStart',
			tainted: true,
			receivedAt: RECEIVED_AT,
			player: { title: 'Edge Chromium', id: 'TW96aWxsxxxxxjA' },
		});
	});

	it('normalizes PlaybackStop with PlayedToCompletion as a scrobble', async () => {
		const r = await callTrigger(node, textPlain(fixtureText('specs/jellyfin/webhook-PlaybackStop-episode.json')), params());
		expect(r.items![0].json).toStrictEqual(STOP_EPISODE);
	});

	it('normalizes UserDataSaved/TogglePlayed as an explicit, untainted mark', async () => {
		const r = await callTrigger(node, textPlain(fixtureText('specs/jellyfin/webhook-UserDataSaved-TogglePlayed-movie.json')), params());
		expect(r.items![0].json).toStrictEqual({
			backend: 'jellyfin',
			serverId: '6f1f2a3b4c5d4e6f8a9b0c1d2e3f4a5b',
			serverName: 'emulator-jellyfin',
			userId: '5a0b1c2d3e4f40718293a4b5c6d7e8f9',
			userName: 'alice',
			type: 'movie',
			id: 'e4f5a6b7c8d9401122aabbccddeeff33',
			title: 'The Dark Knight',
			year: 2008,
			guids: { imdb: 'tt0468569', tmdb: '155' },
			played: true,
			positionMs: 0,
			durationMs: 9120000,
			progress: 0,
			playedAt: '2025-06-02T08:05:31.751Z',
			updatedAt: '2025-06-02T08:05:31.769Z',
			event: 'played',
			sourceEvent: 'UserDataSaved/TogglePlayed',
			tainted: false,
			receivedAt: RECEIVED_AT,
		});
	});

	it('reads the same payload sent as application/json and as a Generic Form (all strings)', async () => {
		const payload = fixtureJson('specs/jellyfin/webhook-PlaybackStop-episode.json');
		const asJson = await callTrigger(
			node,
			{ headers: { 'content-type': 'application/json' }, query: { apikey: TOKEN }, body: JSON.stringify(payload) },
			params(),
		);
		expect(asJson.items![0].json).toStrictEqual(STOP_EPISODE);
		const form = new URLSearchParams();
		for (const [k, v] of Object.entries(payload)) form.set(k, String(v));
		const asForm = await callTrigger(
			node,
			{ headers: { 'content-type': 'application/x-www-form-urlencoded' }, query: { apikey: TOKEN }, body: form.toString() },
			params(),
		);
		expect(asForm.items![0].json).toStrictEqual(STOP_EPISODE);
	});

	it('turns template-style dashed GUIDs into the dashless ids the API uses', async () => {
		const payload = fixtureJson('specs/jellyfin/webhook-PlaybackStop-episode.json');
		payload.ItemId = 'B1C2D3E4-F5A6-4788-99AA-BBCCDDEEFF00';
		payload.UserId = '5a0b1c2d-3e4f-4071-8293-a4b5c6d7e8f9';
		const r = await callTrigger(node, textPlain(JSON.stringify(payload)), params({ users: '5a0b1c2d3e4f40718293a4b5c6d7e8f9' }));
		expect(r.items![0].json).toMatchObject({ id: STOP_EPISODE.id, userId: STOP_EPISODE.userId });
	});
});

describe('Jellyfin Trigger event rules', () => {
	freezeDate();
	const base = {
		ServerId: 'srv1',
		NotificationType: 'PlaybackStop',
		UtcTimestamp: '2025-06-01T19:47:12.3644778Z',
		Name: 'Heat',
		ItemId: 'abc123',
		ItemType: 'Movie',
		RunTimeTicks: 100_000_000_000,
		PlaybackPositionTicks: 50_000_000_000,
		Provider_imdb: 'tt0113277',
		UserId: 'user1',
		NotificationUsername: 'alice',
	};
	const send = (payload: unknown, options = {}) => callTrigger(node, textPlain(JSON.stringify(payload)), params(options));

	it.each([
		[{ NotificationType: 'PlaybackStop', PlayedToCompletion: false }, { event: 'stop', played: null, tainted: true }],
		[{ NotificationType: 'PlaybackStart' }, { event: 'play', played: null, tainted: true }],
		[{ NotificationType: 'UserDataSaved', SaveReason: 'TogglePlayed', Played: false }, { event: 'unplayed', played: false, tainted: false }],
		[{ NotificationType: 'UserDataSaved', SaveReason: 'PlaybackFinished', Played: true }, { event: 'scrobble', played: true, tainted: false }],
		[{ NotificationType: 'UserDataSaved', SaveReason: 'PlaybackFinished', Played: false }, { event: 'stop', played: false, tainted: true }],
		[{ NotificationType: 'UserDataSaved', SaveReason: 'UpdateUserData', Played: false }, { event: 'progress', played: false, tainted: true }],
		[{ NotificationType: 'UserDataSaved', SaveReason: 'UpdateUserRating', Played: true }, { event: 'rate', played: true, tainted: true }],
	])('maps %j to %j', async (patch, expected) => {
		const r = await send({ ...base, ...patch });
		expect(r.items![0].json).toMatchObject({ ...expected, positionMs: 5_000_000, progress: 50 });
	});

	it('drops PlaybackProgress unless Progress Events is on, then tells pause from progress', async () => {
		const progress = { ...base, NotificationType: 'PlaybackProgress', IsPaused: true };
		expect((await send(progress)).body).toEqual({
			status: 'ignored',
			reason: 'PlaybackProgress is dropped (enable the Progress Events option to keep it)',
		});
		expect((await send(progress, { progressEvents: true })).items![0].json).toMatchObject({ event: 'pause', tainted: true });
		expect((await send({ ...progress, IsPaused: false }, { progressEvents: true })).items![0].json.event).toBe('progress');
		expect((await send({ ...base, NotificationType: 'UserDataSaved', SaveReason: 'PlaybackProgress' })).items).toBeUndefined();
	});

	it('drops ItemAdded (no user) unless Accept Events Without User is on', async () => {
		const added = { ...base, NotificationType: 'ItemAdded', UserId: undefined, NotificationUsername: undefined };
		const dropped = await send(added);
		expect(dropped).toMatchObject({ status: 200, items: undefined });
		expect(dropped.body!.reason).toBe('ItemAdded names no user (enable Accept Events Without User to keep it)');
		const kept = await send(added, { allowWithoutUser: true });
		expect(kept.items![0].json).toMatchObject({ event: 'added', tainted: true, played: null });
		expect(kept.items![0].json.userId).toBeUndefined();
		// A user filter still refuses an event that names nobody.
		expect((await send(added, { allowWithoutUser: true, users: 'alice' })).items).toBeUndefined();
	});

	it.each([
		[{ NotificationType: 'AuthenticationSuccess' }, 'AuthenticationSuccess is not a watch-state event'],
		[{ ItemType: 'Audio' }, 'item type "Audio" is not synced (movies and episodes only)'],
		[{ ItemType: 'Series' }, 'item type "Series" is not synced (movies and episodes only)'],
		[{ NotificationType: 'UserDataSaved', SaveReason: 'Import' }, 'UserDataSaved/Import is not a watch-state change'],
		[{ NotificationType: 'UserDataSaved', SaveReason: 'TogglePlayed', Played: 'maybe' }, 'UserDataSaved/TogglePlayed without a Played value'],
	])('answers 200 and ignores %j', async (patch, reason) => {
		const r = await send({ ...base, ...patch });
		expect(r).toMatchObject({ status: 200, body: { status: 'ignored', reason }, items: undefined });
	});

	it.each([
		['truncated JSON', '{"NotificationType":"PlaybackStop","ItemId":"abc', 400, /^body is not valid JSON/],
		['an empty body', '   ', 400, /^request body is empty/],
		['a Plex payload', JSON.stringify({ event: 'media.play', Metadata: {} }), 400, /^`NotificationType` is missing/],
		['an array', JSON.stringify([base]), 400, /^payload must be a JSON object/],
		['no ItemId', JSON.stringify({ ...base, ItemId: undefined }), 400, /^`ItemId` is missing \(Jellyfin PlaybackStop\)$/],
		['no ItemType', JSON.stringify({ ...base, ItemType: undefined }), 400, /^`ItemType` is missing/],
		['an ItemId array', JSON.stringify({ ...base, ItemId: ['a'] }), 400, /^`ItemId` must be a string or a number/],
	])('rejects %s', async (_label, body, status, error) => {
		const r = await callTrigger(node, textPlain(body as string), params());
		expect(r.status).toBe(status);
		expect(String(r.body!.error)).toMatch(error as RegExp);
		expect(r.items).toBeUndefined();
	});

	it('never lets an unknown Played value become unplayed', async () => {
		const r = await send({ ...base, NotificationType: 'UserDataSaved', SaveReason: 'UpdateUserData', Played: 'yes' });
		expect(r.items![0].json).toMatchObject({ played: null, tainted: true });
	});
});
