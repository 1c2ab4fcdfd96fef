/**
 * n8n's queue mode, as users scale out: Postgres and Redis (Debian's packages), a main process, a
 * webhook processor and two workers, each with this package installed. Webhooks must be answered by
 * the webhook processor, executions run by the workers, every event written exactly once per other
 * server — also when a worker dies in the middle of a burst, or the main process restarts: the
 * template's redelivery retries through n8n's API what failed with its event kept, and catches up
 * from the servers what n8n kept nothing of; nobody resends. Sync Servers runs one at a time per
 * workflow across the workers.
 */
import { createHash } from 'node:crypto';
import { DEMO, startDemoServers, stopDemoServers, type DemoServers } from '../../dev/demo/world';
import type { SeedItem } from '../../dev/emulators/library';
import { proc, readFileSync } from '../../dev/lib/builtins';
import { loadableItems, runWebhookLoad } from '../../dev/load';
import { startStack, type N8nProcess, type Stack } from '../../dev/n8n/stack';
import { until } from './helpers';

const u = DEMO.user;
const log = (line: string) => void line;
const QUEUE = (base: number) => ({ workers: 2, ports: { postgres: base + 2, redis: base + 3, webhook: base + 4, base: base + 10 } });

/** Executions each n8n process started, from its log (n8n logs every job a worker takes). */
function executionsStarted(p: N8nProcess): string[] {
	return [...readFileSync(p.logFile, 'utf8').matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]);
}

