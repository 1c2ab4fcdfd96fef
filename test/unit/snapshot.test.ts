import type { Snapshot } from '../../nodes/shared/sync/plan';
import { rowsToSnapshots, snapshotToRows } from '../../nodes/shared/sync/snapshot';

describe('snapshot rows for the Data Table', () => {
	const alice: Snapshot = { kind: 'watchstate-snapshot', version: 1, takenAt: '2026-01-02T00:00:00.000Z', backends: { plex: { count: 3, played: ['1', '2'] }, emby: { count: 2, played: [] } } };
	const bob: Snapshot = { kind: 'watchstate-snapshot', version: 1, takenAt: '2026-01-02T00:00:00.000Z', backends: { plex: { count: 1, played: ['1'] } } };

	it('one row per person and server, read back per person', () => {
		const rows = [...snapshotToRows(alice, 'alice'), ...snapshotToRows(bob, 'bob')];
		expect(rows.map((r) => [r.person, r.backend, r.count, r.played])).toEqual([
			['alice', 'plex', 3, '1,2'],
			['alice', 'emby', 2, ''],
			['bob', 'plex', 1, '1'],
		]);
		expect(rowsToSnapshots(rows)).toEqual(new Map([
			['alice', alice],
			['bob', bob],
		]));
	});

	it('rows without a person (a single-user sync, or rows saved before households) are the person ""', () => {
		const rows = snapshotToRows(alice).map((row) => {
			const copy: Record<string, unknown> = { ...row };
			delete copy.person;
			return copy;
		});
		expect([...rowsToSnapshots(rows).keys()]).toEqual(['']);
	});

	it('dates a person\'s snapshot by their oldest row', () => {
		const rows = snapshotToRows(alice, 'alice');
		rows[1].takenAt = '2025-12-31T00:00:00.000Z';
		expect(rowsToSnapshots(rows).get('alice')!.takenAt).toBe('2025-12-31T00:00:00.000Z');
	});
});
