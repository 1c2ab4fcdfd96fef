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
import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';
import { REREAD_BATCH, type MediaClient } from '../backends/client';
import { applyPlannedWrites, readWatchState } from '../backends/trakt/watched';
import type { WatchItem } from '../model';
import { checkTraktPerson, personOf, planPerPerson, withWrites, type PlanItem, type PlanOptions, type PlannedWrite, type Snapshot, type WrittenStamp } from '../sync/plan';
import { snapshotToRows, type SnapshotRow } from '../sync/snapshot';
import { changesByPerson } from '../sync/report';
import type { MediaBackend } from './description';
import { applyPlanned, playingKey, type AppliedWrite, type ApplyAction } from './applywrite';
import { createClient } from './execute';
import { HouseholdActing, type SkippedUser } from './household';
import { SyncProgress } from './progress';
import { RunLock } from './runlock';
import { episodeLookups, traktClient } from './trakt';

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
	/** Stop the run when a person cannot be acted for, instead of skipping that person. */
	failOnSkipped?: boolean;
	/** Match items without any external id by their file name (opt-in). */
	fileNames?: boolean;
}

export interface SyncServersResult {
	snapshotRows: SnapshotRow[];
	summary: IDataObject;
	writes: IDataObject[];
}

/** A server as Sync Servers uses it: its listing, and a client for the user a write is for. */
export interface Reader {
	backend: MediaBackend;
	/**
	 * Every item of every user read; a user that cannot be acted for goes to `skipped`; every
	 * person who has a user on this server now goes to `present` (read or not).
	 */
	list(skipped: SkippedUser[], present?: Set<string>): Promise<WatchItem[]>;
	clientFor(write: PlannedWrite): Promise<MediaClient>;
	/** What is being played right now, as playingKey(userId, itemId) of the listed items; undefined: unknown. */
	playing(): Promise<Set<string> | undefined>;
	/** Whether the server dates the sync's writes with its own clock (their stamps are kept). */
	datesWritesItself(): Promise<boolean>;
}

/** Conflicts listed in the summary at most (their count is always there). */
const MAX_LISTED = 100;

/** The Plex server owner's account id, as /accounts and /status/sessions give it. */
const PLEX_OWNER = '1';

