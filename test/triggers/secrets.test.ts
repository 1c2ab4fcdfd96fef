/**
 * The webhook token is a secret: whatever a request carries and whatever a trigger answers, emits
 * or logs, the token never appears in it, and a wrong token is not echoed back either.
 */
import type { INodeType } from 'n8n-workflow';
import { EmbyTrigger } from '../../nodes/EmbyTrigger/EmbyTrigger.node';
import { JellyfinTrigger } from '../../nodes/JellyfinTrigger/JellyfinTrigger.node';
import { PlexTrigger } from '../../nodes/PlexTrigger/PlexTrigger.node';
import { TautulliTrigger } from '../../nodes/TautulliTrigger/TautulliTrigger.node';
import { describeWithFixtures, fixtureText } from '../support/fixtures';
import { callTrigger, multipart, type RawRequest } from '../support/webhook';

const TOKEN = 'dummy-secret-token-7f3a9c1e5b';
const WRONG = 'dummy-guess-token-0000000000';

type Carry = (req: RawRequest, token: string) => RawRequest;
const inQuery: Carry = (req, token) => ({ ...req, query: { ...req.query, apikey: token } });
const inHeader: Carry = (req, token) => ({ ...req, headers: { ...req.headers, 'x-apikey': token } });

const plexBody = (text: string): RawRequest => {
	const m = multipart([{ name: 'payload', value: text, contentType: 'application/json', filename: 'blob' }]);
	return { headers: m.headers, query: {}, body: m.body };
};
const json = (contentType: string) => (text: string): RawRequest => ({ headers: { 'content-type': contentType }, query: {}, body: text });

const triggers: Array<[string, INodeType, (text: string) => RawRequest, string[]]> = [
	['Plex', new PlexTrigger(), plexBody, ['plex/webhook-media.scrobble-episode.json', 'plex/webhook-media.stop-movie.json']],
	['Jellyfin', new JellyfinTrigger(), json('text/plain; charset=utf-8'), ['jellyfin/webhook-PlaybackStop-episode.json', 'jellyfin/webhook-UserDataSaved-TogglePlayed-movie.json']],
	['Emby', new EmbyTrigger(), json('application/json'), ['emby/webhook-playback.stop-movie.json', 'emby/webhook-item.markplayed-episode.json']],
	['Tautulli', new TautulliTrigger(), json('application/json'), ['tautulli/webhook-tautulli.watched-episode.json', 'tautulli/webhook-tautulli.play-movie.json']],
];

// Everything the outside world or the workflow gets to see from one request.
const seen = (r: Awaited<ReturnType<typeof callTrigger>>) => JSON.stringify([r.status, r.body, r.items, r.logged]);
// As much output as a trigger can give: raw payload kept, every event type let through.
const params = { token: TOKEN, httpMethod: 'POST', options: { includeRaw: true, progressEvents: true, allowWithoutUser: true } };

describeWithFixtures.each(triggers)('%s trigger keeps its token secret', (_name, node, build, files) => {
	it.each(files.flatMap((f) => [[f, 'query', inQuery] as const, [f, 'header', inHeader] as const]))('%s with the token in the %s: accepted, token in no answer, item or log', async (file, _where, carry) => {
		const r = await callTrigger(node, carry(build(fixtureText(`specs/${file}`)), TOKEN), params);
		expect(r.status).toBe(200);
		expect(seen(r)).not.toContain(TOKEN);
	});

	it.each([
		['query', inQuery],
		['header', inHeader],
	] as const)('a wrong token in the %s gets 401 without echoing either token', async (_where, carry) => {
		const r = await callTrigger(node, carry(build(fixtureText(`specs/${files[0]}`)), WRONG), params);
		expect(r).toEqual({ status: 401, body: { error: 'invalid token' }, items: undefined, logged: [] });
		expect(seen(r)).not.toContain(WRONG.slice(6));
	});
});
