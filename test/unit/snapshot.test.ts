import type { Snapshot } from '../../nodes/shared/sync/plan';
import { rowsToSnapshots, snapshotToRows } from '../../nodes/shared/sync/snapshot';

describe('snapshot rows for the Data Table', () => {
	const alice: Snapshot = { kind: 'watchstate-snapshot', version: 1, takenAt: '2026-01-02T00:00:00.000Z', backends: { plex: { count: 3, played: ['1', '2'], resumed: ['3'], written: [{ id: '2', origin: Date.UTC(2025, 5, 1, 12, 0, 0, 250), from: Date.UTC(2026, 0, 1, 23, 59, 58), to: Date.UTC(2026, 0, 1, 23, 59, 59) }] }, emby: { count: 2, played: [], resumed: [] } } };
	const bob: Snapshot = { kind: 'watchstate-snapshot', version: 1, takenAt: '2026-01-02T00:00:00.000Z', backends: { plex: { count: 1, played: ['1'], resumed: [] } } };

	it('one row per person and server, read back per person', () => {
		const rows = [...snapshotToRows(alice, 'alice'), ...snapshotToRows(bob, 'bob')];
		expect(rows.map((r) => [r.person, r.backend, r.count, r.played, r.resumed])).toEqual([
			['alice', 'plex', 3, '1,2', '3'],
			['alice', 'emby', 2, '', ''],
			['bob', 'plex', 1, '1', ''],
		]);
		expect(rows[0].written).toBe(`2:${Date.UTC(2025, 5, 1, 12, 0, 0, 250)}:${Date.UTC(2026, 0, 1, 23, 59, 58) / 1000}:1`);
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

describe('the stamps of writes a server dated itself', () => {
	it('a damaged entry is dropped, the others read; rows saved before the column existed have none', () => {
		const rows = [
			{ kind: 'watchstate-snapshot', person: '', backend: 'plex', takenAt: '2026-01-02T00:00:00.000Z', count: 2, played: '1,2', written: '1:1000:5:2,broken,2:x:1:1,3:1:2' },
			{ kind: 'watchstate-snapshot', person: '', backend: 'emby', takenAt: '2026-01-02T00:00:00.000Z', count: 1, played: '' },
		];
		const snapshot = rowsToSnapshots(rows).get('')!;
		expect(snapshot.backends.plex.written).toEqual([{ id: '1', origin: 1000, from: 5000, to: 7000 }]);
		expect(snapshot.backends.emby).toEqual({ count: 1, played: [], resumed: [] });
	});
});
