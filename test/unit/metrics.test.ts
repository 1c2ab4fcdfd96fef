/**
 * Playback events as history points: the Telegraf plex webhooks field set, typed, and line
 * protocol that a strict InfluxDB parser reads back exactly, whatever the titles hold.
 */
import fc from 'fast-check';
import { InfluxEmulator, parseBody, parseLine } from '../../dev/emulators/influx';
import { PlexTrigger } from '../../nodes/PlexTrigger/PlexTrigger.node';
import { eventMetrics, plexMetrics, type Metrics } from '../../nodes/shared/metrics/fields';
import { toLine } from '../../nodes/shared/metrics/lineprotocol';
import type { WatchEvent } from '../../nodes/shared/model';
import { freezeDate, RECEIVED_AT } from '../support/clock';
import { callTrigger, multipart } from '../support/webhook';

const TOKEN = 'dummy-plex-token-0123456789';
/** Plex's metadata paths (the "keys" of an item's parents). */
const metadata = (ratingKey: number) => `/library/metadata/${ratingKey}`;

const plexStop = (over: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
	event: 'media.stop',
	user: true,
	owner: false,
	Account: { id: 7, thumb: 'https://plex.example/users/7/avatar', title: 'bob' },
	Server: { title: 'Living Room', uuid: 'aaaa0000bbbb1111' },
	Player: { local: false, publicAddress: '198.51.100.4', title: 'TV', uuid: 'player-1' },
	Metadata: {
		librarySectionType: 'show',
		ratingKey: '501',
		key: metadata(501),
		parentRatingKey: '500',
		grandparentRatingKey: '499',
		guid: 'plex://episode/5d9c0000',
		librarySectionID: 2,
		type: 'episode',
		title: 'Pilot',
		grandparentKey: metadata(499),
		parentKey: metadata(500),
		grandparentTitle: 'The Show',
		parentTitle: 'Season 1',
		summary: 'It starts.',
		index: 1,
		parentIndex: 1,
		ratingCount: 12,
		thumb: '/library/metadata/501/thumb/1',
		art: '/library/metadata/499/art/1',
		parentThumb: '/library/metadata/500/thumb/1',
		grandparentThumb: '/library/metadata/499/thumb/1',
		grandparentArt: '/library/metadata/499/art/1',
		addedAt: 1715000000,
		updatedAt: 1716000000,
		Guid: [{ id: 'tvdb://349232' }],
		...meta,
	},
	...over,
});

async function metricsOf(payload: object): Promise<Metrics> {
	const body = multipart([{ name: 'payload', value: JSON.stringify(payload), contentType: 'application/json' }]);
	const r = await callTrigger(new PlexTrigger(), { headers: body.headers, query: { apikey: TOKEN }, body: body.body }, { token: TOKEN, options: { metricsFields: true } });
	expect(r.status).toBe(200);
	return r.items![0].json.metrics as unknown as Metrics;
}

