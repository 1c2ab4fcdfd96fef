/**
 * Plan Sync: from the WatchItems of several servers (and the previous run's snapshot), the writes
 * that make them agree, under the rules of ARCHITECTURE.md:
 * - items match across servers by any shared external id (episodes: episode ids, else show id +
 *   season + episode);
 * - the newest change decides played / unplayed; only explicit un-marks count as unplayed (an
 *   `unplayed` event, or an item the snapshot saw played); unknown (null) never counts; a played
 *   flag from a tainted event never counts;
 * - positions under the minimum, at / past the watched line, or older than the target's state are
 *   not written; a resume point the last run saw that is gone now is a reset, as new as the last
 *   run at least, so no older position is copied over it; a target already in the wanted state
 *   gets nothing;
 * - a mark-played onto an item with a newer resume point (a rewatch under way) keeps that point;
 * - the sync's own earlier writes on servers that date them at the call count with the date of the
 *   state they copied (stamps.ts);
 * - a server whose listing is missing or shrank suspiciously aborts the plan; a server that could
 *   not be read for one person (unreachable) is left out for that person and keeps its snapshot.
 * Pure and deterministic given its inputs.
 */
import { conflictingId, isEpisodeKey, joins, matchKeys } from './idindex';
import { GUID_KEYS, type WatchEvent, type WatchItem } from '../model';
import { MIN_POSITION_MS, POSITION_TOLERANCE_MS, WATCHED_PERCENT } from './rules';
import { recognizeOwnWrites } from './stamps';
import { UnmatchedTally, type Unmatched } from './report';

export type PlanItem = WatchItem & Partial<Pick<WatchEvent, 'event' | 'tainted'>>;

export interface SnapshotBackend {
	count: number;
	/** Ids of the items that were played (after the planned writes). */
	played: string[];
	/** Ids of the unplayed items with a resume point worth syncing (after the writes). */
	resumed?: string[];
	/** Writes the sync made that the server dated itself, recognised on the next run (stamps.ts). */
	written?: WrittenStamp[];
}

/** A write on a server that dates it at the call: when it was made, and the date of what it copied. */
export interface WrittenStamp {
	id: string;
	/** ms since epoch: the date of the state the write copied. */
	origin: number;
	/** ms since epoch on n8n's clock: just before the call, and when it answered. */
	from: number;
	to: number;
}

export interface Snapshot {
	kind: 'watchstate-snapshot';
	version: 1;
	takenAt: string;
	backends: Record<string, SnapshotBackend>;
}

export interface PlanOptions {
	/** Server names whose state may decide; empty = all. */
	sources?: string[];
	/** Server names that may be written; empty = all; `none` = none (record the snapshot only). */
	targets?: string[];
	propagateUnplayed: boolean;
	minPositionMs?: number;
	/** Abort when a server lists this share (percent) fewer items than in the snapshot. */
	maxShrinkPercent?: number;
	now: string;
	/** Whose items these are (a household person), named in an abort's message. */
	who?: string;
	/**
	 * A play history such as Trakt's, written like a server but listing only what was played:
	 * whatever is played elsewhere and missing there is written to it. It belongs to one person
	 * ('' for a single user); no other person's plays ever reach it. It takes no positions.
	 */
	history?: { backend: string; person: string };
	/** Servers that could not be read for this person (e.g. no Plex token for them): left out, their snapshot kept. */
	unreachable?: string[];
}

export type WriteOp = 'mark-played' | 'mark-unplayed' | 'set-position';

export interface PlannedWrite {
	kind: 'watchstate-write';
	backend: string;
	op: WriteOp;
	target: WatchItem;
	playedAt?: string;
	positionMs?: number;
	/** mark-played: the target's own newer resume point, written back after the mark. */
	keepPositionMs?: number;
	/** The date of the state this write copies (the play, or the position). */
	sourceAt?: string;
	/** Set when one server gets several writes for one title (library copies): they are applied one after another. */
	group?: string;
	reason: string;
	/** The item that decided; `userId` / `person` say whose state it was. */
	source: { backend: string; id: string; title: string; userId?: string; person?: string };
}

