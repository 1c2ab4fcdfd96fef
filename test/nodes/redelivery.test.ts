/**
 * Redeliver Failed Runs against n8n's public API (test/support/n8napi.ts) and real server
 * emulators: a failed run that kept its event is retried through n8n; one that kept nothing (its
 * worker died) becomes a catch-up window, which the template's Get Watch State (Changed Since /
 * Before) and Apply Watch State turn into exactly the writes the lost event would have made.
 * Every run starts with empty static data, as queue mode's workers run them (n8n 2.41.1): what the
 * node remembers lives in the deduplication store, shared by the runs of one test.
 */
import type { IDataObject } from 'n8n-workflow';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { WatchStateN8nApi } from '../../credentials/WatchStateN8nApi.credentials';
import { Jellyfin } from '../../nodes/Jellyfin/Jellyfin.node';
import { Plex } from '../../nodes/Plex/Plex.node';
import { WatchState } from '../../nodes/WatchState/WatchState.node';
import { seedLibrary } from '../../dev/emulators/library';
import { JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator } from '../../dev/emulators/plex';
import { FakeN8nApi } from '../support/n8napi';
import { DedupStore, runNode, runNodeOutputs } from '../support/execute';

const library = seedLibrary({ movies: 200, shows: 1, seasonsPerShow: 1, episodesPerSeason: 2 });
const [lostFilm, deliveredFilm, laterFilm] = library.movies;
const lostEpisode = library.episodes[1];
const API_KEY = 'dummy-n8n-api-key';
const PLEX_TOKEN = 'dummy-redelivery-plex';
const KEY = 'dummy-redelivery-jellyfin';
const ALICE = { id: 'b1000000000000000000000000000001', name: 'alice', token: 'dummy-redelivery-alice', admin: true };
const MIN = 60_000;

