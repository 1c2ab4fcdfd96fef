/**
 * What a Watcher keeps across n8n restarts, in its node's static data (n8n saves a trigger's static
 * data with every emit): the cursor (when it last emitted, so a (re)connect reads what changed
 * since) and the last few hundred events it emitted (so a catch-up never emits one twice, whatever
 * the servers' clocks say against n8n's).
 */
import type { IDataObject } from 'n8n-workflow';

/** Enough for every event of a long outage; a few tens of kB of static data. */
export const REMEMBERED_EVENTS = 500;

interface Kept {
	cursor?: string;
	/** key -> when it was emitted (ms). */
	emitted?: Record<string, number>;
}

export class WatcherMemory {
	constructor(private readonly data: IDataObject) {}

	private get kept(): Kept {
		return this.data as Kept;
	}

	/** When the Watcher last emitted (ISO), undefined on its first activation. */
	get cursor(): string | undefined {
		return typeof this.kept.cursor === 'string' ? this.kept.cursor : undefined;
	}

	advance(at: string): void {
		if (!this.cursor || at > this.cursor) this.kept.cursor = at;
	}

	/** Whether this key was emitted at or after `sinceMs`. */
	emittedSince(key: string, sinceMs: number): boolean {
		const at = this.kept.emitted?.[key];
		return typeof at === 'number' && at >= sinceMs;
	}

	remember(key: string, atMs: number): void {
		const emitted = (this.kept.emitted ??= {});
		delete emitted[key];
		emitted[key] = atMs;
		const keys = Object.keys(emitted);
		// Insertion order is emit order: the oldest go first.
		for (const old of keys.slice(0, Math.max(0, keys.length - REMEMBERED_EVENTS))) delete emitted[old];
	}
}