export interface PlanSummary {
	groups: number;
	/** Titles left alone because their ids contradict each other. */
	conflicts?: number;
	backends: Record<string, { items: number; played: number; writes: Record<WriteOp, number> }>;
	/** Per server, what no other server could be matched with (played or half-watched items only). */
	unmatched?: Record<string, Unmatched>;
}

/** Items that share an id but contradict each other in another: not joined, nothing written for them. */
export interface MatchConflict {
	reason: string;
	items: Array<{ backend: string; id: string; title: string; guids: WatchItem['guids']; person?: string; season?: number; episode?: number }>;
}

export interface PlanResult {
	writes: PlannedWrite[];
	/** Titles left alone because their ids contradict each other (a wrong id on one server). */
	conflicts: MatchConflict[];
	/** The servers' state once every planned write is applied. */
	snapshot: Snapshot;
	/** The state as listed (un-marks held as played); withWrites() adds the writes that landed. */
	before: Snapshot;
	summary: PlanSummary;
}

/** Refusing to plan: a listing failed or shrank; nothing may be written. */
export class PlanAbort extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PlanAbort';
	}
}

/** Refusing to plan: the Trakt items and the Trakt Person do not fit together. */
export class TraktPersonMismatch extends Error {}

/**
 * Trakt items must be the Trakt Person's, and in a household that person must be one of its
 * people: otherwise the account would be planned alone (or with the wrong person's plays).
 */
export function checkTraktPerson(items: PlanItem[], traktPerson: string, fillHistory: boolean): void {
	const stray = items.find((item) => item.backend === 'trakt' && (item.person ?? '') !== traktPerson);
	if (stray) throw new TraktPersonMismatch(`Trakt items belong to "${stray.person ?? ''}" but Trakt Person is "${traktPerson}"; set the same person in the Trakt node and in Plan Sync`);
	const people = new Set(items.filter((item) => item.backend !== 'trakt' && item.person !== undefined).map((item) => item.person!));
	const usesTrakt = fillHistory || items.some((item) => item.backend === 'trakt');
	if (usesTrakt && people.size > 0 && !people.has(traktPerson)) {
		throw new TraktPersonMismatch(`Trakt Person "${traktPerson}" is none of the household's people (${[...people].sort().join(', ')})`);
	}
}

export function serverName(item: WatchItem): string {
	return item.backendName ?? item.backend;
}

/** The person an item belongs to (household listings tag each item); '' for a single-user sync. */
export function personOf(item: WatchItem): string {
	return typeof item.person === 'string' ? item.person : '';
}

export interface HouseholdPlan {
	writes: PlannedWrite[];
	conflicts: MatchConflict[];
	/** One snapshot per person (the key '' for a single user). */
	snapshots: Map<string, Snapshot>;
	/** Per person, the state as listed (see PlanResult.before). */
	before: Map<string, Snapshot>;
	summary: PlanSummary & { people: Record<string, PlanSummary> };
}

/**
 * Plans each person on their own: items are matched, decided and written only among one
 * person's items, against that person's snapshot and shrink guard, so nothing one person did
 * ever reaches another person's user (a restricted user's smaller library is their own baseline).
 */
