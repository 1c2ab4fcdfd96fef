import { PlexTrigger } from '../../nodes/PlexTrigger/PlexTrigger.node';
import { freezeDate, RECEIVED_AT } from '../support/clock';
import { describeWithFixtures, fixtureJson, fixtureText } from '../support/fixtures';
import { callTrigger, jsonRequest, multipart, parseLikeN8n, type RawRequest } from '../support/webhook';

const node = new PlexTrigger();
const TOKEN = 'dummy-plex-token-0123456789';
const params = (options = {}) => ({ token: TOKEN, options });
const withToken = { apikey: TOKEN };

/** Plex's real transport: multipart with a `payload` part that has its own JSON content type. */
function plexRequest(payload: string, extra: Parameters<typeof multipart>[0] = [], query: Record<string, unknown> = withToken): RawRequest {
	const body = multipart([{ name: 'payload', value: payload, contentType: 'application/json' }, ...extra]);
	return { headers: { ...body.headers, 'user-agent': 'PlexMediaServer/1.43.0.10492-121068a07' }, query, body: body.body };
}

const STOP_MOVIE = {
	backend: 'plex',
	serverId: '0123456789abcdef0123456789abcdef01234567',
	serverName: 'emulator-plex',
	userId: '1',
	userName: 'alice',
	type: 'movie',
	id: '1001',
	title: 'The Dark Knight',
	year: 2008,
	library: { id: '1', title: 'Movies', type: 'movie' },
	guids: { imdb: 'tt0468569', tmdb: '155', tvdb: '194' },
	sourceGuid: 'plex://movie/000000000000000000001001',
	played: null,
	positionMs: 5421000,
	durationMs: 9120000,
	progress: 59.44,
	addedAt: '2024-05-06T12:53:20.000Z',
	metadataUpdatedAt: '2024-05-18T02:40:00.000Z',
	updatedAt: RECEIVED_AT,
	event: 'stop',
	sourceEvent: 'media.stop',
	tainted: true,
	receivedAt: RECEIVED_AT,
	player: { title: 'Chrome', id: 'x1y2z3a4b5c6d7e8f9g0h1i2', local: true, address: '203.0.113.10' },
};

