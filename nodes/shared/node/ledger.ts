/**
 * What the redelivery remembers between its runs, kept in n8n's deduplication store (the node's
 * own row of table processed_data, in n8n's database). Not in the workflow's static data: in queue
 * mode n8n 2.41.1 starts every new execution on a worker with empty static data (the execution's
 * workflow snapshot drops it, executions/execution-data/types.js toWorkflowSnapshot, and
 * scaling/job-processor.js reloads it only for a resumed run), then saves what the run left there
 * over the workflow's, so nothing a run keeps there reaches the next one.
 *
 * The store only answers "which of these were recorded" by recording them (checkProcessedAndRecord),
 * so a look-up removes again what it recorded anew. A run overlapping that moment may see those
 * keys as recorded; every key is one a later run derives again from n8n's list of executions, so
 * such a look could delay a catch-up by a run, never lose one.
 */
import type { Dedup } from './runlock';

const SCOPE = 'node';
/** Days of lost runs, covers and minutes the node ran: oldest go first. */
const STORE = { mode: 'entries', maxEntries: 20_000 } as const;

export class Ledger {
	constructor(
		private readonly dedup: Dedup,
		/** A dry run records nothing. */
		private readonly dryRun: boolean,
	) {}

	/** Which of `keys` are recorded; records none of them. */
	async has(keys: string[]): Promise<Set<string>> {
		if (keys.length === 0) return new Set();
		const { new: fresh, processed } = await this.dedup.checkProcessedAndRecord(keys, SCOPE, STORE);
		if (fresh.length > 0) await this.dedup.removeProcessed(fresh, SCOPE, STORE);
		return new Set(processed.map(String));
	}

	async record(keys: string[]): Promise<void> {
		if (keys.length > 0 && !this.dryRun) await this.dedup.checkProcessedAndRecord(keys, SCOPE, STORE);
	}

	async forget(keys: string[]): Promise<void> {
		if (keys.length > 0 && !this.dryRun) await this.dedup.removeProcessed(keys, SCOPE, STORE);
	}
}

/** The keys: a lost run caught up, which run's catch-up covered it, a failed schedule run looked at, a give-up reported, a minute this node ran, a pause caught up. */
export const key = {
	done: (run: string) => `done|${run}`,
	cover: (run: string, by: string) => `cover|${run}|${by}`,
	checked: (run: string) => `checked|${run}`,
	reported: (run: string) => `reported|${run}`,
	ran: (minute: number) => `ran|${minute}`,
	pause: (fromMinute: number) => `pause|${fromMinute}`,
};
