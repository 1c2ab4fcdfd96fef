/**
 * The planner's snapshots as rows for n8n's Data Table (one row per person and server: kind,
 * person, backend, takenAt, count, played) and back. Played ids are joined with commas, which no
 * server uses in an item id. `person` is '' for a single-user sync.
 */
import { isPlainObject } from '../media/guids';
import type { Snapshot } from './plan';

export interface SnapshotRow {
	kind: 'watchstate-snapshot';
	person: string;
	backend: string;
	takenAt: string;
	count: number;
	played: string;
	[key: string]: string | number;
}

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
		const played = typeof row.played === 'string' && row.played !== '' ? row.played.split(',') : [];
		snapshot.backends[row.backend] = { count: Number(row.count) || 0, played };
	}
	return snapshots;
}
