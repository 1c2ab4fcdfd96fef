/**
 * One sync at a time per workflow. n8n starts a scheduled workflow again while its last run is
 * still going (and in queue mode two workers can take two runs of it at once); a full sync that
 * overlaps itself doubles the load and plans against listings the other run is changing.
 *
 * n8n gives nodes no lock, but its deduplication store has one atomic step: it keeps one row per
 * workflow and scope, keyed by both (table processed_data, primary key workflowId + context), and
 * the first record of a scope INSERTs that row, so of two runs inserting it at once the second
 * fails on the key (n8n 2.41.1 DeduplicationHelper.handleHashedItems: findOne, then insert or
 * update). The lock is that row in the workflow's scope, so every Sync Servers node of a
 * workflow (the import and the export of one snapshot table) shares it:
 * - taking it inserts the row with the run's token and the minute; a run that finds the row, or
 *   loses the insert, or finds this minute already recorded, does not run and says so;
 * - the run marks itself alive as it goes (a key per minute, at its checkpoints, at most every 30 s)
 *   and checks that its token is still there (a run that took over a lapsed lock replaced the row);
 * - a row without a key of the last 10 minutes is a crashed run's: the next run clears and takes it;
 * - a finished run deletes the row.
 * A Remove Duplicates node in the same workflow must use its node scope, not the workflow's.
 */
import { randomBytes } from 'node:crypto';
import type { IExecuteFunctions } from 'n8n-workflow';

/** A run not heard from for this long is taken for dead. */
export const LEASE_MINUTES = 10;
/** How often a running sync marks itself alive (at its own checkpoints). */
const RENEW_EVERY_MS = 30_000;

const SCOPE = 'workflow';
const STORE = { mode: 'entries', maxEntries: 1000 } as const;
const aliveKey = (minute: number) => `sync-alive|${minute}`;
const runKey = (token: string) => `sync-run|${token}`;

export type Dedup = Pick<IExecuteFunctions['helpers'], 'checkProcessedAndRecord' | 'removeProcessed' | 'clearAllProcessedItems' | 'getProcessedDataCount'>;

/** Another run holds the lock: since when it was last seen alive (or "now", for one starting this instant). */
export interface Held {
	heldAt: string;
}

/** The lock was taken over by another run (after this one was not heard from for the lease). */
export class LockLost extends Error {}

export class RunLock {
	private lastRenewal = 0;
	private lost = false;

	private constructor(
		private readonly store: Dedup,
		private readonly token: string,
		private readonly now: () => number,
	) {}

	static async take(store: Dedup, now: () => number = Date.now): Promise<RunLock | Held> {
		const minute = Math.floor(now() / 60_000);
		const heldSince = (m: number): Held => ({ heldAt: new Date(m * 60_000).toISOString() });
		if ((await store.getProcessedDataCount(SCOPE, STORE)) > 0) {
			// Someone's row: alive within the lease, or left by a crashed run. Checking records the keys,
			// so those that were not there are taken back.
			const recent = Array.from({ length: LEASE_MINUTES + 1 }, (_, k) => aliveKey(minute - LEASE_MINUTES + k));
			const seen = await store.checkProcessedAndRecord(recent, SCOPE, STORE);
			if (seen.new.length > 0) await store.removeProcessed(seen.new, SCOPE, STORE);
			if (seen.processed.length > 0) return heldSince(Math.max(...seen.processed.map((key) => Number(String(key).split('|')[1]))));
			await store.clearAllProcessedItems(SCOPE, STORE);
		}
		const token = randomBytes(12).toString('hex');
		const mine = [runKey(token), aliveKey(minute)];
		// Inserting the row is the atomic step: a run that inserts it at the same time fails on the key.
		const taken = await store.checkProcessedAndRecord(mine, SCOPE, STORE).catch(() => undefined);
		if (!taken) return heldSince(minute);
		if (taken.processed.length > 0) {
			// The row appeared between the count and the insert: this minute is another run's.
			await store.removeProcessed([runKey(token)], SCOPE, STORE);
			return heldSince(minute);
		}
		const lock = new RunLock(store, token, now);
		lock.lastRenewal = now();
		return lock;
	}

	/** Marks the run alive; cheap to call often (it writes at most every 30 s). Throws LockLost when another run took over. */
	async renew(): Promise<void> {
		if (this.lost || this.now() - this.lastRenewal < RENEW_EVERY_MS) return;
		this.lastRenewal = this.now();
		const keys = [runKey(this.token), aliveKey(Math.floor(this.now() / 60_000))];
		const seen = await this.store.checkProcessedAndRecord(keys, SCOPE, STORE);
		if (!seen.processed.includes(keys[0])) {
			this.lost = true;
			await this.store.removeProcessed(seen.new, SCOPE, STORE);
			throw new LockLost('another run of this sync took over its lock (this one was not heard from for the lease); this run stops here');
		}
	}

	/** Deletes the row, if it is still this run's (a run that took over a lapsed lock keeps its own). */
	async release(): Promise<void> {
		if (this.lost) return;
		this.lost = true;
		const seen = await this.store.checkProcessedAndRecord([runKey(this.token)], SCOPE, STORE);
		if (seen.processed.length > 0) await this.store.clearAllProcessedItems(SCOPE, STORE);
		else await this.store.removeProcessed(seen.new, SCOPE, STORE);
	}
}
