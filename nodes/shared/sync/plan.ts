/**
 * Plan Sync: from the WatchItems of several servers (and the previous run's snapshot), the writes
 * that make them agree, under the rules of ARCHITECTURE.md:
 * - items match across servers by any shared external id (episodes: episode ids, else show id +
 *   season + episode);
 * - the newest change decides played / unplayed; only explicit un-marks count as unplayed (an
 *   `unplayed` event, or an item the snapshot saw played); unknown (null) never counts; a played
 *   flag from a tainted event never counts;
 * - positions under the minimum, at / past the watched line, or older than the target's state are
 *   not written; a target already in the wanted state gets nothing;
 * - a server whose listing is missing or shrank suspiciously aborts the plan.
 * Pure and deterministic given its inputs.
 */
import { matchKeys } from './idindex';
import type { WatchEvent, WatchItem } from '../model';
import { MIN_POSITION_MS, POSITION_TOLERANCE_MS, WATCHED_PERCENT } from './rules';

export type PlanItem = WatchItem & Partial<Pick<WatchEvent, 'event' | 'tainted'>>;

export interface SnapshotBackend {
	count: number;
	/** Ids of the items that were played (after the planned writes). */
	played: string[];
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
}

export type WriteOp = 'mark-played' | 'mark-unplayed' | 'set-position';

export interface PlannedWrite {
	kind: 'watchstate-write';
	backend: string;
	op: WriteOp;
	target: WatchItem;
	playedAt?: string;
	positionMs?: number;
	reason: string;
	/** The item that decided; `userId` / `person` say whose state it was. */
	source: { backend: string; id: string; title: string; userId?: string; person?: string };
}

export interface PlanSummary {
	groups: number;
	backends: Record<string, { items: number; played: number; writes: Record<WriteOp, number> }>;
}

export interface PlanResult {
	writes: PlannedWrite[];
	snapshot: Snapshot;
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
	/** One snapshot per person (the key '' for a single user). */
	snapshots: Map<string, Snapshot>;
	summary: PlanSummary & { people: Record<string, PlanSummary> };
}

/**
 * Plans each person on their own: items are matched, decided and written only among one
 * person's items, against that person's snapshot and shrink guard, so nothing one person did
 * ever reaches another person's user (a restricted user's smaller library is their own baseline).
 */
