/**
 * Restoring a backup (or migrating: a backup taken moments ago from another server) onto live
 * servers, planned by the same planner as a sync, with the backup as the only source:
 * - items are matched by external ids, person by person; the backup's plays and resume positions
 *   are written where the target lacks them, with the backup's play dates;
 * - a target item the user has done nothing with (unplayed, no position, never played: a fresh
 *   server after a rebuild) counts as older than the backup, so positions are restored too;
 * - a target item played or moved since keeps its newer state;
 * - nothing is un-marked unless asked (Un-Mark Too); then an item unplayed in the backup un-marks
 *   a target play older than the backup, never a newer one;
 * - records that match nothing on a target are reported, not guessed.
 * Pure: the node reads the servers and applies the writes (backuprestore.ts).
 */
import { BackupRefused, recordToItem, type Backup, type BackupRecord } from './backup';
import { matchKeys } from '../sync/idindex';
import { personOf, planPerPerson, serverName, type PlanItem, type PlannedWrite } from '../sync/plan';
import { MIN_POSITION_MS } from '../sync/rules';

export interface RestoreOptions {
	/** Only records read from these servers (plex, jellyfin, …); empty: all. */
	fromServers: string[];
	/** Only this person's (or user's) records; needed for a one-user restore of a household backup. */
	person: string;
	/** Household restore (each person onto their own users) or one user (persons dropped). */
	household: boolean;
	unmark: boolean;
	minPositionMs?: number;
	now: string;
}

export interface NotFound {
	server: string;
	person?: string;
	type: string;
	title: string;
	year?: number;
	season?: number;
	episode?: number;
	guids: PlanItem['guids'];
}

export interface RestorePlan {
	writes: PlannedWrite[];
	/** Per target server: backup records with state that matched an item there, and that did not. */
	matched: Record<string, number>;
	notFound: Record<string, number>;
	notFoundItems: NotFound[];
	records: number;
}

const NO_STATE_AT = new Date(0).toISOString();

/**
 * A listed item the user never did anything with is dated by when it was added to the library,
 * which on a rebuilt server is after the backup: it has no state to protect, so it is older.
 */
function withoutTimeIfUntouched(item: PlanItem): PlanItem {
	return item.played !== true && !item.positionMs && item.playedAt === undefined ? { ...item, updatedAt: NO_STATE_AT } : item;
}

const ownerOf = (r: BackupRecord) => r.person ?? r.userName ?? r.userId ?? '';

/** The records to restore, or why the selection cannot be restored as asked. */
export function selectRecords(backup: Backup, o: Pick<RestoreOptions, 'fromServers' | 'person' | 'household'>): BackupRecord[] {
	const want = o.person.trim().toLowerCase();
	const records = backup.records.filter(
		(r) => (o.fromServers.length === 0 || o.fromServers.includes(r.server)) && (!want || [r.person, r.userName, r.userId].some((v) => v?.toLowerCase() === want)),
	);
	if (records.length === 0) {
		const servers = Object.keys(backup.header.servers).join(', ') || 'none';
		throw new BackupRefused(`Nothing to restore: the backup has no records${o.fromServers.length ? ` from ${o.fromServers.join(', ')}` : ''}${want ? ` of "${o.person}"` : ''} (it holds: ${servers}; people: ${backup.header.people.join(', ') || 'one user'})`);
	}
	if (o.household && records.some((r) => r.person === undefined)) {
		throw new BackupRefused('This backup was taken for one user, not for the household: restore it with For: One User');
	}
	if (!o.household) {
		const owners = [...new Set(records.map(ownerOf))];
		if (owners.length > 1) throw new BackupRefused(`The backup holds the state of several people (${owners.sort().join(', ')}): set Backup Person to the one to restore for this user, or restore For: Household`);
	}
	return records;
}

/** A record worth restoring: a play, a position, or (with Un-Mark Too) an unplayed state. */
function carriesState(r: PlanItem, o: RestoreOptions): boolean {
	return r.played === true || (r.positionMs ?? 0) >= (o.minPositionMs ?? MIN_POSITION_MS) || (o.unmark && r.played === false);
}

/**
 * `live`: the target servers' listings (household ones tagged with persons). Plans the writes,
 * and reports per target server which records matched.
 */
export function planRestore(backup: Backup, live: PlanItem[], o: RestoreOptions): RestorePlan {
	const records = selectRecords(backup, o);
	const items = records.map((record) => {
		const item: PlanItem = recordToItem(record);
		if (!o.household) delete item.person;
		return item;
	});
	// What the backup has as played, per person: an unplayed copy of the same title in the backup
	// (a 4K copy never watched) says nothing against that play, so it un-marks nothing.
	const playedInBackup = new Set(items.filter((i) => i.played === true).flatMap((i) => matchKeys(i).map((key) => `${personOf(i)}\u0000${key}`)));
	const fromBackup: PlanItem[] = items.map((item) => {
		const playedElsewhere = matchKeys(item).some((key) => playedInBackup.has(`${personOf(item)}\u0000${key}`));
		// An unplayed state in the backup is explicit only when asked, and as of the backup's time.
		if (o.unmark && item.played === false && !playedElsewhere) Object.assign(item, { event: 'unplayed', updatedAt: backup.header.takenAt });
		return item;
	});
	const targets = [...new Set(live.map(serverName))];
	const sources = [...new Set(fromBackup.map(serverName))];
	// Each target is planned alone against the backup, with its own state as a source too: its
	// newer plays and positions win over the backup, and nothing passes from one target to another.
	const plans = targets.map((target) =>
		planPerPerson(
			[...fromBackup, ...live.filter((item) => serverName(item) === target).map(withoutTimeIfUntouched)],
			new Map(),
			{ sources: [...sources, target], targets: [target], propagateUnplayed: o.unmark, minPositionMs: o.minPositionMs, now: o.now },
		),
	);
	const writes = plans.flatMap((p) => p.writes);

	const keysOn = new Map<string, Set<string>>();
	for (const item of live) {
		let keys = keysOn.get(serverName(item));
		if (!keys) keysOn.set(serverName(item), (keys = new Set()));
		for (const key of matchKeys(item)) keys.add(`${personOf(item)}\u0000${key}`);
	}
	const matched: Record<string, number> = {};
	const notFound: Record<string, number> = {};
	const notFoundItems: NotFound[] = [];
	for (const target of targets) {
		const keys = keysOn.get(target) ?? new Set<string>();
		matched[target] = 0;
		notFound[target] = 0;
		// Each title once per person, however many backed-up servers had it.
		const counted = new Set<string>();
		for (const item of fromBackup) {
			if (!carriesState(item, o)) continue;
			const own = matchKeys(item);
			const id = `${personOf(item)}\u0000${own[0] ?? `${item.type}|${item.title}`}`;
			if (counted.has(id)) continue;
			counted.add(id);
			if (own.some((key) => keys.has(`${personOf(item)}\u0000${key}`))) {
				matched[target]++;
				continue;
			}
			notFound[target]++;
			const entry: NotFound = { server: target, type: item.type, title: item.show ? item.show.title : item.title, guids: item.guids };
			if (item.person !== undefined) entry.person = item.person;
			if (item.year !== undefined) entry.year = item.year;
			if (item.season !== undefined) entry.season = item.season;
			if (item.episode !== undefined) entry.episode = item.episode;
			notFoundItems.push(entry);
		}
	}
	return { writes, matched, notFound, notFoundItems, records: records.length };
}