export function planPerPerson(input: PlanItem[], previous: Map<string, Snapshot>, options: PlanOptions, unreachable: Map<string, string[]> = new Map()): HouseholdPlan {
	const byPerson = new Map<string, PlanItem[]>();
	for (const item of input) {
		const person = personOf(item);
		const list = byPerson.get(person);
		if (list) list.push(item);
		else byPerson.set(person, [item]);
	}
	// A person the last run saw who lists nothing now is a failed listing, not an empty library.
	for (const person of previous.keys()) if (!byPerson.has(person)) byPerson.set(person, []);
	const writes: PlannedWrite[] = [];
	const conflicts: MatchConflict[] = [];
	const snapshots = new Map<string, Snapshot>();
	const before = new Map<string, Snapshot>();
	const people: Record<string, PlanSummary> = {};
	const total: PlanSummary = { groups: 0, backends: {} };
	const unmatched = new UnmatchedTally();
	for (const [person, items] of [...byPerson].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
		const result = planSync(items, previous.get(person), { ...options, who: person || undefined, unreachable: unreachable.get(person) });
		writes.push(...result.writes);
		conflicts.push(...result.conflicts);
		snapshots.set(person, result.snapshot);
		before.set(person, result.before);
		people[person] = result.summary;
		total.groups += result.summary.groups;
		if (result.summary.conflicts) total.conflicts = (total.conflicts ?? 0) + result.summary.conflicts;
		if (result.summary.unmatched) unmatched.merge(result.summary.unmatched);
		for (const [name, b] of Object.entries(result.summary.backends)) {
			const t = (total.backends[name] ??= { items: 0, played: 0, writes: { 'mark-played': 0, 'mark-unplayed': 0, 'set-position': 0 } });
			t.items += b.items;
			t.played += b.played;
			for (const op of Object.keys(b.writes) as WriteOp[]) t.writes[op] += b.writes[op];
		}
	}
	if (Object.keys(unmatched.byServer).length > 0) total.unmatched = unmatched.byServer;
	return { writes, conflicts, snapshots, before, summary: { ...total, people } };
}

const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : Number.NEGATIVE_INFINITY);

/** Union-find over item indexes. */
class Groups {
	private readonly parent: Int32Array;
	constructor(n: number) {
		this.parent = new Int32Array(n);
		for (let i = 0; i < n; i++) this.parent[i] = i;
	}
	find(i: number): number {
		let root = i;
		while (this.parent[root] !== root) root = this.parent[root];
		while (this.parent[i] !== root) {
			const next = this.parent[i];
			this.parent[i] = root;
			i = next;
		}
		return root;
	}
	union(a: number, b: number): void {
		const ra = this.find(a);
		const rb = this.find(b);
		if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
	}
}

function checkGuards(counts: Map<string, number>, previous: Snapshot | undefined, maxShrinkPercent: number, who?: string, unreachable: string[] = []): void {
	if (!previous) return;
	const whose = who ? `${who}: ` : '';
	for (const [name, before] of Object.entries(previous.backends)) {
		if (unreachable.includes(name)) continue;
		const now = counts.get(name) ?? 0;
		if (now === 0 && before.count > 0) {
			throw new PlanAbort(`${whose}${name} listed no items (the last run saw ${before.count}); its listing probably failed, so nothing is written`);
		}
		if (before.count > 0 && now < before.count * (1 - maxShrinkPercent / 100)) {
			throw new PlanAbort(
				`${whose}${name} listed ${now} items, ${Math.round((1 - now / before.count) * 100)} % fewer than the ${before.count} of the last run (limit ${maxShrinkPercent} %); nothing is written`,
			);
		}
	}
}

/** Un-marks a person may well make at once (a season); more, beyond Max Shrink, look like a lost database. */
const MASS_UNMARK_MIN = 25;

/** Candidates a shared key brings together are checked pairwise against at most this many (a bad id shared by thousands stays cheap). */
const MAX_PAIRS_PER_KEY = 32;

/**
 * The titles: items joined where they share an id and nothing contradicts (idindex.ts joins).
 * A joined group whose members still disagree on an id (A and C each agreeing with B) is a
 * conflict, as are items that share a key but contradict: reported, not planned.
 */
