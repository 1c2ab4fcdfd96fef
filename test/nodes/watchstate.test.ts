/** The Plan Sync node's checks around Trakt: whose account it is, before anything is planned. */
import type { IDataObject } from 'n8n-workflow';
import { WatchState } from '../../nodes/WatchState/WatchState.node';
import { runNode } from '../support/execute';

const none = { name: 'none', displayName: 'none', properties: [] };
const item = (backend: string, id: string, person: string | undefined, played: boolean, imdb = 'tt0113277'): IDataObject => ({
	backend,
	id,
	type: 'movie',
	title: 'Heat',
	guids: { imdb },
	played,
	...(played ? { playedAt: '2025-01-01T00:00:00.000Z' } : {}),
	updatedAt: '2025-01-01T00:00:00.000Z',
	...(person !== undefined ? { person } : {}),
});
const plan = (input: IDataObject[], options: IDataObject) =>
	runNode(new WatchState(), { credentialType: none, credentials: {}, params: { operation: 'planSync', sources: '', targets: '', propagateUnplayed: false, dryRun: false, options }, input });

describe('Plan Sync with Trakt', () => {
	it('writes plays missing from Trakt for the Trakt Person only', async () => {
		const out = await plan([item('plex', 'p1', 'alice', true), item('plex', 'p2', 'bob', true, 'tt0000002'), item('trakt', 'movie:9', 'alice', true, 'tt0000003')], { traktHistory: true, traktPerson: 'alice' });
		expect(out.map((o) => [o.json.backend, (o.json.target as IDataObject).guids, (o.json.source as IDataObject).person])).toEqual([['trakt', { imdb: 'tt0113277' }, 'alice']]);
	});

	it('refuses Trakt items of another person than Trakt Person', async () => {
		await expect(plan([item('plex', 'p1', 'alice', true), item('trakt', 'movie:9', 'bob', true)], { traktPerson: 'alice' })).rejects.toThrow('Trakt items belong to "bob" but Trakt Person is "alice"');
	});

	it('refuses a Trakt Person who is none of the household', async () => {
		await expect(plan([item('plex', 'p1', 'alice', true), item('plex', 'p2', 'bob', false)], { traktHistory: true, traktPerson: '' })).rejects.toThrow('Trakt Person "" is none of the household\'s people (alice, bob)');
	});

	it('for a single user, Trakt plays reach the server', async () => {
		const out = await plan([item('plex', 'p1', undefined, false), item('trakt', 'movie:9', undefined, true)], { traktHistory: true });
		expect(out.map((o) => [o.json.backend, o.json.op])).toEqual([['plex', 'mark-played']]);
	});
});
