/**
 * Sync Servers: read every server, plan and write inside one node, so a library never crosses n8n
 * as items. At 100,000 items per server n8n would otherwise hold several copies of each listing
 * (every node's output stays in the execution), which is what made a full sync run out of memory;
 * here only the listings and the plan are held, and n8n sees the snapshot rows and a summary.
 *
 * The rules are the same as the item-by-item chain: one planner (planPerPerson), every write
 * re-read on its target first (applyPlanned / applyPlannedWrites), a failed write stops the run
 * before the snapshot is handed on, and the run lock keeps two runs of a workflow apart.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import type { MediaClient } from '../backends/client';
import { applyPlannedWrites, readWatchState } from '../backends/trakt/watched';
import type { WatchItem } from '../model';
import { checkTraktPerson, planPerPerson, type PlanItem, type PlanOptions, type PlannedWrite, type Snapshot } from '../sync/plan';
import { snapshotToRows, type SnapshotRow } from '../sync/snapshot';
import type { MediaBackend } from './description';
import { applyPlanned, createClient, type ApplyAction } from './execute';
import { HouseholdActing } from './household';
import { RunLock } from './runlock';
import { traktClient } from './trakt';

export interface SyncServersSettings {
	servers: MediaBackend[];
	trakt: boolean;
	/** Every person of the household, or the one user of each server's credential / these ids. */
	household: boolean;
	users: Partial<Record<MediaBackend, string>>;
	request: { pageSize?: number; concurrency?: number; retries?: number; timeout?: number };
	plan: Omit<PlanOptions, 'now' | 'who'>;
	/** Whose Trakt account it is, and whether plays it lacks are written to it. */
	traktPerson: string;
	fillTraktHistory: boolean;
	dryRun: boolean;
	/** Hand every write's result on (output 3); off keeps big runs small. */
	outputWrites: boolean;
}

export interface SyncServersResult {
	snapshotRows: SnapshotRow[];
	summary: IDataObject;
	writes: IDataObject[];
}

/** A server as Sync Servers uses it: its listing, and a client for the user a write is for. */
export interface Reader {
	backend: MediaBackend;
	list(): Promise<WatchItem[]>;
	clientFor(write: PlannedWrite): Promise<MediaClient>;
}

export async function readerFor(ctx: IExecuteFunctions, backend: MediaBackend, s: Pick<SyncServersSettings, 'household' | 'users' | 'request'>): Promise<Reader> {
	const lookup = { lookup: 'index' as const };
	if (!s.household) {
		const client = createClient(ctx, backend, s.request, backend === 'plex' ? '' : s.users[backend] ?? '', lookup);
		return { backend, list: async () => await (await client).listWatchState({ only: 'all' }), clientFor: async () => await client };
	}
	const household = await HouseholdActing.load(ctx);
	const base = await createClient(ctx, backend, s.request, '', lookup);
	const acting = new HouseholdActing(ctx, backend, household, base, async (user, token) => await createClient(ctx, backend, s.request, user.id, lookup, token));
	return {
		backend,
		list: async () => await acting.readEveryone(async (client) => await client.listWatchState({ only: 'all' })),
		clientFor: async (write) => await acting.clientFor(String(write.target.userId ?? '')),
	};
}

/**
 * What planning and writing need of a listed item, and no more: a 100,000-item listing per server
 * is held until the plan is made, so the library, source guid, season id, added / metadata dates
 * and the rest are dropped, and the episodes of one show share one show object.
 */
export function slimmer(): (item: WatchItem) => PlanItem {
	const shows = new Map<string, NonNullable<WatchItem['show']>>();
	return (item) => {
		const slim: PlanItem = { backend: item.backend, id: item.id, type: item.type, title: item.title, guids: item.guids, played: item.played, updatedAt: item.updatedAt };
		if (item.backendName !== undefined) slim.backendName = item.backendName;
		if (item.year !== undefined) slim.year = item.year;
		if (item.show) {
			const key = `${item.show.title}\u0000${item.show.year ?? ''}\u0000${JSON.stringify(item.show.guids)}`;
			let show = shows.get(key);
			if (!show) shows.set(key, (show = { title: item.show.title, guids: item.show.guids, ...(item.show.year !== undefined ? { year: item.show.year } : {}) }));
			slim.show = show;
		}
		if (item.season !== undefined) slim.season = item.season;
		if (item.episode !== undefined) slim.episode = item.episode;
		if (item.positionMs) slim.positionMs = item.positionMs;
		if (item.durationMs !== undefined) slim.durationMs = item.durationMs;
		if (item.playedAt !== undefined) slim.playedAt = item.playedAt;
		if (item.userId !== undefined) slim.userId = item.userId;
		if (item.person !== undefined) slim.person = item.person;
		return slim;
	};
}