describe('queue mode: the real-time template on a webhook processor and two workers', () => {
	let servers: DemoServers;
	let stack: Stack;
	beforeAll(async () => {
		// Four bursts of 60 items of their own, and some to spare.
		servers = await startDemoServers({ drift: false, movies: 220 });
		// The template's redelivery runs every 10 s here, a first retry 5 s after a failure; the
		// emulators share n8n's clock, so a catch-up's margin of 20 s is plenty.
		stack = await startStack(servers, { name: 'e2e-queue', port: 5720, brokerPort: 5721, templates: ['realtime-sync.json'], queue: QUEUE(5720), redelivery: { everySeconds: 10, firstWaitSeconds: 5, catchUpMarginSeconds: 20 }, log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	const workers = () => stack.processes.filter((p) => p.role === 'worker');
	/** What happened to the runs since `before`, and what the redelivery kept (a failure's report). */
	const diagnose = (unfinished: string[], before: Set<string>) => ({
		unfinished,
		caughtUp: [...caughtUpRuns()],
		// The Redeliver node's summary of each run (flatted keeps numbers in place), and whether it caught up.
		runs: stack
			.sql(
				`select e.id::text as id, e.mode, e.status, e."startedAt"::text as started, e."stoppedAt"::text as stopped, substring(d.data from '"failedRuns":[^}]*') as summary, d.data like '%"until"%' as "caughtUp" from execution_entity e left join execution_data d on d."executionId" = e.id order by e.id`,
			)
			.filter((r) => !before.has(String(r.id)) && (r.status !== 'success' || r.mode !== 'webhook')),
	});
	/**
	 * The lost runs the redelivery caught up: its `done|<run>` keys in n8n's deduplication store
	 * (table processed_data, the node's row; n8n keeps each key as its MD5 in base64).
	 */
	const caughtUpRuns = (): Set<string> => {
		const rows = stack.sql(`select value::text as value from processed_data where "workflowId" = '${stack.workflows[0].id}' and context like 'n:%'`);
		const hashes = new Set(rows.flatMap((r) => ((JSON.parse(String(r.value)) as { data?: string[] }).data ?? [])));
		const ids = stack.sql(`select id::text as id from execution_entity where mode = 'webhook'`).map((r) => String(r.id));
		return new Set(ids.filter((id) => hashes.has(createHash('md5').update(`done|${id}`).digest('base64'))));
	};
	// Items of their own for each test.
	const items = () => loadableItems(servers);

	it('answers webhooks on the webhook processor, runs them on the workers, and loses none under load and a burst', async () => {
		const hook = stack.workflows[0].webhooks.find((h) => h.node === 'Plex Trigger')!;
		// The main process answers no production webhook in this topology.
		const onMain = await fetch(hook.url.replace(stack.webhookUrl, stack.url), { method: 'POST', body: '{}' });
		expect(onMain.status).toBe(404);

		const steady = await runWebhookLoad(stack, servers, { items: items().slice(0, 60), concurrency: 6, mode: 'closed', settleMs: 60_000 });
		expect([steady.accepted, steady.lost, steady.doubled]).toEqual([60, 0, 0]);
		const burst = await runWebhookLoad(stack, servers, { items: items().slice(60, 120), concurrency: 6, mode: 'burst', settleMs: 180_000 });
		expect([burst.accepted, burst.lost, burst.doubled]).toEqual([60, 0, 0]);

		// One execution per event, all finished, every one run by a worker and none by main.
		const runs = stack.sql(`select id::text as id, status from execution_entity where mode = 'webhook'`);
		expect(runs.length).toBe(120);
		expect(runs.filter((r) => r.status !== 'success')).toEqual([]);
		const byWorker = workers().map(executionsStarted);
		expect(byWorker.every((ids) => ids.length > 0)).toBe(true);
		const workerRuns = new Set(byWorker.flat());
		expect(runs.filter((r) => !workerRuns.has(String(r.id)))).toEqual([]);
		expect(executionsStarted(stack.processes[0])).toEqual([]);
	});

	const writesPerServer = (item: SeedItem) =>
		[servers.plex.writes.filter((w) => w.itemId === servers.plex.keyOf(item)), servers.jellyfin.writes.filter((w) => w.itemId === servers.jellyfin.idOf(item)), servers.emby.writes.filter((w) => w.itemId === servers.emby.idOf(item))].map((w) => w.length);
	/** Every item played on both servers its event was sent to (the load sends from Plex, Jellyfin, Emby in turn). */
	const allDelivered = (burstItems: SeedItem[]) =>
		burstItems.every((item, i) => {
			const from = (['plex', 'jellyfin', 'emby'] as const)[i % 3];
			const state = { plex: servers.plex.stateOf(u.plexId, item), jellyfin: servers.jellyfin.stateOf(u.jellyfinId, item), emby: servers.emby.stateOf(u.embyId, item) };
			return (['plex', 'jellyfin', 'emby'] as const).filter((t) => t !== from).every((t) => state[t].played);
		});

	it('a worker killed mid-burst: every event is written, none twice, with nobody resending (n8n kept no event of its runs: they are caught up)', async () => {
		const [victim, survivor] = workers();
		const burstItems = items().slice(120, 180);
		const before = new Set(stack.sql(`select id::text as id from execution_entity`).map((r) => String(r.id)));
		const startedBefore = executionsStarted(victim).length;
		// The servers answer reads slowly while the burst starts, so the worker dies in the middle of
		// its runs, before they wrote.
		for (const server of [servers.plex, servers.jellyfin, servers.emby]) server.addFault({ method: 'GET', delayMs: 1500, times: Infinity });
		const load = runWebhookLoad(stack, servers, { items: burstItems, concurrency: 6, mode: 'burst', settleMs: 300_000 });
		// Kill it (SIGKILL, its own pid: no chance to finish or hand back its jobs) once it is busy.
		expect(await until(() => executionsStarted(victim).length >= startedBefore + 5, 120_000, 50)).toBe(true);
		proc.kill(victim.pid, 'SIGKILL');
		for (const server of [servers.plex, servers.jellyfin, servers.emby]) server.clearFaults();
		const burst = await load;
		if (burst.lost > 0) proc.stdout.write(`worker killed mid-burst, not delivered: ${JSON.stringify(diagnose(burst.unfinished.map((u) => `${u.from}: ${u.item.title}`), before))}\n`);
		expect([burst.accepted, burst.lost, burst.doubled]).toEqual([60, 0, 0]);
		for (const item of burstItems) expect(writesPerServer(item).every((n) => n <= 1)).toBe(true);
		expect(allDelivered(burstItems)).toBe(true);
		// n8n ran none of them twice on its own (Bull's maxStalledCount 0): the dead worker's runs
		// fail once their locks lapse, with no data left (WorkflowRunner.processError), so no retry
		// can bring them back; each goes into a window the redelivery catches up from the servers
		// (whether or not the run had written before it died), and the window closes after.
		const burstRuns = () => stack.sql(`select id::text as id, status, mode, "retryOf" as "retryOf", "retrySuccessId" as "retrySuccessId" from execution_entity`).filter((r) => !before.has(String(r.id)));
		const failedRuns = () => burstRuns().filter((r) => r.mode === 'webhook' && r.status !== 'success');
		const handled = () => {
			const caught = caughtUpRuns();
			const runs = burstRuns().filter((r) => r.mode === 'webhook');
			const settledRuns = runs.length === 60 && runs.every((r) => r.status === 'success' || r.status === 'error' || r.status === 'crashed');
			return settledRuns && failedRuns().every((r) => r.retrySuccessId !== null || caught.has(String(r.id)));
		};
		const dealtWith = await until(handled, 300_000, 1000);
		if (!dealtWith) proc.stdout.write(`worker killed mid-burst, not dealt with: ${JSON.stringify(diagnose([], before))}\n`);
		expect(dealtWith).toBe(true);
		const runs = burstRuns();
		const failed = failedRuns();
		expect(failed.length).toBeGreaterThan(0);
		const caughtUp = caughtUpRuns();
		// The catch-up wrote what was missing and nothing twice.
		for (const item of burstItems) expect(writesPerServer(item).every((n) => n <= 1)).toBe(true);
		expect(allDelivered(burstItems)).toBe(true);
		const outcome = `${failed.length} of 60 runs failed with the worker (${failed.filter((r) => caughtUp.has(String(r.id))).length} caught up, ${failed.filter((r) => r.retrySuccessId !== null).length} retried); executions ${JSON.stringify(countBy(runs.filter((r) => r.mode === 'webhook').map((r) => String(r.status))))}`;
		// The measured outcome, for the install guide's note on dead workers.
		proc.stdout.write(`worker killed mid-burst: ${outcome}\n`);
		expect(executionsStarted(survivor).length).toBeGreaterThan(0);
		await stack.addWorker();
	});

	it('the main process restarted mid-burst: every event is written, none twice, with nobody resending', async () => {
		const burstItems = items().slice(180, 240);
		const load = runWebhookLoad(stack, servers, { items: burstItems, concurrency: 6, mode: 'burst', settleMs: 240_000 });
		const started = () => workers().flatMap(executionsStarted).length;
		const before = started();
		expect(await until(() => started() >= before + 10, 120_000, 50)).toBe(true);
		await stack.restartMain();
		const burst = await load;
		// The webhook processor answers while main is away, and the workers go on with the queue.
		expect([burst.accepted, burst.lost, burst.doubled]).toEqual([60, 0, 0]);
		for (const item of burstItems) expect(writesPerServer(item).every((n) => n <= 1)).toBe(true);
		expect(allDelivered(burstItems)).toBe(true);
	});
});

describe('queue mode: the full sync template, run by the workers', () => {
	let servers: DemoServers;
	let stack: Stack;
	let disagreedAtStart = false;
	const matchable = (item: SeedItem) => Object.keys(item.guids).length > 0 || (item.kind === 'episode' && Object.keys(item.show.guids).length > 0);
	const agree = () =>
		[...servers.library.movies, ...servers.library.episodes].filter(matchable).every((item) => {
			const played = servers.plex.stateOf(u.plexId, item).played;
			return servers.jellyfin.stateOf(u.jellyfinId, item).played === played && servers.emby.stateOf(u.embyId, item).played === played;
		});
	beforeAll(async () => {
		servers = await startDemoServers({ drift: true });
		disagreedAtStart = !agree();
		// Runs only when asked (Run Now as a webhook): the 6-hour schedule does not fire during the test.
		stack = await startStack(servers, { name: 'e2e-queue-full', port: 5740, brokerPort: 5741, templates: ['full-sync.json'], queue: QUEUE(5740), manualAsWebhook: true, saveSuccessfulExecutions: true, log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	const runNow = async () => {
		const res = await fetch(stack.workflows[0].manual[0].url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
		return { status: res.status, body: await res.text() };
	};
	const writes = () => servers.plex.writes.length + servers.jellyfin.writes.length + servers.emby.writes.length;
	const listings = () => servers.plex.requestsByRoute.get('GET ^\\/library\\/sections\\/all$') ?? 0;
	const SKIPPED = 'another run of this sync is still going';
	const skippedRuns = () => stack.sql(`select e.id::text as id from execution_entity e join execution_data d on d."executionId" = e.id where d.data like '%${SKIPPED}%'`).length;

	it('converges disagreeing servers on the workers; a later run writes nothing', async () => {
		expect(disagreedAtStart).toBe(true);
		expect((await runNow()).status).toBe(200);
		expect(agree()).toBe(true);
		expect(writes()).toBeGreaterThan(0);
		const settled = writes();
		expect((await runNow()).status).toBe(200);
		expect(writes()).toBe(settled);
		expect(stack.sql(`select count(*)::int as n from execution_entity where status <> 'success'`)[0].n).toBe(0);
		// Every run happened on a worker.
		const started = new Set(stack.processes.filter((p) => p.role === 'worker').flatMap(executionsStarted));
		const succeeded = stack.sql(`select id::text as id from execution_entity where status = 'success'`).map((r) => String(r.id));
		expect(succeeded.filter((id) => !started.has(id))).toEqual([]);
		expect(executionsStarted(stack.processes[0])).toEqual([]);
	});

	it('two runs started at the same instant: exactly one syncs, the other says why (20 times); a killed run holds the lock until it lapses', async () => {
		// Each run lists Plex for 1.5 s, so the two overlap whichever worker takes which.
		servers.plex.addFault({ path: /^\/library\/sections\/all$/, delayMs: 1500, times: Infinity });
		for (let attempt = 0; attempt < 20; attempt++) {
			const [listed, skipped] = [listings(), skippedRuns()];
			const answers = await Promise.all([runNow(), runNow()]);
			expect(answers.map((a) => a.status)).toEqual([200, 200]);
			expect([listings() - listed, skippedRuns() - skipped]).toEqual([1, 1]);
		}
		expect(stack.sql(`select count(*)::int as n from execution_entity where status <> 'success'`)[0].n).toBe(0);

		// A worker killed in the middle of a run: its lock stays (it was alive moments ago) until the
		// lease of 10 minutes lapses (the component tests move the clock past it).
		const listed = listings();
		void runNow().catch(() => undefined);
		expect(await until(() => listings() > listed, 30_000, 20)).toBe(true);
		const [current] = stack.sql(`select id::text as id from execution_entity where status = 'running' order by id desc limit 1`);
		const holder = stack.processes.find((p) => p.role === 'worker' && p.running() && executionsStarted(p).includes(String(current.id)))!;
		proc.kill(holder.pid, 'SIGKILL');
		const skipped = skippedRuns();
		expect((await runNow()).status).toBe(200);
		expect(skippedRuns()).toBe(skipped + 1);
		expect(listings()).toBe(listed + 1);
	});
});

function countBy(values: string[]): Record<string, number> {
	return values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});
}
