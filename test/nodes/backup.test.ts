/**
 * Back Up and Restore Backup through the Watch State node's execute(), against the emulated
 * servers: a backup of one server restored onto another (a migration, or a rebuilt server), the
 * refusals before any request, and what a restore must never touch.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { EmbyApi } from '../../credentials/EmbyApi.credentials';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { WatchState } from '../../nodes/WatchState/WatchState.node';
import { DEMO, startDemoServers, stopDemoServers, type DemoServers } from '../../dev/demo/world';
import type { SeedItem } from '../../dev/emulators/library';
import { loadableItems } from '../../dev/load';
import { runNodeOutputs } from '../support/execute';

let servers: DemoServers;
const u = DEMO.user;
const DAY = 86_400_000;

beforeEach(async () => {
	servers = await startDemoServers({ movies: 60, shows: 3, drift: true });
});
afterEach(async () => {
	await stopDemoServers(servers);
});

async function run(params: IDataObject, inputItems?: INodeExecutionData[]): Promise<INodeExecutionData[][]> {
	return await runNodeOutputs(new WatchState(), {
		credentialType: new PlexApi(),
		credentials: { baseUrl: servers.plex.url, token: DEMO.plexToken, clientIdentifier: 'backup-test', plexTvUrl: 'http://127.0.0.1:9', ignoreSslIssues: false },
		moreCredentials: [
			[new JellyfinApi(), { baseUrl: servers.jellyfin.url, token: DEMO.jellyfinApiKey, ignoreSslIssues: false }],
			[new EmbyApi(), { baseUrl: servers.emby.url, apiKey: DEMO.embyApiKey, ignoreSslIssues: false }],
		],
		params: { whose: 'household', options: {}, requestOptions: {}, dryRun: false, ...params },
		inputItems,
	});
}

async function backUp(from: string[]): Promise<INodeExecutionData> {
	const [, , [file]] = await run({ operation: 'backUp', servers: from });
	return file;
}

const restore = async (file: INodeExecutionData, into: string[], extra: IDataObject = {}) =>
	await run({ operation: 'restoreBackup', servers: into, binaryPropertyName: 'data', fromServers: '', backupPerson: '', unmark: false, ...extra }, [file]);

const fileWith = (text: string): INodeExecutionData => ({ json: {}, binary: { data: { data: Buffer.from(text).toString('base64'), mimeType: 'application/json' } } });
const textOf = (file: INodeExecutionData) => Buffer.from(file.binary!.data.data, 'base64').toString('utf8');
const requests = () => [servers.plex, servers.jellyfin, servers.emby].reduce((n, s) => n + [...s.requestsByRoute.values()].reduce((a, b) => a + b, 0), 0);
// Items both servers know by an external id (the demo has one movie Jellyfin lacks ids for).
const matchable = (item: SeedItem) => Object.keys(item.guids).length > 0 || (item.kind === 'episode' && Object.keys(item.show.guids).length > 0);

describe('Back Up and Restore Backup', () => {
	it("keeps each server's ratings in the file (Plex with its date), read from the same listings", async () => {
		const [film, other] = loadableItems(servers).filter((i) => i.kind === 'movie');
		servers.plex.seedState(u.plexId, film, { ...servers.plex.stateOf(u.plexId, film), rating: 7.5, ratedAt: Date.UTC(2025, 6, 1) });
		servers.jellyfin.seedState(u.jellyfinId, other, { ...servers.jellyfin.stateOf(u.jellyfinId, other), rating: 4 });
		const records = textOf(await backUp(['plex', 'jellyfin']))
			.split('\n')
			.filter((line) => line.includes('"rating"'))
			.map((line) => JSON.parse(line.replace(/,$/, '')) as IDataObject);
		expect(records.map((r) => [r.server, r.title, r.rating, r.ratedAt])).toEqual([
			['plex', servers.plex.titleOf(film), 8, '2025-07-01T00:00:00.000Z'],
			['jellyfin', servers.jellyfin.titleOf(other), 4, undefined],
		]);
	});

	it('a backup of Plex restored onto a wiped Jellyfin makes the two agree; restoring again writes nothing', async () => {
		const file = await backUp(['plex']);
		const header = file.json as IDataObject & { servers: Record<string, number>; people: string[] };
		expect(header.kind).toBe('watchstate-backup');
		expect(header.people).toEqual(['alice']);
		expect(header.servers.plex).toBe(servers.library.movies.length + servers.library.episodes.length);
		expect(file.binary!.data.fileName).toMatch(/^watchstate-backup-.*\.json$/);

		servers.jellyfin.state.clear();
		const [, , [summary]] = await restore(file, ['jellyfin']);
		const items = loadableItems(servers).filter(matchable);
		const plexPlayed = items.filter((i) => servers.plex.stateOf(u.plexId, i).played);
		expect(plexPlayed.length).toBeGreaterThan(5);
		for (const item of items) expect([item.title, servers.jellyfin.stateOf(u.jellyfinId, item).played]).toEqual([item.title, servers.plex.stateOf(u.plexId, item).played]);
		// The play date travels with the play.
		for (const item of plexPlayed) expect(servers.jellyfin.stateOf(u.jellyfinId, item).lastPlayedAt).toBe(servers.plex.stateOf(u.plexId, item).lastPlayedAt);
		const s = summary.json as IDataObject & { matched: Record<string, number>; applied: Record<string, Record<string, number>> };
		expect(s.matched.jellyfin).toBe(plexPlayed.length);
		expect(s.applied.jellyfin['marked-played']).toBe(plexPlayed.length);

		const writes = servers.jellyfin.writes.length;
		const [, , [again]] = await restore(file, ['jellyfin']);
		expect(again.json.planned).toBe(0);
		expect(servers.jellyfin.writes.length).toBe(writes);
	});

	it('restores resume positions onto a rebuilt server, keeps what was done there since, and reports what it cannot match', async () => {
		const file = await backUp(['plex', 'jellyfin', 'emby']);
		const halfWatched = servers.library.movies.filter((_, i) => i % 11 === 0 && i % 5 !== 0 && i % 7 !== 0);
		expect(halfWatched.length).toBeGreaterThan(0);
		servers.plex.state.clear();
		// Since the backup: one movie watched on the rebuilt Plex, one reset to a newer position.
		const [watchedSince, movedSince] = [servers.library.movies[1], halfWatched[0]];
		const later = Date.now() + DAY;
		servers.plex.seedState(u.plexId, watchedSince, { played: false, playCount: 0, positionMs: 0, lastPlayedAt: undefined, updatedAt: 0 });
		servers.plex.seedState(u.plexId, movedSince, { positionMs: 120_000, lastPlayedAt: later, updatedAt: later });
		servers.plex.seedState(u.plexId, watchedSince, { played: true, playCount: 1, lastPlayedAt: later, updatedAt: later });

		const [, , [summary]] = await restore(file, ['plex']);
		for (const m of halfWatched.slice(1)) expect(servers.plex.stateOf(u.plexId, m).positionMs).toBe(Math.round(m.durationMs * 0.4));
		expect(servers.plex.stateOf(u.plexId, movedSince).positionMs).toBe(120_000);
		expect(servers.plex.stateOf(u.plexId, watchedSince).lastPlayedAt).toBe(later);
		// The movie Jellyfin played but knows no external id of cannot be found anywhere.
		const unmatched = servers.library.movies[28];
		const s = summary.json as IDataObject & { notFound: Record<string, number>; notFoundItems: IDataObject[] };
		expect(servers.plex.stateOf(u.plexId, unmatched).played).toBe(false);
		expect(s.notFound.plex).toBe(s.notFoundItems.length);
		expect(s.notFoundItems.map((n) => n.title)).toContain(unmatched.title);
	});

	it('a dry run reads and plans but writes nothing', async () => {
		const file = await backUp(['plex']);
		servers.jellyfin.state.clear();
		const [writes, snapshot, [summary]] = await restore(file, ['jellyfin'], { dryRun: true });
		expect([writes, snapshot]).toEqual([[], []]);
		expect(servers.jellyfin.writes).toEqual([]);
		expect((summary.json.plan as IDataObject[]).length).toBe(summary.json.planned);
		expect(summary.json.planned).toBeGreaterThan(0);
	});

	it('never un-marks unless asked; asked, only plays older than the backup, and favourites and ratings stay', async () => {
		const file = await backUp(['plex']);
		const [oldPlay, newPlay] = [servers.library.movies[2], servers.library.movies[3]];
		expect([servers.plex.stateOf(u.plexId, oldPlay).played, servers.plex.stateOf(u.plexId, newPlay).played]).toEqual([false, false]);
		const takenAt = Date.parse(String(file.json.takenAt));
		servers.jellyfin.seedState(u.jellyfinId, oldPlay, { played: true, playCount: 3, lastPlayedAt: takenAt - DAY, updatedAt: takenAt - DAY, isFavorite: true, rating: 8 });
		servers.jellyfin.seedState(u.jellyfinId, newPlay, { played: true, playCount: 1, lastPlayedAt: takenAt + DAY, updatedAt: takenAt + DAY });

		await restore(file, ['jellyfin']);
		expect(servers.jellyfin.writes.filter((w) => w.action === 'unplayed')).toEqual([]);
		expect([servers.jellyfin.stateOf(u.jellyfinId, oldPlay).played, servers.jellyfin.stateOf(u.jellyfinId, newPlay).played]).toEqual([true, true]);

		await restore(file, ['jellyfin'], { unmark: true });
		const old = servers.jellyfin.stateOf(u.jellyfinId, oldPlay);
		expect(old.played).toBe(false);
		expect([old.isFavorite, old.rating]).toEqual([true, 8]);
		expect(servers.jellyfin.stateOf(u.jellyfinId, newPlay).played).toBe(true);
	});

	it('refuses a truncated, a foreign and an edited file before asking any server anything', async () => {
		const text = textOf(await backUp(['plex']));
		for (const s of [servers.plex, servers.jellyfin, servers.emby]) s.requestsByRoute.clear();
		const cases: Array<[string, RegExp]> = [
			[text.slice(0, Math.floor(text.length * 0.6)), /not a complete backup.*cut off/],
			// The last record cut away cleanly: valid JSON, one record short.
			[text.slice(0, text.lastIndexOf(',\n')) + '\n]}', /holds \d+ records but its header says \d+/],
			[JSON.stringify({ event: 'media.scrobble', Metadata: { title: 'x' } }), /not a Watch State backup/],
			[text.replace('"played":true', '"played":"yes"'), /Record \d+ of the backup is damaged \(played/],
			['', /not a complete backup/],
		];
		for (const [content, message] of cases) {
			await expect(restore(fileWith(content), ['jellyfin'])).rejects.toThrow(message);
		}
		expect(requests()).toBe(0);
		expect(servers.jellyfin.writes).toEqual([]);
	});

	it('says what to do when there is no file on the input, or a household backup is restored for one user', async () => {
		await expect(restore({ json: {} }, ['jellyfin'])).rejects.toThrow(/No input item has the binary field "data"/);
		const file = await backUp(['plex']);
		await expect(restore(file, ['jellyfin'], { whose: 'one', jellyfinUserId: u.jellyfinId, backupPerson: 'bob' })).rejects.toThrow(/Nothing to restore.*of "bob"/);
		const [, , [summary]] = await restore(file, ['jellyfin'], { whose: 'one', jellyfinUserId: u.jellyfinId, backupPerson: 'alice', dryRun: true });
		expect(summary.json.planned).toBeGreaterThan(0);
	});
});