/** Runs `work` over `list` with at most `limit` at once, in order of start; the first failure stops it. */
export async function inTurns<T>(list: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
	let next = 0;
	const lane = async () => {
		while (next < list.length) await work(list[next++]);
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, list.length)) }, lane));
}

/**
 * Applies each server's planned writes on it, `concurrency` at a time per server (servers side by
 * side), each re-read first (applyPlanned); `done` hears every result. The first failure stops it.
 */
export async function applyOnServers(readers: Reader[], writes: PlannedWrite[], concurrency: number, done: (backend: MediaBackend, result: IDataObject) => Promise<void> | void): Promise<void> {
	await Promise.all(
		readers.map(async (reader) => {
			const mine = writes.filter((w) => w.backend === reader.backend);
			await inTurns(mine, concurrency, async (write) => await done(reader.backend, await applyPlanned(await reader.clientFor(write), write, false)));
		}),
	);
}

export async function syncServers(ctx: IExecuteFunctions, s: SyncServersSettings, previous: Map<string, Snapshot>): Promise<SyncServersResult> {
	const lock = await RunLock.take(ctx.helpers);
	if (!(lock instanceof RunLock)) {
		return {
			snapshotRows: [],
			writes: [],
			summary: { skipped: true, reason: `another run of this sync is still going (alive at ${lock.heldAt}); this one did nothing`, dryRun: s.dryRun },
		};
	}
	try {
		const started = Date.now();
		const readers = await Promise.all(s.servers.map(async (backend) => await readerFor(ctx, backend, s)));
		const trakt = s.trakt ? await traktClient(ctx) : undefined;
		// Listings are read one server at a time: one server's pages in flight at once is what
		// the servers (and the machine n8n runs on) are asked to carry.
		const items: PlanItem[] = [];
		const read: Record<string, number> = {};
		const slim = slimmer();
		for (const reader of readers) {
			const listed = await reader.list();
			read[reader.backend] = listed.length;
			for (const item of listed) items.push(slim(item));
			await lock.renew();
		}
		if (trakt) {
			const listed = await readWatchState(trakt, s.traktPerson);
			read.trakt = listed.length;
			for (const item of listed) items.push(item);
		}
		checkTraktPerson(items, s.traktPerson, s.fillTraktHistory);
		const plan = planPerPerson(items, previous, { ...s.plan, now: new Date().toISOString() });
		items.length = 0;

		const applied: Record<string, Partial<Record<ApplyAction | 'not-found', number>>> = {};
		const results: IDataObject[] = [];
		const count = (backend: string, action: string) => {
			const b = (applied[backend] ??= {});
			b[action as ApplyAction] = (b[action as ApplyAction] ?? 0) + 1;
		};
		if (!s.dryRun) {
			await applyOnServers(readers, plan.writes, s.request.concurrency ?? 4, async (backend, result) => {
				count(backend, String(result.action));
				if (s.outputWrites) results.push({ backend, ...result });
				await lock.renew();
			});
			if (trakt) {
				const writes = plan.writes.filter((w) => w.backend === 'trakt');
				if (writes.length > 0) {
					for (const result of await applyPlannedWrites(trakt, writes, false)) {
						count('trakt', result.action);
						if (s.outputWrites) results.push({ backend: 'trakt', ...(result as unknown as IDataObject) });
					}
				}
			}
		}
		const summary: IDataObject = {
			dryRun: s.dryRun,
			read,
			planned: plan.writes.length,
			...(plan.summary as unknown as IDataObject),
			...(s.dryRun ? { plan: plan.writes as unknown as IDataObject[] } : { applied: applied as IDataObject }),
			seconds: Math.round((Date.now() - started) / 100) / 10,
		};
		const snapshotRows = s.dryRun ? [] : [...plan.snapshots].flatMap(([person, snapshot]) => snapshotToRows(snapshot, person));
		return { snapshotRows, summary, writes: results };
	} finally {
		await lock.release();
	}
}