describe('Redeliver Failed Runs: retries what n8n kept, catches up what it did not', () => {
	const api = new FakeN8nApi(API_KEY);
	const plex = new PlexEmulator({ library, users: [{ id: '1', name: 'alice', token: PLEX_TOKEN, admin: true }] });
	const jellyfin = new JellyfinEmulator({ library, users: [ALICE], apiKey: KEY });
	beforeAll(async () => await Promise.all([api.start(), plex.start(), jellyfin.start()]));
	afterAll(async () => await Promise.all([api.stop(), plex.stop(), jellyfin.stop()]));
	let dedup: DedupStore;
	beforeEach(() => {
		api.executions.clear();
		api.retried.length = 0;
		dedup = new DedupStore();
	});

	const redeliver = async (executionId: string, over: IDataObject = {}) =>
		await runNodeOutputs(new WatchState(), {
			credentialType: new WatchStateN8nApi(),
			credentials: { baseUrl: api.url, apiKey: API_KEY },
			params: { operation: 'redeliverFailedRuns', workflowIds: 'wf', windowHours: 24, maxAttempts: 5, firstWaitSeconds: 0, catchUpMarginSeconds: 120, catchUpAfterGapMinutes: 10, dryRun: false, ...over },
			staticData: {},
			dedup,
			executionId,
		});
	/** What a stalled job leaves (WorkflowRunner.processError): the error, nothing to run. */
	const stalled = { resultData: { runData: {}, error: { message: 'job stalled more than maxStalledCount' } }, executionData: { nodeExecutionStack: [] } };
	const plexReads = (filters: IDataObject) =>
		runNode(new Plex(), {
			credentialType: new PlexApi(),
			credentials: { baseUrl: plex.url, token: PLEX_TOKEN, clientIdentifier: 'redelivery', ignoreSslIssues: false },
			params: { resource: 'library', operation: 'getWatchState', filters, requestOptions: { pageSize: 10 } },
		});
	const applyOnJellyfin = (input: IDataObject[]) =>
		runNode(new Jellyfin(), {
			credentialType: new JellyfinApi(),
			credentials: { baseUrl: jellyfin.url, token: KEY, ignoreSslIssues: false },
			params: { resource: 'item', operation: 'apply', userId: ALICE.id, applyOptions: {}, requestOptions: { retries: 0 } },
			input,
		});

	it('one run retried through n8n, one caught up from Plex: the lost play lands, nothing else is written, and a later run (empty static data, as on a queue-mode worker) neither reads nor catches it up again', async () => {
		const now = Date.now();
		const played = (at: number) => ({ played: true, playCount: 1, lastPlayedAt: at, updatedAt: at });
		// Plex has all three plays; the one 11 minutes ago reached Jellyfin, the one 10 minutes ago
		// was lost with its worker, the one a minute ago came after the window (its own event's).
		plex.seedState('1', deliveredFilm, played(now - 11 * MIN));
		plex.seedState('1', lostFilm, played(now - 10 * MIN));
		plex.seedState('1', lostEpisode, played(now - 10 * MIN));
		plex.seedState('1', laterFilm, played(now - 1 * MIN));
		jellyfin.seedState(ALICE.id, deliveredFilm, played(now - 11 * MIN));
		const at = (ms: number) => new Date(ms).toISOString();
		api.add({ id: '10', status: 'success', startedAt: at(now - 11 * MIN) });
		api.add({ id: '11', status: 'error', startedAt: at(now - 10 * MIN), data: stalled });
		// A run Jellyfin failed (it was down): n8n kept the trigger's output, so it can be retried.
		api.add({ id: '12', status: 'error', startedAt: at(now - 9 * MIN), data: { resultData: { runData: { 'Plex Trigger': [{}] } }, executionData: { nodeExecutionStack: [{}] } } });

		const [acted, , [summary]] = await redeliver('50');
		expect(api.retried).toEqual(['12']);
		const catchUp = acted.map((a) => a.json).find((a) => a.action === 'catch-up')!;
		expect(catchUp).toMatchObject({ runs: ['11'], since: at(now - 12 * MIN), until: at(now - 8 * MIN) });
		expect(summary.json).toMatchObject({ lostRuns: 1, retry: 1, 'catch-up': 1 });

		// The template's catch-up chain: Plex's plays of the window, applied on Jellyfin.
		const requestsBefore = plex.requests;
		const window = await plexReads({ changedSince: catchUp.since, changedBefore: catchUp.until });
		expect(window.map((w) => w.json.title).sort()).toEqual([deliveredFilm.title, lostFilm.title, lostEpisode.title].sort());
		// The episode's show ids, read from its show alone, let the other server find it.
		expect(window.find((w) => w.json.type === 'episode')?.json.show).toMatchObject({ guids: lostEpisode.show.guids });
		// A page of the newest plays per section (sorted by lastViewedAt), not every page of the library.
		const windowRequests = plex.requests - requestsBefore;
		await plexReads({});
		expect(windowRequests).toBeLessThan((plex.requests - requestsBefore - windowRequests) / 2);
		const applied = await applyOnJellyfin(window.map((w) => w.json));
		expect(applied.map((a) => [a.json.target && (a.json.target as IDataObject).title, a.json.action]).sort()).toEqual([[deliveredFilm.title, 'skipped'], [lostFilm.title, 'marked-played'], [lostEpisode.title, 'marked-played']].sort());
		expect(jellyfin.writes.map((w) => w.itemId).sort()).toEqual([jellyfin.idOf(lostFilm), jellyfin.idOf(lostEpisode)].sort());
		expect(jellyfin.stateOf(ALICE.id, laterFilm).played).toBe(false);

		// The next run (on another worker, with nothing in its static data): the lost run is not
		// caught up again, nor read.
		const reads = api.requests;
		const [again, , [second]] = await redeliver('51');
		expect(again.map((a) => a.json.action)).toEqual([]);
		expect(second.json).toMatchObject({ lostRuns: 0, failedRuns: 0 });
		expect(api.requests - reads).toBe(5); // the five status listings
	});

	it('a catch-up run that failed after emitting is retried through n8n; one lost with its worker reopens its runs', async () => {
		const now = Date.now();
		api.add({ id: '20', status: 'error', startedAt: new Date(now - 20 * MIN).toISOString(), data: stalled });
		const [first] = await redeliver('60');
		expect(first.map((a) => a.json).find((a) => a.action === 'catch-up')).toMatchObject({ runs: ['20'] });
		// Its Apply node failed (a server was down): n8n kept the window, so n8n's retry goes on from there.
		const window = first.map((a) => ({ json: a.json }));
		api.add({ id: '60', mode: 'trigger', status: 'error', startedAt: new Date(now).toISOString(), data: { resultData: { runData: { Redeliver: [{ data: { main: [window] } }] } }, executionData: { nodeExecutionStack: [{}] } } });
		const [second] = await redeliver('61');
		expect(api.retried).toEqual(['60']);
		expect(second.map((a) => a.json.action)).toEqual(['retry']);

		// Another lost run; its catch-up run dies with its worker and keeps nothing.
		api.add({ id: '21', status: 'error', startedAt: new Date(now - 15 * MIN).toISOString(), data: stalled });
		const [third] = await redeliver('62');
		expect(third.map((a) => a.json).find((a) => a.action === 'catch-up')).toMatchObject({ runs: ['21'] });
		api.add({ id: '62', mode: 'trigger', status: 'error', startedAt: new Date(now).toISOString(), data: stalled });
		const [fourth, , [summary]] = await redeliver('63');
		expect(fourth.map((a) => a.json).find((a) => a.action === 'catch-up')).toMatchObject({ runs: ['21'] });
		expect(summary.json).toMatchObject({ reopenedRuns: 1 });
		expect(api.retried).not.toContain('62');
		const [fifth] = await redeliver('64');
		expect(fifth.map((a) => a.json.action)).toEqual([]);
	});

	it('a run queued but never started (its worker died first) is caught up too', async () => {
		const now = Date.now();
		const at = (ms: number) => new Date(ms).toISOString();
		api.add({ id: '40', status: 'error', startedAt: at(now - 12 * MIN), data: stalled });
		api.add({ id: '41', status: 'error', startedAt: null, stoppedAt: at(now - 8 * MIN), createdAt: at(now - 11 * MIN), data: stalled });
		const [acted] = await redeliver('80');
		expect(acted.map((a) => a.json).find((a) => a.action === 'catch-up')).toMatchObject({ runs: ['40', '41'], since: at(now - 14 * MIN), until: at(now - 9 * MIN) });
	});

	it('a pause of n8n opens a window from the last minute the node ran; a short one does not', async () => {
		const now = Date.now();
		const minute = Math.floor(now / MIN);
		await dedup.checkProcessedAndRecord([`ran|${minute - 30}`], 'node');
		const [acted] = await redeliver('70');
		const gap = acted.map((a) => a.json).find((a) => a.action === 'catch-up')!;
		expect(gap).toMatchObject({ runs: [], since: new Date((minute - 30) * MIN - 2 * MIN).toISOString() });
		expect(gap.gaps).toEqual([{ from: new Date((minute - 30) * MIN).toISOString(), to: expect.any(String) }]);
		const [again] = await redeliver('71');
		expect(again).toEqual([]);
		// The last run 8 minutes ago is under the 10-minute gap: nothing.
		dedup = new DedupStore();
		await dedup.checkProcessedAndRecord([`ran|${minute - 8}`], 'node');
		expect(await redeliver('72').then(([out]) => out)).toEqual([]);
	});

	it('a dry run reports what it would do and changes nothing', async () => {
		api.add({ id: '30', status: 'error', startedAt: new Date(Date.now() - 5 * MIN).toISOString(), data: { resultData: { runData: { 'Plex Trigger': [{}] } }, executionData: { nodeExecutionStack: [{}] } } });
		api.add({ id: '31', status: 'error', startedAt: new Date(Date.now() - 20 * MIN).toISOString(), data: stalled });
		const [acted] = await redeliver('70', { dryRun: true });
		expect(acted.map((a) => [a.json.executionId ?? a.json.runs, a.json.action, a.json.dryRun])).toEqual([
			['30', 'retry', true],
			[['31'], 'catch-up', true],
		]);
		expect(api.retried).toEqual([]);
		expect(dedup.row('node')?.size ?? 0).toBe(0);
	});
});
