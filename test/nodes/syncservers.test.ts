/**
 * Sync Servers through the node's execute(): the demo world's three disagreeing servers read,
 * planned and written inside one node; the run lock; a failed write hands no snapshot on.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { EmbyApi } from '../../credentials/EmbyApi.credentials';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { WatchState } from '../../nodes/WatchState/WatchState.node';
import { LEASE_MINUTES } from '../../nodes/shared/node/runlock';
import { DEMO, startDemoServers, stopDemoServers, type DemoServers } from '../../dev/demo/world';
import { loadableItems } from '../../dev/load';
import { DedupStore, runNodeOutputs } from '../support/execute';

let servers: DemoServers;
const u = DEMO.user;

beforeEach(async () => {
	servers = await startDemoServers({ movies: 60, shows: 3, drift: true });
});
afterEach(async () => {
	await stopDemoServers(servers);
});

/** Runs Sync Servers with the snapshot rows given; returns [writes, snapshot rows, summary]. */
async function sync(snapshot: IDataObject[], extra: IDataObject = {}, dedup = new DedupStore(), seen: Pick<Parameters<typeof runNodeOutputs>[1], 'mode' | 'logs' | 'messagesToUI' | 'customData' | 'authenticatedRequests'> = {}): Promise<INodeExecutionData[][]> {
	return await runNodeOutputs(new WatchState(), {
		...seen,
		credentialType: new PlexApi(),
		credentials: { baseUrl: servers.plex.url, token: DEMO.plexToken, clientIdentifier: 'sync-test', plexTvUrl: 'http://127.0.0.1:9', ignoreSslIssues: false },
		moreCredentials: [
			[new JellyfinApi(), { baseUrl: servers.jellyfin.url, token: DEMO.jellyfinApiKey, ignoreSslIssues: false }],
			[new EmbyApi(), { baseUrl: servers.emby.url, apiKey: DEMO.embyApiKey, ignoreSslIssues: false }],
		],
		params: { operation: 'syncServers', servers: ['plex', 'jellyfin', 'emby'], whose: 'household', sources: '', targets: '', propagateUnplayed: false, dryRun: false, options: {}, requestOptions: {}, ...extra },
		input: snapshot.length > 0 ? snapshot : [{}],
		dedup,
	});
}

const agree = () =>
	loadableItems(servers).every((item) => {
		const played = servers.plex.stateOf(u.plexId, item).played;
		return servers.jellyfin.stateOf(u.jellyfinId, item).played === played && servers.emby.stateOf(u.embyId, item).played === played;
	});
const allWrites = () => servers.plex.writes.length + servers.jellyfin.writes.length + servers.emby.writes.length;