function groupTitles(input: PlanItem[]): { members: PlanItem[][]; conflicts: MatchConflict[]; idless: PlanItem[] } {
	const groups = new Groups(input.length);
	const byKey = new Map<string, number[]>();
	const matchable = new Uint8Array(input.length);
	input.forEach((item, index) => {
		const keys = matchKeys(item);
		if (keys.length > 0) matchable[index] = 1;
		for (const key of keys) {
			const list = byKey.get(key);
			if (list) list.push(index);
			else byKey.set(key, [index]);
		}
	});
	// Pairs that share an id of their own but contradict in another (not episodes that only share
	// a show and numbers: in DVD and aired order those are two episodes, which is no conflict).
	const rejected = new Map<string, [number, number]>();
	for (const [key, list] of byKey) {
		const ownId = !isEpisodeKey(key);
		for (let i = 1; i < list.length; i++) {
			for (let j = Math.max(0, i - MAX_PAIRS_PER_KEY); j < i; j++) {
				const [a, b] = [list[j], list[i]];
				if (joins(input[a], input[b])) groups.union(a, b);
				else if (ownId) rejected.set(a < b ? `${a},${b}` : `${b},${a}`, a < b ? [a, b] : [b, a]);
			}
		}
	}
	const byRoot = new Map<number, number[]>();
	const idless: PlanItem[] = [];
	input.forEach((item, index) => {
		if (!matchable[index]) {
			idless.push(item); // nothing to match by
			return;
		}
		const root = groups.find(index);
		const list = byRoot.get(root);
		if (list) list.push(index);
		else byRoot.set(root, [index]);
	});
	const members: PlanItem[][] = [];
	const conflicts: MatchConflict[] = [];
	const inConflict = new Set<number>();
	for (const indexes of byRoot.values()) {
		const provider = contradiction(indexes.map((i) => input[i]));
		if (!provider) {
			members.push(indexes.map((i) => input[i]));
			continue;
		}
		for (const i of indexes) inConflict.add(i);
		conflicts.push({ reason: `joined through other ids, but their ${provider} ids differ`, items: indexes.map((i) => conflictRef(input[i])) });
	}
	for (const [a, b] of rejected.values()) {
		// Items of one group (joined another way) are not a conflict of their own.
		if (groups.find(a) === groups.find(b) || inConflict.has(a) || inConflict.has(b)) continue;
		const provider = conflictingId(input[a].guids ?? {}, input[b].guids ?? {});
		conflicts.push({ reason: `they share an id, but their ${provider ?? 'other'} ids differ`, items: [conflictRef(input[a]), conflictRef(input[b])] });
	}
	return { members, conflicts, idless };
}

/** A provider the members of a group have two different ids for, if any. */
function contradiction(items: PlanItem[]): string | undefined {
	for (const provider of GUID_KEYS) {
		let seen: string | undefined;
		for (const item of items) {
			const id = item.guids?.[provider];
			if (!id) continue;
			if (seen === undefined) seen = id;
			else if (seen !== id) return provider;
		}
	}
	return undefined;
}

function conflictRef(item: PlanItem): MatchConflict['items'][number] {
	const ref: MatchConflict['items'][number] = { backend: serverName(item), id: item.id, title: item.show ? item.show.title : item.title, guids: item.guids };
	if (item.person !== undefined) ref.person = item.person;
	if (item.season !== undefined) ref.season = item.season;
	if (item.episode !== undefined) ref.episode = item.episode;
	return ref;
}

/**
 * With Propagate Un-Marks, plays turning unplayed are written everywhere. A server that lost its
 * watch state (a restored database, a library re-created) would have every one of its plays
 * removed from the other servers and from Trakt: more lost plays than Max Shrink allows (and more
 * than a person un-marks by hand at once) stop the plan instead.
 */
function checkLosses(items: PlanItem[], previous: Snapshot | undefined, maxShrinkPercent: number, who?: string): void {
	if (!previous) return;
	const lost = new Map<string, number>();
	const before = new Map(Object.entries(previous.backends).map(([name, b]) => [name, new Set(b.played)]));
	for (const item of items) {
		const name = serverName(item);
		if (item.played === false && before.get(name)?.has(item.id)) lost.set(name, (lost.get(name) ?? 0) + 1);
	}
	for (const [name, count] of lost) {
		const had = before.get(name)!.size;
		if (count > MASS_UNMARK_MIN && count > (had * maxShrinkPercent) / 100) {
			throw new PlanAbort(
				`${who ? `${who}: ` : ''}${name} shows ${count} of its ${had} plays as unplayed since the last run (limit ${maxShrinkPercent} %): it probably lost its watch state, and Propagate Un-Marks would remove them everywhere; nothing is written`,
			);
		}
	}
}

