/**
 * Recognising the sync's own writes on the next run. Plex dates a scrobble and a timeline report
 * at the call (its API takes no date), so a play or position the sync copied there looks like the
 * newest thing the person did: newer than an un-mark or a reset the person made afterwards on the
 * server it came from, which the next run would then undo. Sync Servers records when it wrote each
 * such item and the date of the state it copied (the snapshot's `written`); the next run reads an
 * item still dated within that window (allowing for the server's clock) as that copied state, with
 * its original date. An item dated outside it was changed by someone since, and keeps its date.
 * A record is kept while the item still carries that date and a later run could still date an
 * un-mark or a reset before it (runs minutes apart, a server clock ahead of n8n's); once a run
 * starts past the window, any un-mark or reset it finds is dated after the write anyway.
 */
import type { PlanItem, Snapshot, WrittenStamp } from './plan';
import { SERVER_CLOCK_TOLERANCE_MS } from './rules';

const iso = (ms: number) => new Date(ms).toISOString();

/** Whether an observed date is the server's stamp of this write. */
export function isOwnStamp(observedMs: number, stamp: WrittenStamp): boolean {
	return observedMs >= stamp.from - SERVER_CLOCK_TOLERANCE_MS && observedMs <= stamp.to + SERVER_CLOCK_TOLERANCE_MS;
}

export interface Recognized {
	/** The items as planning should see them: the sync's own writes dated as the state they copied. */
	items: PlanItem[];
	/** Per server, the records still needed by the next run (kept in the new snapshot). */
	kept: Map<string, WrittenStamp[]>;
	/** The item as listed, for each one re-dated here: writes name their target as the server has it. */
	listed: Map<PlanItem, PlanItem>;
}

export function recognizeOwnWrites(items: PlanItem[], previous: Snapshot | undefined, serverOf: (item: PlanItem) => string, now: string): Recognized {
	const stamps = new Map<string, WrittenStamp>();
	for (const [name, backend] of Object.entries(previous?.backends ?? {})) for (const stamp of backend.written ?? []) stamps.set(`${name}\u0000${stamp.id}`, stamp);
	const kept = new Map<string, WrittenStamp[]>();
	const listed = new Map<PlanItem, PlanItem>();
	if (stamps.size === 0) return { items, kept, listed };
	const nowMs = Date.parse(now);
	const out = items.map((item) => {
		const server = serverOf(item);
		const stamp = stamps.get(`${server}\u0000${item.id}`);
		if (!stamp) return item;
		const observed = Date.parse(item.playedAt ?? item.updatedAt);
		if (!isOwnStamp(observed, stamp)) return item;
		if (stamp.to + SERVER_CLOCK_TOLERANCE_MS > nowMs) {
			const list = kept.get(server);
			if (list) list.push(stamp);
			else kept.set(server, [stamp]);
		}
		const origin = iso(stamp.origin);
		const redated = item.played === true ? { ...item, playedAt: origin, updatedAt: origin } : { ...item, updatedAt: origin };
		listed.set(redated, item);
		return redated;
	});
	return { items: out, kept, listed };
}
