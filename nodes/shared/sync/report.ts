/**
 * What a sync did, in words a person reads in n8n's output panel: per person and server the
 * titles written ("played: Heat (1995)"), and per server what could not be matched with the
 * other servers and why. Lists are capped (a first sync of a big home writes thousands); the
 * counts beside them are always whole.
 */
import type { WatchItem } from '../model';
import type { PlannedWrite } from './plan';

/** Titles listed per person and server, and examples per server of what was not matched. */
export const LISTED_PER_SERVER = 50;

/** "Heat (1995)", "The Office S02E03", "The Office S02E03 · The Dundies" as a person would name it. */
export function describeItem(item: Pick<WatchItem, 'title' | 'year' | 'type' | 'show' | 'season' | 'episode'>): string {
	if (item.type === 'episode' && item.show) {
		const numbers = item.season !== undefined && item.episode !== undefined ? ` S${pad(item.season)}E${pad(item.episode)}` : '';
		const own = item.title && item.title !== item.show.title ? ` · ${item.title}` : '';
		return `${item.show.title}${numbers}${own}`;
	}
	return item.year ? `${item.title} (${item.year})` : item.title;
}

function pad(n: number): string {
	return String(n).padStart(2, '0');
}

/** 4 210 000 ms → "1:10:10"; under an hour "42:10". */
export function clock(ms: number): string {
	const total = Math.round(ms / 1000);
	const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
	return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

function line(write: PlannedWrite): string {
	const what = describeItem(write.target);
	if (write.op === 'mark-played') return `played: ${what}`;
	if (write.op === 'mark-unplayed') return `unplayed: ${what}`;
	return (write.positionMs ?? 0) > 0 ? `resume at ${clock(write.positionMs!)}: ${what}` : `resume point cleared: ${what}`;
}

/** Per person ('' → "everyone" in a single-user sync), per server: what was (or would be) written. */
export function changesByPerson(writes: PlannedWrite[], personOf: (write: PlannedWrite) => string): Record<string, Record<string, string[]>> {
	const out: Record<string, Record<string, string[]>> = {};
	const totals = new Map<string[], number>();
	for (const write of writes) {
		const person = personOf(write) || 'everyone';
		const lines = ((out[person] ??= {})[write.backend] ??= []);
		const total = (totals.get(lines) ?? 0) + 1;
		totals.set(lines, total);
		if (total <= LISTED_PER_SERVER) lines.push(line(write));
	}
	for (const [lines, total] of totals) if (total > LISTED_PER_SERVER) lines.push(`… and ${total - LISTED_PER_SERVER} more`);
	return out;
}

/** Per server: items no other server could be matched with, counted by reason, with a few named. */
export interface Unmatched {
	/** Items with no external id (and no file name to go by): nothing to match them with. */
	withoutIds: number;
	/** Played or half-watched here, with ids, but no other server of the sync has the title. */
	onlyHere: number;
	examples: string[];
}

export class UnmatchedTally {
	readonly byServer: Record<string, Unmatched> = {};

	add(server: string, item: Pick<WatchItem, 'title' | 'year' | 'type' | 'show' | 'season' | 'episode'>, why: 'withoutIds' | 'onlyHere', others: string[]): void {
		const entry = (this.byServer[server] ??= { withoutIds: 0, onlyHere: 0, examples: [] });
		entry[why]++;
		if (entry.examples.length < LISTED_PER_SERVER) {
			entry.examples.push(why === 'withoutIds' ? `${describeItem(item)}: no external id (match it on ${server}, or refresh its metadata)` : `${describeItem(item)}: not found on ${others.join(', ')}`);
		}
	}

	/** Adds another tally (another person's) into this one. */
	merge(other: Record<string, Unmatched>): void {
		for (const [server, u] of Object.entries(other)) {
			const entry = (this.byServer[server] ??= { withoutIds: 0, onlyHere: 0, examples: [] });
			entry.withoutIds += u.withoutIds;
			entry.onlyHere += u.onlyHere;
			entry.examples.push(...u.examples.slice(0, LISTED_PER_SERVER - entry.examples.length));
		}
	}
}