describeWithFixtures('Plex Trigger on the shared payloads', () => {
	freezeDate();

	it('normalizes a captured media.scrobble of an episode (payload as a file part)', async () => {
		const r = await callTrigger(node, plexRequest(fixtureText('specs/plex/webhook-media.scrobble-episode.json')), params());
		expect(r.status).toBe(200);
		expect(r.body).toEqual({ status: 'accepted', event: 'scrobble', item: '40294' });
		expect(r.items).toHaveLength(1);
		expect(r.items![0].json).toStrictEqual({
			backend: 'plex',
			serverId: 'xxxx',
			serverName: 'Media-Server',
			userId: '31646104',
			userName: '播放',
			type: 'episode',
			id: '40294',
			title: "The World's Strongest Senior",
			year: 2021,
			show: { id: '40275', title: '范马刃牙', guids: {} },
			season: 1,
			episode: 1,
			seasonId: '40291',
			seasonTitle: 'Combat Shadow Fighting Saga / Great Prison Battle Saga',
			library: { id: '7', title: '动漫剧集', type: 'show' },
			guids: { imdb: 'tt14765720', tmdb: '3087250', tvdb: '8530933' },
			sourceGuid: 'plex://episode/615580a9fa828e7f1a0caabd',
			played: true,
			durationMs: 1500000,
			playedAt: '2023-09-10T04:34:04.000Z',
			addedAt: '2023-08-04T02:14:41.000Z',
			metadataUpdatedAt: '2023-09-01T05:01:44.000Z',
			updatedAt: RECEIVED_AT,
			event: 'scrobble',
			sourceEvent: 'media.scrobble',
			tainted: false,
			receivedAt: RECEIVED_AT,
			player: { title: 'MagicBook', id: 'wu0uoa1ujfq90t0c5p9f7fw0', local: false, address: 'xx.xx.xx.xx' },
		});
	});

	it('gets the payload as a file part from n8n, as a real Plex request does', async () => {
		const parsed = await parseLikeN8n(plexRequest(fixtureText('specs/plex/webhook-media.stop-movie.json')));
		const body = parsed.body as { data: Record<string, unknown>; files: Record<string, { mimetype: string }> };
		expect(body.data.payload).toBeUndefined();
		expect(body.files.payload.mimetype).toBe('application/json');
	});

	it('normalizes media.stop of a movie as a tainted stop with its position', async () => {
		const r = await callTrigger(node, plexRequest(fixtureText('specs/plex/webhook-media.stop-movie.json')), params());
		expect(r.status).toBe(200);
		expect(r.items![0].json).toStrictEqual(STOP_MOVIE);
	});

	it('answers 200 and starts nothing for the documented music example', async () => {
		const r = await callTrigger(node, plexRequest(fixtureText('specs/plex/webhook-media.play-track-docs-example.json')), params());
		expect(r.status).toBe(200);
		expect(r.body).toEqual({ status: 'ignored', reason: 'item type "track" is not synced (movies and episodes only)' });
		expect(r.items).toBeUndefined();
	});

	it('reads the payload from a bare field too, and keeps the thumb as binary when asked', async () => {
		const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);
		const body = multipart([
			{ name: 'payload', value: fixtureText('specs/plex/webhook-media.stop-movie.json') },
			{ name: 'thumb', value: jpeg, contentType: 'image/jpeg', filename: 'thumb.jpg' },
		]);
		const r = await callTrigger(node, { headers: body.headers, query: withToken, body: body.body }, params({ includeThumb: true }));
		expect(r.items![0].json).toStrictEqual(STOP_MOVIE);
		expect(r.items![0].binary!.thumb).toMatchObject({ mimeType: 'image/jpeg', fileName: 'thumb.jpg', data: jpeg.toString('base64') });
	});

	it('leaves the thumb out by default and adds the raw payload only when asked', async () => {
		const payload = fixtureText('specs/plex/webhook-media.stop-movie.json');
		const thumb = { name: 'thumb', value: Buffer.from('jpeg'), contentType: 'image/jpeg', filename: 'thumb.jpg' };
		const plain = await callTrigger(node, plexRequest(payload, [thumb]), params());
		expect(plain.items![0].binary).toBeUndefined();
		expect(plain.items![0].json.raw).toBeUndefined();
		const raw = await callTrigger(node, plexRequest(payload), params({ includeRaw: true }));
		expect(raw.items![0].json.raw).toEqual(fixtureJson('specs/plex/webhook-media.stop-movie.json'));
	});

	it('accepts the token in an X-apikey header', async () => {
		const req = plexRequest(fixtureText('specs/plex/webhook-media.stop-movie.json'), [], {});
		req.headers!['x-apikey'] = TOKEN;
		const r = await callTrigger(node, req, params());
		expect(r.status).toBe(200);
		expect(r.items).toHaveLength(1);
	});
});