export async function readerFor(ctx: IExecuteFunctions, backend: MediaBackend, s: Pick<SyncServersSettings, 'household' | 'users' | 'request' | 'fileNames'>): Promise<Reader> {
	const lookup = { lookup: 'index' as const };
	// Each item slimmed as its page arrives: the full form of a 100,000-item listing is never held.
	const query = { only: 'all' as const, fileNames: s.fileNames === true, keep: slimmer() };
	if (!s.household) {
		const client = createClient(ctx, backend, s.request, backend === 'plex' ? '' : s.users[backend] ?? '', lookup);
		return {
			backend,
			list: async (_skipped, present) => {
				present?.add('');
				return await (await client).listWatchState(query);
			},
			clientFor: async () => await client,
			playing: async () => {
				const now = await (await client).playingNow();
				if (!now) return undefined;
				// One user: Plex items carry no user (the credential's, the owner's); the others carry theirs.
				const mine = backend === 'plex' ? now.filter((p) => p.userId === PLEX_OWNER).map((p) => ({ ...p, userId: '' })) : now;
				return new Set(mine.map((p) => playingKey(p.userId || undefined, p.itemId)));
			},
			datesWritesItself: async () => (await client).datesWritesItself,
		};
	}
	const household = await HouseholdActing.load(ctx);
	const base = await createClient(ctx, backend, s.request, '', lookup);
	const acting = new HouseholdActing(ctx, backend, household, base, async (user, identity) => await createClient(ctx, backend, s.request, user.id, lookup, identity));
	return {
		backend,
		list: async (skipped, present) => await acting.readEveryone(async (client) => await client.listWatchState(query), skipped, present),
		clientFor: async (write) => await acting.clientFor(String(write.target.userId ?? '')),
		playing: async () => {
			const now = await base.playingNow();
			return now ? new Set(now.map((p) => playingKey(p.userId, p.itemId))) : undefined;
		},
		datesWritesItself: async () => base.datesWritesItself,
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
		if (item.file !== undefined) slim.file = item.file;
		if (item.rating !== undefined) slim.rating = item.rating;
		if (item.ratedAt !== undefined) slim.ratedAt = item.ratedAt;
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
 * The writes of one server in lanes: writes tagged with one group (copies of one title on this
 * server, which may share one user-data record) run one after another, each re-read first, so a
 * second copy sees what the first write did; the rest run side by side.
 */
function lanes(writes: PlannedWrite[]): PlannedWrite[][] {
	const grouped = new Map<string, PlannedWrite[]>();
	const out: PlannedWrite[][] = [];
	for (const write of writes) {
		if (!write.group) {
			out.push([write]);
			continue;
		}
		const key = `${write.target.userId ?? ''}\u0000${write.group}`;
		const lane = grouped.get(key);
		if (lane) lane.push(write);
		else {
			const fresh = [write];
			grouped.set(key, fresh);
			out.push(fresh);
		}
	}
	return out;
}

/**
 * Applies each server's planned writes on it, `concurrency` batches at a time per server (servers
 * side by side), none on an item being played right now; `done` hears every result. The first
 * failure stops it. Each write is checked against the target as it is now (applyPlanned): a batch
 * of up to REREAD_BATCH single writes is re-read in one request per user right before it is
 * written (about 1.02 requests per write instead of 2), while copies of one title (a lane of
 * several writes) re-read each item before its write, so the second sees what the first did.
 */
export async function applyOnServers(readers: Reader[], writes: PlannedWrite[], concurrency: number, done: (backend: MediaBackend, write: PlannedWrite, result: AppliedWrite) => Promise<void> | void): Promise<void> {
	await Promise.all(
		readers.map(async (reader) => {
			const mine = writes.filter((w) => w.backend === reader.backend);
			if (mine.length === 0) return;
			const playing = await reader.playing();
			await inTurns(batches(lanes(mine), REREAD_BATCH), concurrency, async (batch) => {
				const current = await rereadSingles(reader, batch);
				for (const lane of batch) {
					for (const write of lane) {
						const client = await reader.clientFor(write);
						await done(reader.backend, write, await applyPlanned(client, write, { dryRun: false, playing, current: current.get(client)?.get(write.target.id) }));
					}
				}
			});
		}),
	);
}

function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
	const list = map.get(key);
	if (list) list.push(value);
	else map.set(key, [value]);
}

function batches<T>(list: T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}

/** The batch's single-write lanes re-read: one readStates request per user's client. */
async function rereadSingles(reader: Reader, batch: PlannedWrite[][]): Promise<Map<MediaClient, Map<string, WatchItem>>> {
	const ids = new Map<MediaClient, string[]>();
	for (const lane of batch) {
		if (lane.length !== 1) continue;
		appendTo(ids, await reader.clientFor(lane[0]), lane[0].target.id);
	}
	const out = new Map<MediaClient, Map<string, WatchItem>>();
	for (const [client, list] of ids) out.set(client, await client.readStates(list));
	return out;
}

/**
 * The last run's snapshots without the people who have no user on a server any more: a person
 * who left the household (a user deleted, an ignore line added) is not a listing that failed, so
 * their empty listing must not trip the shrink guard and stop everyone's sync. Only the servers
 * read this run are judged; Trakt belongs to the Trakt Person and stays.
 */
export function withoutDeparted(previous: Map<string, Snapshot>, present: Map<string, Set<string>>): { kept: Map<string, Snapshot>; departed: string[] } {
	const kept = new Map<string, Snapshot>();
	const departed: string[] = [];
	for (const [person, snapshot] of previous) {
		const backends: Snapshot['backends'] = {};
		for (const [name, entry] of Object.entries(snapshot.backends)) {
			const here = present.get(name);
			if (here && !here.has(person)) departed.push(`${person || 'the user'} on ${name}`);
			else backends[name] = entry;
		}
		if (Object.keys(backends).length > 0) kept.set(person, { ...snapshot, backends });
	}
	return { kept, departed };
}

/** Who could not be read, per person: the servers the planner must leave out for them. */
function unreachableByPerson(skipped: SkippedUser[]): Map<string, string[]> {
	const out = new Map<string, string[]>();
	for (const s of skipped) appendTo(out, s.person, s.server);
	return out;
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
		if (trakt) trakt.heartbeat = async () => await lock.renew();
		// Listings are read one server at a time: one server's pages in flight at once is what
		// the servers (and the machine n8n runs on) are asked to carry.
		const items: PlanItem[] = [];
		const read: Record<string, number> = {};
		const skipped: SkippedUser[] = [];
		const present = new Map<string, Set<string>>();
		const progress = new SyncProgress(ctx);
		for (const reader of readers) {
			const people = new Set<string>();
			present.set(reader.backend, people);
			const listed = await reader.list(skipped, people);
			read[reader.backend] = listed.length;
			progress.listed(reader.backend, listed.length);
			for (const item of listed) items.push(item);
			await lock.renew();
		}
		if (skipped.length > 0 && s.failOnSkipped) {
			throw new NodeOperationError(ctx.getNode(), `Could not act for ${skipped.map((x) => `${x.person} on ${x.server}`).join(', ')}: ${skipped[0].reason}`, {
				description: 'Nothing was written. Turn off Fail When a Person Is Unreachable to sync the others and skip these.',
			});
		}
		if (trakt) {
			const listed = await readWatchState(trakt, s.traktPerson);
			read.trakt = listed.length;
			progress.listed('trakt', listed.length);
			for (const item of listed) items.push(item);
		}
		checkTraktPerson(items, s.traktPerson, s.fillTraktHistory);
		const { kept, departed } = withoutDeparted(previous, present);
		if (departed.length > 0) ctx.addExecutionHints({ message: `Left the household since the last run, so no longer synced or guarded: ${departed.join(', ')}`, type: 'info', location: 'outputPane' });
		const plan = planPerPerson(items, kept, { ...s.plan, now: new Date().toISOString() }, unreachableByPerson(skipped));
		items.length = 0;
		progress.plannedWrites(plan.writes.length);

		const applied: Record<string, Partial<Record<ApplyAction | 'not-found', number>>> = {};
		const results: IDataObject[] = [];
		const count = (backend: string, action: string) => {
			const b = (applied[backend] ??= {});
			b[action as ApplyAction] = (b[action as ApplyAction] ?? 0) + 1;
		};
		// Per person: the writes that landed, and the stamps of those the server dated itself.
		const landed = new Map<string, PlannedWrite[]>();
		const stamps = new Map<string, Map<string, WrittenStamp[]>>();
		const stamping = new Map<string, boolean>();
		for (const reader of readers) stamping.set(reader.backend, await reader.datesWritesItself());
		// Appended in place: copying the list on every write made a 60,000-write run quadratic.
		const land = (write: PlannedWrite, sentAt?: { from: number; to: number }) => {
			const person = personOf(write.target);
			appendTo(landed, person, write);
			const origin = Date.parse(write.sourceAt ?? '');
			if (!sentAt || !stamping.get(write.backend) || write.op === 'mark-unplayed' || !Number.isFinite(origin)) return;
			const mine = stamps.get(person) ?? new Map<string, WrittenStamp[]>();
			stamps.set(person, mine);
			appendTo(mine, write.backend, { id: write.target.id, origin, ...sentAt });
		};
		if (!s.dryRun) {
			await applyOnServers(readers, plan.writes, s.request.concurrency ?? 4, async (backend, write, result) => {
				count(backend, result.action);
				progress.wrote();
				if (result.landed) land(write, result.sentAt);
				if (s.outputWrites) results.push({ backend, ...result.json });
				await lock.renew();
			});
			if (trakt) {
				const writes = plan.writes.filter((w) => w.backend === 'trakt');
				if (writes.length > 0) {
					const outcomes = await applyPlannedWrites(trakt, writes, false, episodeLookups(ctx));
					outcomes.forEach((result, i) => {
						count('trakt', result.action);
						progress.wrote();
						if (result.action === 'marked-played' || result.action === 'marked-unplayed') land(writes[i]);
						if (s.outputWrites) results.push({ backend: 'trakt', ...(result as unknown as IDataObject) });
					});
				}
			}
		}
		const summary: IDataObject = {
			dryRun: s.dryRun,
			read,
			planned: plan.writes.length,
			...(plan.summary as unknown as IDataObject),
			// In words: what was written (or, in a dry run, would be), per person and server.
			changes: changesByPerson(s.dryRun ? plan.writes : [...landed.values()].flat(), (write) => personOf(write.target)) as unknown as IDataObject,
			...(s.dryRun ? { plan: plan.writes as unknown as IDataObject[] } : { applied: applied as IDataObject }),
			...(skipped.length > 0 ? { skippedUsers: skipped as unknown as IDataObject[] } : {}),
			...(plan.conflicts.length > 0 ? { conflictItems: plan.conflicts.slice(0, MAX_LISTED) as unknown as IDataObject[] } : {}),
			seconds: Math.round((Date.now() - started) / 100) / 10,
		};
		progress.finished();
		// The snapshot is what the servers hold now: what was listed plus the writes that landed.
		const snapshotRows = s.dryRun ? [] : [...plan.before].flatMap(([person, before]) => snapshotToRows(withWrites(before, landed.get(person) ?? [], stamps.get(person)), person));
		return { snapshotRows, summary, writes: results };
	} finally {
		await lock.release();
	}
}