interface Decision {
	played?: { value: boolean; at: number; from: PlanItem };
	position?: { positionMs: number; at: number; from: PlanItem };
	/** Resume points reset since the last run that won: kept as "had a position" in the snapshot while another server still has one, so the next run sees the reset again. */
	heldResets?: PlanItem[];
}

/** What the last run saw of each server (after its writes), for telling explicit changes apart. */
interface Before {
	played: Map<string, Set<string>>;
	resumed: Map<string, Set<string>>;
	at: number;
}

/** The position worth syncing of an unplayed item, or 0 (too short, or at / past the watched line). */
function usablePosition(item: PlanItem, minPosition: number): number {
	const position = item.positionMs ?? 0;
	if (position < minPosition) return 0;
	return item.durationMs && (position / item.durationMs) * 100 >= WATCHED_PERCENT ? 0 : position;
}

function decideGroup(group: PlanItem[], before: Before, options: PlanOptions, allowedSource: (name: string) => boolean): Decision {
	let played: Decision['played'];
	let unplayed: Decision['played'];
	for (const item of group) {
		const name = serverName(item);
		if (!allowedSource(name)) continue;
		if (item.played === true && item.tainted !== true) {
			const at = ms(item.playedAt ?? item.updatedAt);
			if (!played || at > played.at) played = { value: true, at, from: item };
		} else if (item.played === false && item.tainted !== true) {
			// Explicit un-marks only: an `unplayed` event, or an item that was played at the last run.
			const explicitEvent = item.event === 'unplayed';
			const sawPlayed = before.played.get(name)?.has(item.id) === true;
			if (explicitEvent || sawPlayed) {
				// A snapshot-detected un-mark happened after the last run, at the earliest.
				const at = explicitEvent ? ms(item.updatedAt) : before.at;
				if (!unplayed || at > unplayed.at) unplayed = { value: false, at, from: item };
			}
		}
	}
	const decision: Decision = {};
	// On a tie a play wins: a lost un-mark is cheaper than a lost watch.
	if (played && (!unplayed || played.at >= unplayed.at)) decision.played = played;
	else if (unplayed) decision.played = unplayed;

	// The position comes from the newest unplayed state only. If that newest state has no usable
	// position, or several states share the newest time with different positions, nothing is
	// copied: an older position must never overwrite a newer reset. A resume point the last run
	// saw that is gone now was reset since (the server may date the reset earlier, or not at all).
	const minPosition = options.minPositionMs ?? MIN_POSITION_MS;
	let newestAt = Number.NEGATIVE_INFINITY;
	let newest: PlanItem[] = [];
	for (const item of group) {
		const name = serverName(item);
		if (!allowedSource(name) || item.played === true) continue;
		const reset = usablePosition(item, minPosition) === 0 && before.resumed.get(name)?.has(item.id) === true;
		const at = reset ? Math.max(ms(item.updatedAt), before.at) : ms(item.updatedAt);
		if (at > newestAt) [newestAt, newest] = [at, [item]];
		else if (at === newestAt) newest.push(item);
	}
	if (newest.length > 0) {
		const positions = newest.map((item) => usablePosition(item, minPosition));
		const agree = positions.every((p) => Math.abs(p - positions[0]) < POSITION_TOLERANCE_MS);
		if (agree && positions[0] > 0) decision.position = { positionMs: positions[0], at: newestAt, from: newest[0] };
		const resets = newest.filter((item, i) => positions[i] === 0 && before.resumed.get(serverName(item))?.has(item.id) === true);
		const elsewhere = group.some((item) => item.played !== true && usablePosition(item, minPosition) > 0);
		if (!decision.position && resets.length > 0 && elsewhere) decision.heldResets = resets;
	}
	return decision;
}