describe('Plex Trigger rejects what it must not run', () => {
	freezeDate();
	const movie = {
		event: 'media.scrobble',
		Account: { id: 1, title: 'alice' },
		Server: { uuid: 'server-a', title: 'Home' },
		Metadata: { type: 'movie', ratingKey: '7', title: 'Heat', year: 1995, Guid: [{ id: 'imdb://tt0113277' }] },
	};
	const req = (payload: unknown, query: Record<string, unknown> = withToken) =>
		plexRequest(typeof payload === 'string' ? payload : JSON.stringify(payload), [], query);

	it.each([
		['no token', {}, 401, 'missing token: send ?apikey= or an X-apikey header'],
		['a wrong token', { apikey: 'dummy-plex-token-0123456788' }, 401, 'invalid token'],
		['a token given twice', { apikey: [TOKEN, TOKEN] }, 401, 'missing token: send ?apikey= or an X-apikey header'],
	])('answers %s with 401 and runs nothing', async (_label, query, status, error) => {
		const r = await callTrigger(node, req(movie, query), params());
		expect(r).toMatchObject({ status, body: { error }, items: undefined });
		expect(JSON.stringify(r.body)).not.toContain(TOKEN);
	});

	it.each([
		['an empty token', { token: '', options: {} }, { apikey: '' }],
		['no credential at all', { options: {} }, { apikey: 'anything' }],
	])('refuses every request while the credential has %s', async (_label, settings, query) => {
		const r = await callTrigger(node, req(movie, query), settings);
		expect(r.status).toBe(401);
		expect(r.items).toBeUndefined();
	});

	it.each([
		['truncated JSON', '{"event":"media.scrobble","Metadata":{"type":"mov', 400, /^body is not valid JSON/],
		['a JSON array', '[1,2,3]', 400, /^payload must be a JSON object/],
		['a foreign (Jellyfin) payload', '{"NotificationType":"PlaybackStop","ItemId":"x"}', 400, /^`event` is missing/],
		['Metadata as an array', { ...movie, Metadata: [] }, 400, /^`Metadata` must be an object/],
		['no Metadata', { event: 'media.stop', Account: { id: 1 } }, 400, /^`Metadata` is missing/],
		['a 10 kB item id', { ...movie, Metadata: { ...movie.Metadata, ratingKey: 'x'.repeat(10_000) } }, 400, /longer than 128/],
		['an object as item id', { ...movie, Metadata: { ...movie.Metadata, ratingKey: { a: 1 } } }, 400, /ratingKey` must be/],
		['a 2 MB payload', { ...movie, junk: 'x'.repeat(2_000_000) }, 413, /larger than 1 MiB/],
	])('rejects %s and runs nothing', async (_label, payload, status, error) => {
		const r = await callTrigger(node, req(payload), params());
		expect(r.status).toBe(status);
		expect(String(r.body!.error)).toMatch(error as RegExp);
		expect(r.items).toBeUndefined();
	});

	it('answers 400 when the multipart request has no payload part', async () => {
		const body = multipart([{ name: 'other', value: '{}' }]);
		const r = await callTrigger(node, { headers: body.headers, query: withToken, body: body.body }, params());
		expect(r).toMatchObject({ status: 400, body: { error: 'multipart request has no `payload` part (plex webhook)' } });
	});

	it('cuts huge titles instead of copying them into the workflow', async () => {
		const r = await callTrigger(node, req({ ...movie, Metadata: { ...movie.Metadata, title: 'T'.repeat(100_000) } }), params());
		expect(r.status).toBe(200);
		expect((r.items![0].json.title as string).length).toBe(1024);
	});

	it.each([
		['admin.database.backup', 'admin.database.backup is a server admin event'],
		['device.new', 'device.new is a device event, not a watch-state change'],
		['playback.started', "playback.started is the owner's copy of a shared user's media.play"],
		['media.transcode', 'unknown Plex event "media.transcode"'],
	])('answers 200 and ignores %s', async (event, reason) => {
		const r = await callTrigger(node, req({ ...movie, event }), params());
		expect(r).toMatchObject({ status: 200, body: { status: 'ignored', reason }, items: undefined });
	});

	it.each([
		[{ users: '2, bob' }, 'user is not one the trigger accepts'],
		[{ servers: 'server-b' }, 'server is not one the trigger accepts'],
		[{ events: ['play', 'stop'] }, 'event "scrobble" is not selected in the trigger\'s event filter'],
	])('answers 200 and runs nothing when %j does not match', async (options, reason) => {
		const r = await callTrigger(node, req(movie), params(options));
		expect(r).toMatchObject({ status: 200, body: { status: 'ignored', reason }, items: undefined });
	});

	it('runs when user (by id or by name, any case) and server match', async () => {
		for (const users of ['1', 'ALICE', 'bob, alice']) {
			const r = await callTrigger(node, req(movie), params({ users, servers: 'server-a', events: ['scrobble'] }));
			expect(r.items).toHaveLength(1);
		}
	});

	it('reads legacy agent guids, including the thetvdb show/season/episode form', async () => {
		const episode = {
			event: 'media.scrobble',
			Account: { id: 1, title: 'alice' },
			Metadata: {
				type: 'episode',
				ratingKey: '9',
				title: 'Ozymandias',
				grandparentTitle: 'Breaking Bad',
				guid: 'com.plexapp.agents.thetvdb://81189/5/14?lang=en',
			},
		};
		const r = await callTrigger(node, req(episode), params());
		expect(r.items![0].json).toMatchObject({
			guids: {},
			show: { title: 'Breaking Bad', guids: { tvdb: '81189' } },
			season: 5,
			episode: 14,
			played: true,
			playedAt: RECEIVED_AT,
		});
	});

	it('answers 500 without details when the node itself fails, and logs it', async () => {
		const broken = { ...plexRequest(JSON.stringify(movie)) };
		const r = await callTrigger(node, broken, { token: TOKEN, options: null as never });
		expect(r.status).toBe(500);
		expect(r.items).toBeUndefined();
		expect(r.logged[0]).toMatch(/^plex trigger could not handle a webhook/);
	});

	it('accepts a JSON body as well (for relays that re-post the payload)', async () => {
		const r = await callTrigger(node, jsonRequest(movie, 'application/json', withToken), params());
		expect(r.items![0].json).toMatchObject({ id: '7', event: 'scrobble', guids: { imdb: 'tt0113277' } });
	});
});