describe('Sync Servers (read, plan and write in one node)', () => {
	it('converges the household and hands on only the snapshot and a summary; the next run writes nothing', async () => {
		expect(agree()).toBe(false);
		const [writes, rows, [summary]] = await sync([]);
		expect(agree()).toBe(true);
		expect(writes).toEqual([]);
		expect(rows.map((r) => [r.json.person, r.json.backend])).toEqual([
			['alice', 'plex'],
			['alice', 'jellyfin'],
			['alice', 'emby'],
		]);
		const s = summary.json as IDataObject & { read: Record<string, number>; applied: Record<string, Record<string, number>> };
		expect(Object.keys(s.read)).toEqual(['plex', 'jellyfin', 'emby']);
		const applied = Object.values(s.applied).reduce((n, b) => n + (b['marked-played'] ?? 0) + (b.progress ?? 0), 0);
		expect(applied).toBe(allWrites());
		expect(s.planned).toBe(allWrites());
		// In words, per person and server: one line per write up to the cap, then how many more.
		const changes = s.changes as Record<string, Record<string, string[]>>;
		expect(Object.keys(changes)).toEqual(['alice']);
		for (const [backend, lines] of Object.entries(changes.alice)) {
			const written = servers[backend as 'plex' | 'jellyfin' | 'emby'].writes.length;
			expect(lines.length).toBe(Math.min(written, 50) + (written > 50 ? 1 : 0));
			expect(lines[0]).toMatch(/^(played|resume at [\d:]+): .+/);
		}
		// The film without any id, played on Jellyfin only, is named as not matched.
		const idless = servers.library.movies.find((m) => Object.keys(m.guids).length === 0 && servers.jellyfin.stateOf(u.jellyfinId, m).played)!;
		const unmatched = s.unmatched as Record<string, { withoutIds: number; examples: string[] }>;
		expect(unmatched.jellyfin.examples).toContain(`${servers.jellyfin.titleOf(idless)} (${idless.year}): no external id (match it on jellyfin, or refresh its metadata)`);

		const before = allWrites();
		const [, , [again]] = await sync(rows.map((r) => r.json));
		expect(allWrites()).toBe(before);
		expect(again.json.planned).toBe(0);
	});

	it('writes with about one request per write: targets are re-read in batches, not one GET each', async () => {
		const requests = () => [servers.plex, servers.jellyfin, servers.emby].reduce((n, server) => n + [...server.requestsByRoute.values()].reduce((a, b) => a + b, 0), 0);
		// The same reads without writing: what the listing costs.
		let before = requests();
		await sync([], { dryRun: true });
		const listing = requests() - before;
		before = requests();
		await sync([]);
		const written = allWrites();
		expect(written).toBeGreaterThan(50);
		const perWrite = (requests() - before - listing) / written;
		// Reading each target before its write cost 2 (3 for an episode, with its show).
		expect(perWrite).toBeLessThanOrEqual(1.2);
		expect(agree()).toBe(true);
	});

	it("resolves each server's credential once, not for every request: n8n's per-request credential path (a database read and a decryption each) is never taken", async () => {
		const authenticatedRequests: string[] = [];
		await sync([], {}, new DedupStore(), { authenticatedRequests });
		expect(allWrites()).toBeGreaterThan(50);
		expect(agree()).toBe(true);
		expect(authenticatedRequests).toEqual([]);
	});

	it('says how far it got while it runs: a line per server read, the plan, the writes, in n8n\'s log, the editor in a manual run, and the execution\'s custom data', async () => {
		const seen = { mode: 'manual', logs: [] as string[], messagesToUI: [] as unknown[], customData: {} as Record<string, string> };
		await sync([], {}, new DedupStore(), seen);
		const written = allWrites();
		expect(seen.logs.slice(0, 4)).toEqual([
			expect.stringMatching(/^Node: read plex \d+$/),
			expect.stringMatching(/^Node: read plex \d+, jellyfin \d+$/),
			expect.stringMatching(/^Node: read plex \d+, jellyfin \d+, emby \d+$/),
			expect.stringMatching(new RegExp(`^Node: read plex \\d+, jellyfin \\d+, emby \\d+; planned ${written}; written 0 \\(0 %\\)$`)),
		]);
		expect(seen.logs.at(-1)).toMatch(new RegExp(`^Node: done: read .*; planned ${written}; written ${written} \\(100 %\\)$`));
		expect(seen.messagesToUI).toEqual(seen.logs);
		expect(seen.customData).toEqual({ read: expect.stringMatching(/^plex=\d+ jellyfin=\d+ emby=\d+$/), planned: String(written), written: String(written) });
		// A scheduled run logs the same, and sends nothing to an editor that is not watching.
		const scheduled = { logs: [] as string[], messagesToUI: [] as unknown[] };
		await sync([], { dryRun: true }, new DedupStore(), scheduled);
		expect([scheduled.logs.length > 0, scheduled.messagesToUI]).toEqual([true, []]);
	});

	it('Match ID-Less Items by File Name: a film without any id is matched by its file only when asked, and an item with ids never is', async () => {
		const [film] = servers.library.movies.filter((m) => Object.keys(m.guids).length === 0);
		const unplayed = { played: false, playCount: 0, lastPlayedAt: undefined, positionMs: 0 };
		servers.plex.seedState(u.plexId, film, { played: true, playCount: 1, lastPlayedAt: Date.now() - 3_600_000 });
		servers.jellyfin.seedState(u.jellyfinId, film, unplayed);
		servers.emby.seedState(u.embyId, film, unplayed);
		await sync([]);
		expect([servers.jellyfin.stateOf(u.jellyfinId, film).played, servers.emby.stateOf(u.embyId, film).played]).toEqual([false, false]);
		await sync([], { options: { matchFileNames: true } });
		expect([servers.jellyfin.stateOf(u.jellyfinId, film).played, servers.emby.stateOf(u.embyId, film).played]).toEqual([true, true]);
		expect(servers.jellyfin.writes.filter((w) => w.itemId === servers.jellyfin.idOf(film))).toHaveLength(1);
	});

	it('with Output Writes hands every write on; a dry run writes nothing and shows the plan', async () => {
		const [none, noRows, [dry]] = await sync([], { dryRun: true });
		expect(allWrites()).toBe(0);
		expect([none, noRows]).toEqual([[], []]);
		const plan = dry.json.plan as IDataObject[];
		expect(plan.length).toBeGreaterThan(0);
		const [writes] = await sync([], { options: { outputWrites: true } });
		expect(writes).toHaveLength(plan.length);
		expect(writes.every((w) => ['marked-played', 'progress'].includes(String(w.json.action)))).toBe(true);
	});

	it('does nothing, and says so, while another run holds the lock; a lock older than the lease is stale', async () => {
		const minute = Math.floor(Date.now() / 60_000);
		const held = new DedupStore();
		await held.checkProcessedAndRecord(['sync-run|other', `sync-alive|${minute - 1}`], 'workflow');
		const requests = servers.plex.requests + servers.jellyfin.requests + servers.emby.requests;
		const [writes, rows, [summary]] = await sync([], {}, held);
		expect(summary.json).toMatchObject({ skipped: true, reason: expect.stringMatching(/another run of this sync is still going/) });
		expect([writes, rows]).toEqual([[], []]);
		expect(servers.plex.requests + servers.jellyfin.requests + servers.emby.requests).toBe(requests);
		// The check took back what it recorded: only the other run's keys are left.
		expect([...held.row('workflow')!].sort()).toEqual([`sync-alive|${minute - 1}`, 'sync-run|other']);

		// A crashed run's row (not alive for longer than the lease) is taken over; a finished run leaves none.
		const stale = new DedupStore();
		await stale.checkProcessedAndRecord(['sync-run|crashed', `sync-alive|${minute - LEASE_MINUTES - 1}`], 'workflow');
		const [, staleRows] = await sync([], {}, stale);
		expect(staleRows).toHaveLength(3);
		expect(stale.row('workflow')).toBeUndefined();
	});

	it('of two runs started at the same instant, exactly one runs, and the other says why (twenty times over)', async () => {
		for (let attempt = 0; attempt < 20; attempt++) {
			const dedup = new DedupStore();
			const listings = servers.plex.requestsByRoute.get('GET ^\\/library\\/sections\\/all$') ?? 0;
			const outcomes = await Promise.all([sync([], { dryRun: true }, dedup), sync([], { dryRun: true }, dedup)]);
			const summaries = outcomes.map(([, , [summary]]) => summary.json);
			expect(summaries.filter((x) => x.skipped === true)).toHaveLength(1);
			expect(summaries.find((x) => x.skipped === true)!.reason).toMatch(/another run of this sync is still going/);
			expect((servers.plex.requestsByRoute.get('GET ^\\/library\\/sections\\/all$') ?? 0) - listings).toBe(1);
			expect(dedup.row('workflow')).toBeUndefined();
		}
	});

	it('a failed write stops the run: no snapshot is handed on, the lock is released, nothing is un-marked', async () => {
		servers.plex.addFault({ path: /^\/:\/(scrobble|unscrobble|timeline)$/, status: 500, times: Infinity });
		const dedup = new DedupStore();
		await expect(sync([], { requestOptions: { retries: 0 } }, dedup)).rejects.toThrow(/HTTP 500/);
		expect(dedup.row('workflow')).toBeUndefined();
		expect([servers.plex, servers.jellyfin, servers.emby].flatMap((s) => s.writes).filter((w) => w.action === 'unplayed')).toEqual([]);
	});
});

describe('Sync Servers: the servers and their credentials', () => {
	it('a chosen server without its credential fails naming both, before any server is read', async () => {
		await expect(sync([], { servers: ['plex', 'jellyfin', 'trakt'] })).rejects.toThrow('Trakt is in Servers, but no Trakt API credential is selected in this node');
		expect([servers.plex.requests, servers.jellyfin.requests, servers.emby.requests]).toEqual([0, 0, 0]);
	});

	it('reads Servers saved as one name (as n8n\'s editor saved it when it drew Servers as a credential picker) as a list of one', async () => {
		const [, rows] = await sync([], { servers: 'plex' });
		expect(rows.map((r) => r.json.backend)).toEqual(['plex']);
		expect([servers.jellyfin.requests, servers.emby.requests]).toEqual([0, 0]);
	});
});
