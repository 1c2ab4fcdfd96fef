/**
 * The sync's own writes, seen again. A Watcher's event goes to Apply Watch State on the other
 * servers, whose Watchers then see that write as a mark of their own, seconds later (Plex at once,
 * as an activity; Jellyfin / Emby at their next poll), dated by those servers' clocks at the write.
 * Sent on, such an echo would race the person: an un-mark made on the first server between the
 * write and the echo would be marked played again by it. So an echo is not emitted.
 *
 * An echo is a `played` (or `unplayed`) of the same person and item (by any shared external id)
 * that another server's Watcher emitted within the last minutes. Every Watcher runs in n8n's main
 * process (queue mode included), so what they emitted is known here, to all of them. Nothing is
 * lost by dropping one: the state it reports came from the other server, whose event already went
 * everywhere.
 */
import type { WatchEvent } from '../model';

/** Longer than a poll interval plus a queued Apply; shorter than a person changing their mind twice. */
export const ECHO_WINDOW_MS = 10 * 60_000;

const emitted = new Map<string, { server: string; at: number }>();

function direction(e: WatchEvent): 'played' | 'unplayed' | undefined {
	if (e.event === 'played' || e.event === 'scrobble') return 'played';
	if (e.event === 'unplayed') return 'unplayed';
	return undefined;
}

function keys(e: WatchEvent): string[] {
	const way = direction(e);
	if (!way || !e.person) return [];
	const ids = Object.entries(e.guids ?? {}).map(([k, v]) => `${k}:${String(v)}`);
	if (e.type === 'episode' && e.show && e.season !== undefined && e.episode !== undefined) {
		for (const [k, v] of Object.entries(e.show.guids ?? {})) ids.push(`show:${k}:${String(v)}:${e.season}:${e.episode}`);
	}
	return ids.map((id) => `${e.person}|${way}|${id}`);
}

const serverOf = (e: WatchEvent) => `${e.backend}:${e.serverId ?? ''}`;

function prune(now: number): void {
	for (const [key, value] of emitted) if (now - value.at > ECHO_WINDOW_MS) emitted.delete(key);
}

/** Whether this event is another server's event come back through the sync's own write. */
export function isEcho(e: WatchEvent, now = Date.now()): boolean {
	// A scrobble is a play on this server, never a write of ours.
	if (e.event === 'scrobble') return false;
	prune(now);
	const server = serverOf(e);
	return keys(e).some((key) => {
		const seen = emitted.get(key);
		return seen !== undefined && seen.server !== server;
	});
}

export function noteEmitted(e: WatchEvent, now = Date.now()): void {
	const server = serverOf(e);
	for (const key of keys(e)) emitted.set(key, { server, at: now });
}
