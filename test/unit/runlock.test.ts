/** The run lock on n8n's deduplication store (as test/support/execute.ts models it: insert or update, the insert keyed). */
import { LEASE_MINUTES, LockLost, RunLock } from '../../nodes/shared/node/runlock';
import { DedupStore } from '../support/execute';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 30);

describe('RunLock', () => {
	it('a run that lapsed (not heard from for the lease) loses its lock to the next one, finds out at its next renewal, and leaves the new holder alone', async () => {
		const store = new DedupStore();
		let now = T0;
		const first = await RunLock.take(store, () => now);
		expect(first).toBeInstanceOf(RunLock);
		// Stuck for longer than the lease: the next run takes over.
		now += (LEASE_MINUTES + 2) * 60_000;
		const second = await RunLock.take(store, () => now);
		expect(second).toBeInstanceOf(RunLock);
		await expect((first as RunLock).renew()).rejects.toBeInstanceOf(LockLost);
		await (first as RunLock).release();
		// The second still holds it: a third run is turned away.
		expect(await RunLock.take(store, () => now + 1000)).toEqual({ heldAt: new Date(Math.floor(now / 60_000) * 60_000).toISOString() });
		await (second as RunLock).release();
		expect(store.row('workflow')).toBeUndefined();
	});

	it('renewing keeps a long run alive past the lease', async () => {
		const store = new DedupStore();
		let now = T0;
		const lock = (await RunLock.take(store, () => now)) as RunLock;
		for (let minute = 0; minute < 3 * LEASE_MINUTES; minute++) {
			now += 60_000;
			await lock.renew();
		}
		expect(await RunLock.take(store, () => now)).toHaveProperty('heldAt');
		await lock.release();
	});
});
