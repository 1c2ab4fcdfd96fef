/**
 * Webhook load through a real n8n running the real-time sync template: each event says "watched"
 * for a different item, from Plex, Jellyfin or Emby in turn, and must become exactly one write on
 * each of the two other servers. Measures webhook-to-write latency and counts lost or doubled
 * events. Used by `npm run bench` and by the end-to-end suite.
 */
import { watchedRequest } from './demo/payloads';
import { DEMO, type DemoServers } from './demo/world';
import type { SeedItem } from './emulators/library';
import type { EmulatedServer } from './emulators/server';
import type { Stack } from './n8n/stack';
import { delay } from './lib/builtins';

export type Source = 'plex' | 'jellyfin' | 'emby';
const SOURCES: Source[] = ['plex', 'jellyfin', 'emby'];

export interface LoadOptions {
	items: SeedItem[];
	/** Events in flight at once. */
	concurrency: number;
	/**
	 * closed: each sender waits until its event's writes landed before the next one, so at most
	 * `concurrency` events are being worked on (latency without a queue); burst: send as fast as
	 * n8n answers (it answers before the workflow runs), then wait for the backlog to drain.
	 */
	mode: 'closed' | 'burst';
	/** How long one event (closed) or the whole backlog after the last answer (burst) may take. */
	settleMs?: number;
	/** The server each event comes from (default: Plex, Jellyfin, Emby in turn). */
	sources?: Source[];
}

export interface LoadResult {
	events: number;
	/** Answered 200 by n8n. */
	accepted: number;
	/** How n8n answered: status → events (0: no answer, the connection failed). */
	statuses: Record<string, number>;
	/** What n8n said when it did not accept an event (distinct answers). */
	refusals: string[];
	/** Events whose writes did not all arrive. */
	lost: number;
	/** Those events: the item and the server it came from. */
	unfinished: Array<{ item: SeedItem; from: Source }>;
	/** Events that caused more than one write on a server. */
	doubled: number;
	/** Request sent → last of its writes applied, ms. */
	latency: { p50: number; p95: number; max: number };
	wallSeconds: number;
	eventsPerSecond: number;
	/** Requests each server answered per event that had to be written to it (mean). */
	requestsPerEvent: Record<Source, number>;
	/** One at a time only: each event's requests on each server it was written to. */
	eventRequests: Record<Source, number[]>;
}

/** Items every server can find from a webhook's own ids. */
export function loadableItems(servers: DemoServers): SeedItem[] {
	return [...servers.library.movies, ...servers.library.episodes].filter((item) => Object.keys(item.guids).length > 0);
}

export function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The play the event reports, on its server first (as on a real one), dated by that server's clock. */
function playOnSource(servers: DemoServers, item: SeedItem, from: Source): void {
	const at = servers[from].now();
	const played = { played: true, playCount: 1, lastPlayedAt: at, updatedAt: at, positionMs: 0 };
	if (from === 'plex') servers.plex.seedState(DEMO.user.plexId, item, played);
	else servers[from].seedState(from === 'jellyfin' ? DEMO.user.jellyfinId : DEMO.user.embyId, item, played);
}

export async function runWebhookLoad(stack: Stack, servers: DemoServers, options: LoadOptions): Promise<LoadResult> {
	const emulators: Record<Source, EmulatedServer> = servers;
	const idOn = (target: Source, item: SeedItem) => (target === 'plex' ? servers.plex.keyOf(item) : servers[target].idOf(item));
	const hooks = new Map(stack.workflows.flatMap((w) => w.webhooks).map((h) => [h.node, h.url]));
	const events = options.items.map((item, i) => ({ item, from: options.sources?.[i] ?? SOURCES[i % SOURCES.length], sentAt: 0, status: 0, answer: '' }));
	const writesOf = (target: Source, item: SeedItem) => emulators[target].writes.filter((w) => w.itemId === idOn(target, item) && w.action === 'played');
	const targetsOf = (from: Source) => SOURCES.filter((s) => s !== from);
	const complete = (e: (typeof events)[number]) => targetsOf(e.from).every((t) => writesOf(t, e.item).length > 0);
	const settleMs = options.settleMs ?? 60_000;
	const waitFor = async (done: () => boolean) => {
		const deadline = Date.now() + settleMs;
		while (Date.now() < deadline && !done()) await delay(20);
	};
	const requestsBefore = Object.fromEntries(SOURCES.map((s) => [s, emulators[s].requests])) as Record<Source, number>;
	const eventRequests = Object.fromEntries(SOURCES.map((s) => [s, [] as number[]])) as Record<Source, number[]>;
	const oneAtATime = options.mode === 'closed' && options.concurrency === 1;
	const start = Date.now();
	let next = 0;
	const worker = async () => {
		while (next < events.length) {
			const event = events[next++];
			const req = watchedRequest(servers, event.item, event.from);
			const url = hooks.get(req.trigger);
			if (!url) throw new Error(`the stack has no ${req.trigger}`);
			const before = SOURCES.map((s) => emulators[s].requests);
			playOnSource(servers, event.item, event.from);
			event.sentAt = Date.now();
			const res = await fetch(url, { method: req.method, headers: req.headers, body: req.body }).catch(() => undefined);
			const text = (await res?.text().catch(() => '')) ?? '';
			event.status = res?.status ?? 0;
			if (event.status !== 200) event.answer = text.slice(0, 200);
			if (options.mode === 'closed' && event.status === 200) await waitFor(() => complete(event));
			if (oneAtATime) targetsOf(event.from).forEach((t) => eventRequests[t].push(emulators[t].requests - before[SOURCES.indexOf(t)]));
		}
	};
	await Promise.all(Array.from({ length: options.concurrency }, worker));
	await waitFor(() => events.every(complete));
	const wallSeconds = (Date.now() - start) / 1000;

	const latencies: number[] = [];
	const unfinished: LoadResult['unfinished'] = [];
	let doubled = 0;
	for (const e of events) {
		const writes = targetsOf(e.from).map((t) => writesOf(t, e.item));
		if (writes.some((w) => w.length === 0)) unfinished.push({ item: e.item, from: e.from });
		else latencies.push(Math.max(...writes.map((w) => w[0].at ?? 0)) - e.sentAt);
		if (writes.some((w) => w.length > 1)) doubled++;
	}
	latencies.sort((a, b) => a - b);
	const requestsPerEvent = Object.fromEntries(
		SOURCES.map((s) => [s, (emulators[s].requests - requestsBefore[s]) / Math.max(1, events.filter((e) => e.from !== s).length)]),
	) as Record<Source, number>;
	return {
		requestsPerEvent,
		eventRequests,
		events: events.length,
		accepted: events.filter((e) => e.status === 200).length,
		refusals: [...new Set(events.filter((e) => e.status !== 200).map((e) => `${e.status} ${e.answer}`))],
		statuses: events.reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.status]: (acc[e.status] ?? 0) + 1 }), {}),
		lost: unfinished.length,
		unfinished,
		doubled,
		latency: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies[latencies.length - 1] ?? NaN },
		wallSeconds,
		eventsPerSecond: events.length / wallSeconds,
	};
}
