/**
 * The planner's snapshot as rows for n8n's Data Table (one row per server: kind, backend,
 * takenAt, count, played) and back. Played ids are joined with commas, which no server uses in
 * an item id.
 */
import { isPlainObject } from './guids';
import type { Snapshot } from './plan';

export interface SnapshotRow {
	kind: 'watchstate-snapshot';
	backend: string;
	takenAt: string;
	count: number;
	played: string;
	[key: string]: string | number;
}

export function isSnapshotInput(json: Record<string, unknown>): boolean {
	return json.kind === 'watchstate-snapshot';
}

export function snapshotToRows(snapshot: Snapshot): SnapshotRow[] {
	return Object.entries(snapshot.backends).map(([backend, b]) => ({
		kind: 'watchstate-snapshot',
		backend,
		takenAt: snapshot.takenAt,
		count: b.count,
		played: b.played.join(','),
	}));
}

/**
 * Reads snapshot rows (or a whole snapshot object) back. The oldest `takenAt` of the rows is the
 * snapshot's time, so an un-mark is never dated later than the run that could have seen it.
 */
export function rowsToSnapshot(inputs: Array<Record<string, unknown>>): Snapshot | undefined {
	let snapshot: Snapshot | undefined;
	for (const row of inputs) {
		if (isPlainObject(row.backends)) {
			snapshot = row as unknown as Snapshot;
			continue;
		}
		if (typeof row.backend !== 'string' || typeof row.takenAt !== 'string') throw new Error('a snapshot row needs `backend` and `takenAt`');
		snapshot ??= { kind: 'watchstate-snapshot', version: 1, takenAt: row.takenAt, backends: {} };
		if (row.takenAt < snapshot.takenAt) snapshot.takenAt = row.takenAt;
		const played = typeof row.played === 'string' && row.played !== '' ? row.played.split(',') : [];
		snapshot.backends[row.backend] = { count: Number(row.count) || 0, played };
	}
	return snapshot;
}
