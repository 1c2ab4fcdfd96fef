/**
 * The planner's snapshots as rows for n8n's Data Table (one row per person and server: kind,
 * person, backend, takenAt, count, played, resumed, written) and back. Ids are joined with commas,
 * which no server uses in an item id. `person` is '' for a single-user sync. `written` holds the
 * sync's own writes a server dated itself (stamps.ts) as `id:originMs:fromSeconds:seconds`; rows
 * saved before it existed simply have none.
 */
import { isPlainObject } from '../media/guids';
import type { Snapshot, SnapshotBackend, WrittenStamp } from './plan';

export interface SnapshotRow {
	kind: 'watchstate-snapshot';
	person: string;
	backend: string;
	takenAt: string;
	count: number;
	played: string;
	resumed: string;
	written: string;
	[key: string]: string | number;
}

/** The columns of the snapshot table (the templates create it with these). */
export const SNAPSHOT_COLUMNS: Array<{ name: keyof SnapshotRow & string; type: 'string' | 'number' }> = [
	{ name: 'kind', type: 'string' },
	{ name: 'person', type: 'string' },
	{ name: 'backend', type: 'string' },
	{ name: 'takenAt', type: 'string' },
	{ name: 'count', type: 'number' },
	{ name: 'played', type: 'string' },
	{ name: 'resumed', type: 'string' },
	{ name: 'written', type: 'string' },
];

const safeId = (id: string) => !/[,:]/.test(id);

function stampsToText(stamps: WrittenStamp[] | undefined): string {
	return (stamps ?? [])
		.filter((s) => safeId(s.id))
		.map((s) => {
			const from = Math.floor(s.from / 1000);
			return `${s.id}:${Math.round(s.origin)}:${from}:${Math.max(0, Math.ceil(s.to / 1000) - from)}`;
		})
		.join(',');
}

function textToStamps(text: unknown): WrittenStamp[] {
	if (typeof text !== 'string' || text === '') return [];
	const out: WrittenStamp[] = [];
	for (const entry of text.split(',')) {
		const [id, origin, from, seconds] = entry.split(':');
		const numbers = [origin, from, seconds].map(Number);
		// A damaged entry is dropped: without it the write is simply not recognised as the sync's.
		if (!id || numbers.some((n) => !Number.isFinite(n) || n < 0)) continue;
		out.push({ id, origin: numbers[0], from: numbers[1] * 1000, to: (numbers[1] + numbers[2]) * 1000 });
	}
	return out;
}

const ids = (text: unknown) => (typeof text === 'string' && text !== '' ? text.split(',') : []);

export function isSnapshotInput(json: Record<string, unknown>): boolean {
	return json.kind === 'watchstate-snapshot';
}

export function snapshotToRows(snapshot: Snapshot, person = ''): SnapshotRow[] {
	return Object.entries(snapshot.backends).map(([backend, b]) => ({
		kind: 'watchstate-snapshot',
		person,
		backend,
		takenAt: snapshot.takenAt,
		count: b.count,
		played: b.played.join(','),
		resumed: (b.resumed ?? []).join(','),
		written: stampsToText(b.written),
	}));
}

/**
 * Reads snapshot rows (or a whole snapshot object) back, one snapshot per person. The oldest
 * `takenAt` of a person's rows is that snapshot's time, so an un-mark is never dated later than
 * the run that could have seen it.
 */
export function rowsToSnapshots(inputs: Array<Record<string, unknown>>): Map<string, Snapshot> {
	const snapshots = new Map<string, Snapshot>();
	for (const row of inputs) {
		const person = typeof row.person === 'string' ? row.person : '';
		if (isPlainObject(row.backends)) {
			snapshots.set(person, row as unknown as Snapshot);
			continue;
		}
		if (typeof row.backend !== 'string' || typeof row.takenAt !== 'string') throw new Error('a snapshot row needs `backend` and `takenAt`');
		let snapshot = snapshots.get(person);
		if (!snapshot) snapshots.set(person, (snapshot = { kind: 'watchstate-snapshot', version: 1, takenAt: row.takenAt, backends: {} }));
		if (row.takenAt < snapshot.takenAt) snapshot.takenAt = row.takenAt;
		const backend: SnapshotBackend = { count: Number(row.count) || 0, played: ids(row.played), resumed: ids(row.resumed) };
		const written = textToStamps(row.written);
		if (written.length > 0) backend.written = written;
		snapshot.backends[row.backend] = backend;
	}
	return snapshots;
}
