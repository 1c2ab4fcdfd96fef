/**
 * One sync at a time per workflow. n8n starts a scheduled workflow again while its last run is
 * still going; a full sync that overlaps itself doubles the load and plans against listings the
 * other run is changing. The lock lives in n8n's deduplication store (its database: it survives
 * restarts and is shared by queue-mode workers) as one key per minute the run was alive; a run
 * renews it as it goes, and a crashed run's keys go stale after the lease.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

/** A run not heard from for this long is taken for dead. */
export const LEASE_MINUTES = 10;
/** How often a running sync marks itself alive (at its own checkpoints). */
const RENEW_EVERY_MS = 30_000;

const STORE = { mode: 'entries', maxEntries: 1000 } as const;
const keyOf = (minute: number) => `sync-lock|${minute}`;

export type Dedup = Pick<IExecuteFunctions['helpers'], 'checkProcessedAndRecord' | 'removeProcessed'>;

export class RunLock {
	private readonly held = new Set<string>();
	private lastRenewal = 0;

	private constructor(
		private readonly store: Dedup,
		private readonly now: () => number,
	) {}

	/**
	 * Takes the lock, or says since when another run holds it. The check records the keys it
	 * looks at; those that were not there are taken back when the lock is not ours.
	 */
	static async take(store: Dedup, now: () => number = Date.now): Promise<RunLock | { heldAt: string }> {
		const minute = Math.floor(now() / 60_000);
		const keys = Array.from({ length: LEASE_MINUTES + 1 }, (_, k) => keyOf(minute - LEASE_MINUTES + k));
		const seen = await store.checkProcessedAndRecord(keys, 'node', STORE);
		if (seen.processed.length > 0) {
			await store.removeProcessed(seen.new, 'node', STORE);
			const latest = Math.max(...seen.processed.map((key) => Number(String(key).split('|')[1])));
			return { heldAt: new Date(latest * 60_000).toISOString() };
		}
		const lock = new RunLock(store, now);
		for (const key of keys) lock.held.add(key);
		lock.lastRenewal = now();
		return lock;
	}

	/** Marks the run alive; cheap to call often (it writes at most every 30 s). */
	async renew(): Promise<void> {
		if (this.now() - this.lastRenewal < RENEW_EVERY_MS) return;
		this.lastRenewal = this.now();
		const key = keyOf(Math.floor(this.now() / 60_000));
		this.held.add(key);
		await this.store.checkProcessedAndRecord([key], 'node', STORE);
	}

	async release(): Promise<void> {
		await this.store.removeProcessed([...this.held], 'node', STORE);
		this.held.clear();
	}
}