export function planPerPerson(input: PlanItem[], previous: Map<string, Snapshot>, options: PlanOptions): HouseholdPlan {
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
	const snapshots = new Map<string, Snapshot>();
	const people: Record<string, PlanSummary> = {};
	const total: PlanSummary = { groups: 0, backends: {} };
	for (const [person, items] of [...byPerson].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
		const result = planSync(items, previous.get(person), { ...options, who: person || undefined });
		writes.push(...result.writes);
		snapshots.set(person, result.snapshot);
		people[person] = result.summary;
		total.groups += result.summary.groups;
		for (const [name, b] of Object.entries(result.summary.backends)) {
			const t = (total.backends[name] ??= { items: 0, played: 0, writes: { 'mark-played': 0, 'mark-unplayed': 0, 'set-position': 0 } });
			t.items += b.items;
			t.played += b.played;
			for (const op of Object.keys(b.writes) as WriteOp[]) t.writes[op] += b.writes[op];
		}
	}
	return { writes, snapshots, summary: { ...total, people } };
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

function checkGuards(counts: Map<string, number>, previous: Snapshot | undefined, maxShrinkPercent: number, who?: string): void {
	if (!previous) return;
	const whose = who ? `${who}: ` : '';
	for (const [name, before] of Object.entries(previous.backends)) {
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

interface Decision {
	played?: { value: boolean; at: number; from: PlanItem };
	position?: { positionMs: number; at: number; from: PlanItem };
}

function decideGroup(group: PlanItem[], previousPlayed: Map<string, Set<string>>, previousAt: number, options: PlanOptions, allowedSource: (name: string) => boolean): Decision {
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
			const sawPlayed = previousPlayed.get(name)?.has(item.id) === true;
			if (explicitEvent || sawPlayed) {
				// A snapshot-detected un-mark happened after the last run, at the earliest.
				const at = explicitEvent ? ms(item.updatedAt) : previousAt;
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
	// copied: an older position must never overwrite a newer reset.
	const minPosition = options.minPositionMs ?? MIN_POSITION_MS;
	let newestAt = Number.NEGATIVE_INFINITY;
	let newest: PlanItem[] = [];
	for (const item of group) {
		if (!allowedSource(serverName(item)) || item.played === true) continue;
		const at = ms(item.updatedAt);
		if (at > newestAt) [newestAt, newest] = [at, [item]];
		else if (at === newestAt) newest.push(item);
	}
	const usable = (item: PlanItem) => {
		const position = item.positionMs ?? 0;
		if (position < minPosition) return 0;
		return item.durationMs && (position / item.durationMs) * 100 >= WATCHED_PERCENT ? 0 : position;
	};
	if (newest.length > 0) {
		const positions = newest.map(usable);
		const agree = positions.every((p) => Math.abs(p - positions[0]) < POSITION_TOLERANCE_MS);
		if (agree && positions[0] > 0) decision.position = { positionMs: positions[0], at: newestAt, from: newest[0] };
	}
	return decision;
}

export function planSync(input: PlanItem[], previous: Snapshot | undefined, options: PlanOptions): PlanResult {
	const sources = new Set(options.sources ?? []);
	const targets = new Set(options.targets ?? []);
	const allowedSource = (name: string) => sources.size === 0 || sources.has(name);
	const allowedTarget = (name: string) => !targets.has('none') && (targets.size === 0 || targets.has(name));

	const counts = new Map<string, number>();
	for (const item of input) counts.set(serverName(item), (counts.get(serverName(item)) ?? 0) + 1);
	checkGuards(counts, previous, options.maxShrinkPercent ?? 10, options.who);

	const groups = new Groups(input.length);
	const firstWithKey = new Map<string, number>();
	const matchable = new Uint8Array(input.length);
	input.forEach((item, index) => {
		const keys = matchKeys(item);
		if (keys.length > 0) matchable[index] = 1;
		for (const key of keys) {
			const seen = firstWithKey.get(key);
			if (seen === undefined) firstWithKey.set(key, index);
			else groups.union(seen, index);
		}
	});
	const members = new Map<number, PlanItem[]>();
	input.forEach((item, index) => {
		if (!matchable[index]) return; // nothing to match by
		const root = groups.find(index);
		const list = members.get(root);
		if (list) list.push(item);
		else members.set(root, [item]);
	});

	const previousPlayed = new Map<string, Set<string>>();
	for (const [name, b] of Object.entries(previous?.backends ?? {})) previousPlayed.set(name, new Set(b.played));
	const previousAt = ms(previous?.takenAt);

	// The history written here: only for its own person, and only when it may be written.
	const history = options.history && options.history.person === (options.who ?? '') && allowedTarget(options.history.backend) ? options.history.backend : undefined;

	const writes: PlannedWrite[] = [];
	// Un-marks that could not be carried everywhere (propagation off, or a server not written):
	// they stay "played" in the snapshot so the next run sees the un-mark again instead of the
	// other servers' play re-marking it.
	const heldUnmarks: Array<[string, string]> = [];
	for (const group of members.values()) {
		const names = new Set(group.map(serverName));
		const missingFromHistory = history !== undefined && !names.has(history);
		if (names.size < 2 && !missingFromHistory) continue;
		const decision = decideGroup(group, previousPlayed, previousAt, options, allowedSource);
		let stillPlayed = false;
		for (const target of group) {
			const name = serverName(target);
			const write = allowedTarget(name) ? writeFor(target, decision, options, name === history) : undefined;
			if (write) writes.push(write);
			if (target.played === true && write?.op !== 'mark-unplayed') stillPlayed = true;
		}
		if (missingFromHistory && decision.played?.value === true) {
			const write = writeFor(historyEntry(history, decision.played.from), decision, options, true);
			if (write) writes.push(write);
		}
		if (decision.played?.value === false && stillPlayed) {
			for (const item of group) {
				if (item.played === false && previousPlayed.get(serverName(item))?.has(item.id)) heldUnmarks.push([serverName(item), item.id]);
			}
		}
	}
	// Deterministic order whatever the input order.
	writes.sort((a, b) => (a.backend + '\u0000' + a.target.id < b.backend + '\u0000' + b.target.id ? -1 : 1));
	return { writes, snapshot: snapshotAfter(input, writes, heldUnmarks, options.now), summary: summarize(input, writes, members.size) };
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

function writeFor(target: PlanItem, decision: Decision, options: PlanOptions, isHistory = false): PlannedWrite | undefined {
	const name = serverName(target);
	const base = (op: WriteOp, from: PlanItem, reason: string): PlannedWrite => ({
		kind: 'watchstate-write',
		backend: name,
		op,
		target: stripEvent(target),
		reason,
		source: { backend: serverName(from), id: from.id, title: from.title, ...(from.userId ? { userId: from.userId } : {}), ...(from.person !== undefined ? { person: from.person } : {}) },
	});
	const wanted = decision.played;
	if (wanted?.value === true && target.played !== true && wanted.from !== target) {
		return { ...base('mark-played', wanted.from, `played on ${serverName(wanted.from)}`), playedAt: wanted.from.playedAt ?? wanted.from.updatedAt };
	}
	if (wanted?.value === false && target.played === true && options.propagateUnplayed) {
		return base('mark-unplayed', wanted.from, `un-marked on ${serverName(wanted.from)}`);
	}
	const played = target.played === true || wanted?.value === true;
	const position = decision.position;
	// A play history keeps plays, not resume positions.
	if (!isHistory && !played && position && position.from !== target && position.at > ms(target.updatedAt)) {
		if (Math.abs((target.positionMs ?? 0) - position.positionMs) >= POSITION_TOLERANCE_MS) {
			return { ...base('set-position', position.from, `position from ${serverName(position.from)}`), positionMs: position.positionMs };
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

/** The state the servers will be in once the writes are applied; saved only after they are. */
function snapshotAfter(items: PlanItem[], writes: PlannedWrite[], heldUnmarks: Array<[string, string]>, now: string): Snapshot {
	const backends: Record<string, { count: number; played: Set<string> }> = {};
	for (const item of items) {
		const b = (backends[serverName(item)] ??= { count: 0, played: new Set() });
		b.count++;
		if (item.played === true) b.played.add(item.id);
	}
	for (const w of writes) {
		// A history's new entry has no id until the history lists it (next run).
		if (w.target.id === '') continue;
		if (w.op === 'mark-played') backends[w.backend].played.add(w.target.id);
		if (w.op === 'mark-unplayed') backends[w.backend].played.delete(w.target.id);
	}
	for (const [name, id] of heldUnmarks) backends[name].played.add(id);
	const out: Snapshot = { kind: 'watchstate-snapshot', version: 1, takenAt: now, backends: {} };
	for (const [name, b] of Object.entries(backends)) out.backends[name] = { count: b.count, played: [...b.played].sort() };
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