export function planSync(input: PlanItem[], previous: Snapshot | undefined, options: PlanOptions): PlanResult {
	const sources = new Set(options.sources ?? []);
	const targets = new Set(options.targets ?? []);
	const allowedSource = (name: string) => sources.size === 0 || sources.has(name);
	const allowedTarget = (name: string) => !targets.has('none') && (targets.size === 0 || targets.has(name));
	const unreachable = options.unreachable ?? [];

	const counts = new Map<string, number>();
	for (const item of input) counts.set(serverName(item), (counts.get(serverName(item)) ?? 0) + 1);
	checkGuards(counts, previous, options.maxShrinkPercent ?? 10, options.who, unreachable);
	if (options.propagateUnplayed) checkLosses(input, previous, options.maxShrinkPercent ?? 10, options.who);
	const recognized = recognizeOwnWrites(input, previous, serverName, options.now);
	input = recognized.items;

	const { members, conflicts, idless } = groupTitles(input);
	// What stays unsynced because nothing matched it: only items with a state to carry, and only
	// when there is another server to carry it to.
	const unmatched = new UnmatchedTally();
	const servers = [...counts.keys()];
	const carries = (item: PlanItem) => item.played === true || usablePosition(item, options.minPositionMs ?? MIN_POSITION_MS) > 0;
	if (servers.length > 1) {
		for (const item of idless) if (carries(item)) unmatched.add(serverName(item), item, 'withoutIds', []);
	}

	const before: Before = { played: new Map(), resumed: new Map(), at: ms(previous?.takenAt) };
	for (const [name, b] of Object.entries(previous?.backends ?? {})) {
		before.played.set(name, new Set(b.played));
		before.resumed.set(name, new Set(b.resumed ?? []));
	}

	// The history written here: only for its own person, and only when it may be written.
	const history = options.history && options.history.person === (options.who ?? '') && allowedTarget(options.history.backend) ? options.history.backend : undefined;

	const writes: PlannedWrite[] = [];
	// Un-marks that could not be carried everywhere (propagation off, or a server not written):
	// they stay "played" in the snapshot so the next run sees the un-mark again instead of the
	// other servers' play re-marking it.
	const heldUnmarks: Array<[string, string]> = [];
	const heldResets: Array<[string, string]> = [];
	for (const group of members) {
		const names = new Set(group.map(serverName));
		const missingFromHistory = history !== undefined && !names.has(history);
		if (names.size < 2 && !missingFromHistory) {
			const [item] = group;
			if (servers.length > 1 && group.some(carries)) unmatched.add(serverName(item), item, 'onlyHere', servers.filter((name) => name !== serverName(item)));
			continue;
		}
		const decision = decideGroup(group, before, options, allowedSource);
		let stillPlayed = false;
		const mine: PlannedWrite[] = [];
		for (const target of group) {
			const name = serverName(target);
			const write = allowedTarget(name) ? writeFor(target, decision, options, name === history, recognized.listed.get(target)) : undefined;
			if (write) mine.push(write);
			if (target.played === true && write?.op !== 'mark-unplayed') stillPlayed = true;
		}
		tagCopies(mine, group);
		writes.push(...mine);
		if (missingFromHistory && decision.played?.value === true) {
			const write = writeFor(historyEntry(history, decision.played.from), decision, options, true);
			if (write) writes.push(write);
		}
		for (const item of decision.heldResets ?? []) heldResets.push([serverName(item), item.id]);
		if (decision.played?.value === false && stillPlayed) {
			for (const item of group) {
				if (item.played === false && before.played.get(serverName(item))?.has(item.id)) heldUnmarks.push([serverName(item), item.id]);
			}
		}
	}
	// Deterministic order whatever the input order.
	writes.sort((a, b) => (a.backend + '\u0000' + a.target.id < b.backend + '\u0000' + b.target.id ? -1 : 1));
	const listed = snapshotBefore(input, { unmarks: heldUnmarks, resets: heldResets, stamps: recognized.kept }, options, previous);
	const summary: PlanSummary = { ...summarize(input, writes, members.length), ...(conflicts.length > 0 ? { conflicts: conflicts.length } : {}) };
	if (Object.keys(unmatched.byServer).length > 0) summary.unmatched = unmatched.byServer;
	return { writes, before: listed, snapshot: withWrites(listed, writes), conflicts, summary };
}