describe('Metrics Fields', () => {
	freezeDate();

	it('the Plex Trigger adds the Telegraf plex webhooks set under its names, typed as listed', async () => {
		const m = await metricsOf(plexStop());
		expect(m.measurement).toBe('plex_webhooks');
		expect(m.tags).toEqual({
			event: 'media.stop',
			is_user_webhook: 'true',
			is_owner_webhook: 'false',
			user_id: '7',
			user_thumb: 'https://plex.example/users/7/avatar',
			user_name: 'bob',
			server_title: 'Living Room',
			server_uuid: 'aaaa0000bbbb1111',
			is_player_local: 'false',
			player_public_ip: '198.51.100.4',
			player_title: 'TV',
			player_uuid: 'player-1',
			library_selection_type: 'show',
			media_type: 'episode',
			grandparent_key: metadata(499),
			parent_key: metadata(500),
			grandparent_title: 'The Show',
			parent_title: 'Season 1',
			parent_index: '1',
			parent_thumb: '/library/metadata/500/thumb/1',
			grandparent_thumb: '/library/metadata/499/thumb/1',
			grandparent_art: '/library/metadata/499/art/1',
		});
		expect(m.fields).toEqual({
			rating_count: 12,
			added_at: 1715000000,
			updated_at: 1716000000,
			summary: 'It starts.',
			thumb: '/library/metadata/501/thumb/1',
			art: '/library/metadata/499/art/1',
			title: 'Pilot',
			index: 1,
			library_selection_id: 2,
			guid: 'plex://episode/5d9c0000',
		});
		const parsed = parseLine(m.line);
		expect(parsed.time).toBe(BigInt(Date.parse(RECEIVED_AT)));
		expect(Object.fromEntries(Object.entries(parsed.fields).map(([k, v]) => [k, v.type]))).toEqual({
			rating_count: 'int',
			added_at: 'int',
			updated_at: 'int',
			summary: 'string',
			thumb: 'string',
			art: 'string',
			title: 'string',
			index: 'int',
			library_selection_id: 'int',
			guid: 'string',
		});
		expect(parsed.tags).toEqual(m.tags);
	});

	it('odd titles (commas, quotes, equals, newlines, backslashes) and a missing Player never break the line', async () => {
		const m = await metricsOf(plexStop({ Player: undefined }, { title: 'Say "Hi", Bob = 1\nPart\\2', grandparentTitle: 'A, B = C\\', summary: 'x\r\ny "z"' }));
		expect(Object.keys(m.tags).filter((k) => k.startsWith('player') || k === 'is_player_local')).toEqual([]);
		const parsed = parseLine(m.line);
		expect(parsed.fields.title).toEqual({ type: 'string', value: 'Say "Hi", Bob = 1 Part\\2' });
		expect(parsed.fields.summary).toEqual({ type: 'string', value: 'x y "z"' });
		expect(parsed.tags.grandparent_title).toBe('A, B = C/');
	});

	it('every tag and field a string can hold survives the strict parser', () => {
		fc.assert(
			fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string(), fc.integer(), (tag, text, name, n) => {
				const key = `k${name}`;
				const line = toLine({ measurement: `m ${key}`, tags: { [key]: tag, plain: 'x' }, fields: [[key, text, 'string'], ['n', n, 'int']], timeMs: 1 });
				const [p] = parseBody(line);
				const clean = (s: string) => s.replace(/\r\n|[\r\n]/g, ' ');
				expect(p.fields[clean(key).replace(/\\/g, '/')]).toEqual({ type: 'string', value: clean(text) });
				expect(p.fields.n).toEqual({ type: 'int', value: BigInt(n) });
				if (clean(tag).trim() !== '') expect(p.tags[clean(key).replace(/\\/g, '/')]).toBe(clean(tag).replace(/\\/g, '/'));
			}),
		);
	});

	it('Jellyfin and Emby events carry the equivalents they have, under the same names', () => {
		const event: WatchEvent = {
			backend: 'jellyfin',
			serverId: 'srv',
			serverName: 'Den',
			userId: 'u1',
			userName: 'carol',
			type: 'episode',
			id: 'e1',
			title: 'Pilot',
			show: { id: 's1', title: 'The Show', guids: {} },
			season: 1,
			episode: 2,
			seasonId: 'se1',
			guids: {},
			played: true,
			updatedAt: RECEIVED_AT,
			event: 'scrobble',
			sourceEvent: 'PlaybackStop',
			tainted: false,
			receivedAt: RECEIVED_AT,
		};
		const m = eventMetrics(event);
		expect(m.measurement).toBe('jellyfin_webhooks');
		expect(m.tags).toEqual({ event: 'PlaybackStop', user_id: 'u1', user_name: 'carol', server_title: 'Den', server_uuid: 'srv', media_type: 'episode', grandparent_key: 's1', parent_key: 'se1', grandparent_title: 'The Show', parent_index: '1' });
		expect(m.fields).toEqual({ title: 'Pilot', index: 2 });
		expect(parseLine(m.line).fields.index).toEqual({ type: 'int', value: 2n });
		// Tautulli renders every value as text: the same names, typed the same way.
		const tautulli = plexMetrics({ event: 'tautulli.watched', user: 'true', Metadata: { type: 'movie', title: 'Heat', ratingCount: '5', librarySectionID: '3' } }, event);
		expect([tautulli.tags.is_user_webhook, tautulli.fields.rating_count, tautulli.fields.library_selection_id]).toEqual(['true', 5, 3]);
	});

	it('the InfluxDB emulator refuses what InfluxDB refuses', async () => {
		const influx = new InfluxEmulator({ token: 't', org: 'home', bucket: 'plex' });
		await influx.start();
		try {
			const write = async (body: string, query = 'org=home&bucket=plex&precision=ms', token = 't') =>
				(await fetch(`${influx.url}/api/v2/write?${query}`, { method: 'POST', headers: { authorization: `Token ${token}` }, body })).status;
			expect(await write('m,t=a f="x" 1')).toBe(204);
			expect(await write('m,t=a b f="x" 1')).toBe(400); // unescaped space in a tag
			expect(await write('m,t= f="x" 1')).toBe(400); // empty tag value
			expect(await write('m f="x 1')).toBe(400); // unterminated string
			expect(await write('m f=abc 1')).toBe(400); // bare word
			expect(await write('m 1')).toBe(400); // no field
			expect(await write('m f=1i 1')).toBe(422); // f was a string
			expect(await write('m f="x" 1', 'org=home&bucket=other')).toBe(404);
			expect(await write('m f="x" 1', undefined, 'wrong')).toBe(401);
			expect(influx.points).toHaveLength(1);
		} finally {
			await influx.stop();
		}
	});
});
