import { TautulliTrigger } from '../../nodes/TautulliTrigger/TautulliTrigger.node';
import { freezeDate, RECEIVED_AT } from '../support/clock';
import { describeWithFixtures, fixtureJson, fixtureText } from '../support/fixtures';
import { callTrigger, type RawRequest } from '../support/webhook';

const node = new TautulliTrigger();
const TOKEN = 'tautulli-secret';
const params = (options = {}) => ({ token: TOKEN, httpMethod: 'PUT', options });
const send = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): RawRequest => ({
	headers: { ...headers, 'user-agent': 'Tautulli/2.15.2' },
	query: {},
	body,
});
const withHeaderToken = { 'content-type': 'application/json', 'x-apikey': TOKEN };

describeWithFixtures('Tautulli Trigger on the seed-template payloads', () => {
	freezeDate();

	it('normalizes tautulli.watched of an episode: show-level ids go to the show, never to the episode', async () => {
		const r = await callTrigger(node, send(fixtureText('specs/tautulli/webhook-tautulli.watched-episode.json'), withHeaderToken), params());
		expect(r.status).toBe(200);
		expect(r.items![0].json).toStrictEqual({
			backend: 'tautulli',
			serverId: '0123456789abcdef0123456789abcdef01234567',
			serverName: 'emulator-plex',
			userId: '12345678',
			userName: 'alice',
			type: 'episode',
			id: '2001',
			title: 'Pilot',
			show: { id: '1999', title: 'Breaking Bad', year: 2008, guids: { imdb: 'tt0903747', tmdb: '1396', tvdb: '81189', tvmaze: '169' } },
			season: 1,
			episode: 1,
			seasonId: '2000',
			seasonTitle: 'Season 1',
			library: { id: '2', title: 'TV Shows' },
			guids: {},
			sourceGuid: 'plex://episode/000000000000000000002001',
			played: true,
			positionMs: 2958000,
			durationMs: 3480000,
			progress: 85,
			playedAt: RECEIVED_AT,
			addedAt: '2024-05-06T00:00:00.000Z',
			metadataUpdatedAt: '2024-05-18T00:00:00.000Z',
			updatedAt: RECEIVED_AT,
			event: 'scrobble',
			sourceEvent: 'tautulli.watched',
			tainted: false,
			receivedAt: RECEIVED_AT,
			player: { title: 'Living Room TV', id: 'a1b2c3d4e5f6a7b8-com-plexapp-android', local: true, address: '192.168.1.50' },
		});
	});

	it('normalizes tautulli.play of a movie with its string values cast and empty ones dropped', async () => {
		const r = await callTrigger(node, send(fixtureText('specs/tautulli/webhook-tautulli.play-movie.json'), withHeaderToken), params());
		expect(r.items![0].json).toStrictEqual({
			backend: 'tautulli',
			serverId: '0123456789abcdef0123456789abcdef01234567',
			serverName: 'emulator-plex',
			userId: '12345678',
			userName: 'alice',
			type: 'movie',
			id: '1001',
			title: 'The Dark Knight',
			library: { id: '1', title: 'Movies' },
			guids: { imdb: 'tt0468569', tmdb: '155' },
			sourceGuid: 'plex://movie/000000000000000000001001',
			played: null,
			positionMs: 0,
			durationMs: 9120000,
			progress: 0,
			addedAt: '2024-05-06T00:00:00.000Z',
			metadataUpdatedAt: '2024-05-18T00:00:00.000Z',
			updatedAt: RECEIVED_AT,
			event: 'play',
			sourceEvent: 'tautulli.play',
			tainted: true,
			receivedAt: RECEIVED_AT,
			player: { title: 'Living Room TV', id: 'a1b2c3d4e5f6a7b8-com-plexapp-android', local: false, address: '192.168.1.50' },
		});
	});

	it('rejects the unrendered template (placeholders are not ids)', async () => {
		const r = await callTrigger(node, send(fixtureText('specs/tautulli/template-watchstate-seed.json'), withHeaderToken), params());
		expect(r).toMatchObject({ status: 200, body: { status: 'ignored' }, items: undefined });
		expect(r.body!.reason).toBe('tautulli.{action} is not a watch-state event');
	});

	it('maps each Tautulli action', async () => {
		const payload = fixtureJson('specs/tautulli/webhook-tautulli.play-movie.json');
		const expected: Record<string, string> = {
			'tautulli.pause': 'pause',
			'tautulli.resume': 'resume',
			'tautulli.stop': 'stop',
			'tautulli.created': 'added',
		};
		for (const [event, normalized] of Object.entries(expected)) {
			const r = await callTrigger(node, send(JSON.stringify({ ...payload, event }), withHeaderToken), params());
			expect(r.items![0].json).toMatchObject({ event: normalized, tainted: true, played: null });
		}
		const buffer = await callTrigger(node, send(JSON.stringify({ ...payload, event: 'tautulli.buffer' }), withHeaderToken), params());
		expect(buffer).toMatchObject({ status: 200, body: { reason: 'tautulli.buffer is not a watch-state event' }, items: undefined });
	});

	it.each([
		['a Plex payload', { event: 'media.play' }, 400, /^`event` must be "tautulli.\{action\}"/],
		['no Metadata', { event: 'tautulli.play' }, 400, /^`Metadata` is missing/],
		['a non-numeric-looking rating key object', { event: 'tautulli.play', Metadata: { type: 'movie', ratingKey: [1] } }, 400, /ratingKey` must be/],
	])('rejects %s', async (_label, payload, status, error) => {
		const r = await callTrigger(node, send(JSON.stringify(payload), withHeaderToken), params());
		expect(r.status).toBe(status);
		expect(String(r.body!.error)).toMatch(error);
	});

	it('requires the token', async () => {
		const r = await callTrigger(node, send(fixtureText('specs/tautulli/webhook-tautulli.play-movie.json')), params());
		expect(r).toMatchObject({ status: 401, items: undefined });
	});

	it('listens with the method chosen in the node (Tautulli lets the admin pick PUT)', () => {
		const hook = node.description.webhooks![0];
		expect(hook.httpMethod).toBe('={{$parameter["httpMethod"]}}');
		const methodParam = node.description.properties.find((p) => p.name === 'httpMethod');
		expect(methodParam!.options!.map((o) => (o as { value: string }).value)).toEqual(['POST', 'PUT']);
	});

	it('ignores non-video media types with 200', async () => {
		const payload = fixtureJson<{ Metadata: Record<string, unknown> }>('specs/tautulli/webhook-tautulli.play-movie.json');
		payload.Metadata.type = 'track';
		const r = await callTrigger(node, send(JSON.stringify(payload), withHeaderToken), params());
		expect(r.body).toEqual({ status: 'ignored', reason: 'item type "track" is not synced (movies and episodes only)' });
	});
});