/**
 * Writes to two copies of one title on one server (two libraries) are tagged with one group: a
 * server may keep both copies' state in one record (Jellyfin before 10.11 and Emby key a film's
 * user data by its provider ids), so they must be applied one after another, each re-read first.
 */
function tagCopies(writes: PlannedWrite[], group: PlanItem[]): void {
	const perServer = new Map<string, number>();
	for (const w of writes) perServer.set(w.backend, (perServer.get(w.backend) ?? 0) + 1);
	if (![...perServer.values()].some((n) => n > 1)) return;
	const key = group.flatMap((item) => matchKeys(item)).sort()[0];
	for (const w of writes) if ((perServer.get(w.backend) ?? 0) > 1) w.group = key;
}

/** What a history lacks: the deciding item as the history would list it, not played, no id yet. */
function historyEntry(backend: string, from: PlanItem): PlanItem {
	const { type, title, year, guids, show, season, episode, durationMs } = from;
	const entry: PlanItem = { backend: backend as PlanItem['backend'], id: '', type, title, guids, played: false, updatedAt: '' };
	Object.assign(entry, year !== undefined ? { year } : {}, show ? { show } : {}, season !== undefined ? { season } : {}, episode !== undefined ? { episode } : {});
	if (durationMs !== undefined) entry.durationMs = durationMs;
	if (from.person !== undefined) entry.person = from.person;
	return entry;
}

/** `asListed`: the target as the server listed it, when planning re-dated it (stamps.ts). */
function writeFor(target: PlanItem, decision: Decision, options: PlanOptions, isHistory = false, asListed: PlanItem = target): PlannedWrite | undefined {
	const name = serverName(target);
	const base = (op: WriteOp, from: PlanItem, reason: string, at: number): PlannedWrite => ({
		kind: 'watchstate-write',
		backend: name,
		op,
		target: stripEvent(asListed),
		reason,
		...(Number.isFinite(at) ? { sourceAt: new Date(at).toISOString() } : {}),
		source: { backend: serverName(from), id: from.id, title: from.title, ...(from.userId ? { userId: from.userId } : {}), ...(from.person !== undefined ? { person: from.person } : {}) },
	});
	const wanted = decision.played;
	if (wanted?.value === true && target.played !== true && wanted.from !== target) {
		const write: PlannedWrite = { ...base('mark-played', wanted.from, `played on ${serverName(wanted.from)}`, wanted.at), playedAt: wanted.from.playedAt ?? wanted.from.updatedAt };
		// A rewatch under way here, newer than the play copied: marking resets the position, so
		// the write puts it back.
		const own = isHistory ? 0 : usablePosition(target, options.minPositionMs ?? MIN_POSITION_MS);
		if (own > 0 && ms(target.updatedAt) > wanted.at) {
			write.keepPositionMs = own;
			write.reason += `; keeps the newer resume point here`;
		}
		return write;
	}
	if (wanted?.value === false && target.played === true && options.propagateUnplayed) {
		return base('mark-unplayed', wanted.from, `un-marked on ${serverName(wanted.from)}`, wanted.at);
	}
	const played = target.played === true || wanted?.value === true;
	const position = decision.position;
	// A play history keeps plays, not resume positions.
	if (!isHistory && !played && position && position.from !== target && position.at > ms(target.updatedAt)) {
		if (Math.abs((target.positionMs ?? 0) - position.positionMs) >= POSITION_TOLERANCE_MS) {
			return { ...base('set-position', position.from, `position from ${serverName(position.from)}`, position.at), positionMs: position.positionMs };
		}
	}
	return undefined;
}

function stripEvent(item: PlanItem): WatchItem {
	const { event: _event, tainted: _tainted, ...rest } = item as PlanItem & { raw?: unknown; receivedAt?: unknown };
	void _event;
	void _tainted;
	return rest;
}

/**
 * The servers as listed, for the snapshot: counts, played items (held un-marks still played),
 * items with a resume point. A server unreachable for this person keeps what the last run saw.
 */
function snapshotBefore(items: PlanItem[], held: { unmarks: Array<[string, string]>; resets: Array<[string, string]>; stamps: Map<string, WrittenStamp[]> }, options: PlanOptions, previous: Snapshot | undefined): Snapshot {
	const minPosition = options.minPositionMs ?? MIN_POSITION_MS;
	const backends: Record<string, { count: number; played: Set<string>; resumed: Set<string> }> = {};
	for (const item of items) {
		const b = (backends[serverName(item)] ??= { count: 0, played: new Set(), resumed: new Set() });
		b.count++;
		if (item.played === true) b.played.add(item.id);
		else if (usablePosition(item, minPosition) > 0) b.resumed.add(item.id);
	}
	for (const [name, id] of held.unmarks) backends[name].played.add(id);
	for (const [name, id] of held.resets) backends[name].resumed.add(id);
	const out: Snapshot = { kind: 'watchstate-snapshot', version: 1, takenAt: options.now, backends: {} };
	for (const [name, b] of Object.entries(backends)) {
		out.backends[name] = { count: b.count, played: [...b.played].sort(), resumed: [...b.resumed].sort() };
		const stamps = held.stamps.get(name);
		if (stamps) out.backends[name].written = stamps;
	}
	for (const name of options.unreachable ?? []) {
		const kept = previous?.backends[name];
		if (kept && !out.backends[name]) out.backends[name] = { count: kept.count, played: kept.played, resumed: kept.resumed ?? [] };
	}
	return out;
}

/**
 * A snapshot with writes applied: the plan's (all of them) or, after a run, those that landed,
 * with the stamps of the writes the server dated itself. Saved only after the writes.
 */
export function withWrites(before: Snapshot, writes: PlannedWrite[], written: Map<string, WrittenStamp[]> = new Map()): Snapshot {
	const sets = new Map<string, { played: Set<string>; resumed: Set<string> }>();
	const of = (name: string) => {
		let s = sets.get(name);
		if (!s) sets.set(name, (s = { played: new Set(before.backends[name]?.played ?? []), resumed: new Set(before.backends[name]?.resumed ?? []) }));
		return s;
	};
	for (const w of writes) {
		// A history's new entry has no id until the history lists it (next run).
		if (w.target.id === '' || !before.backends[w.backend]) continue;
		const s = of(w.backend);
		if (w.op === 'mark-played') {
			s.played.add(w.target.id);
			if (w.keepPositionMs === undefined) s.resumed.delete(w.target.id);
		}
		if (w.op === 'mark-unplayed') {
			s.played.delete(w.target.id);
			s.resumed.delete(w.target.id);
		}
		if (w.op === 'set-position') s.resumed.add(w.target.id);
	}
	const out: Snapshot = { ...before, backends: {} };
	for (const [name, b] of Object.entries(before.backends)) {
		const s = sets.get(name);
		const entry: SnapshotBackend = s ? { count: b.count, played: [...s.played].sort(), resumed: [...s.resumed].sort() } : { ...b };
		// This run's stamps, and the earlier ones still needed (a newer write of an item replaces its old one).
		const stamps = new Map((b.written ?? []).map((stamp) => [stamp.id, stamp]));
		for (const stamp of written.get(name) ?? []) stamps.set(stamp.id, stamp);
		if (stamps.size > 0) entry.written = [...stamps.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
		else delete entry.written;
		out.backends[name] = entry;
	}
	return out;
}

function summarize(items: PlanItem[], writes: PlannedWrite[], groups: number): PlanSummary {
	const backends: PlanSummary['backends'] = {};
	const entry = (name: string) => (backends[name] ??= { items: 0, played: 0, writes: { 'mark-played': 0, 'mark-unplayed': 0, 'set-position': 0 } });
	for (const item of items) {
		const e = entry(serverName(item));
		e.items++;
		if (item.played === true) e.played++;
	}
	for (const w of writes) entry(w.backend).writes[w.op]++;
	return { groups, backends };
}
