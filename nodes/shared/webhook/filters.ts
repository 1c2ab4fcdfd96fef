/**
 * The trigger options that decide whether a well-formed event should run the workflow:
 * user match, server match, event filter. A mismatch is answered 200 with the reason (a 4xx
 * would make servers retry or disable the webhook) and starts no execution.
 */
import type { WatchEvent, WatchEventName } from '../model';

export interface EventFilters {
	/** Comma-separated user ids or names; empty = any user. */
	users?: string;
	/** Comma-separated server ids; empty = any server. */
	servers?: string;
	/** Normalized events to keep; empty = all. */
	events?: WatchEventName[];
}

/** A comma-separated parameter as trimmed, non-empty entries. */
export function splitList(list: unknown): string[] {
	return String(list ?? '')
		.split(',')
		.map((s) => s.trim())
		.filter((s) => s !== '');
}

/** Ids compare without case and without the dashes some Jellyfin templates add to GUIDs. */
function sameId(a: string, b: string): boolean {
	const norm = (s: string) => s.replace(/-/g, '').toLowerCase();
	return norm(a) === norm(b);
}

/** Returns undefined when the event passes, otherwise the reason it does not. */
export function rejectReason(event: WatchEvent, filters: EventFilters): string | undefined {
	const users = splitList(filters.users);
	if (users.length > 0) {
		if (event.userId === undefined && event.userName === undefined) {
			return 'event names no user and the trigger only accepts listed users';
		}
		const match = users.some(
			(u) =>
				(event.userId !== undefined && sameId(u, event.userId)) ||
				(event.userName !== undefined && u.toLowerCase() === event.userName.toLowerCase()),
		);
		if (!match) return 'user is not one the trigger accepts';
	}
	const servers = splitList(filters.servers);
	if (servers.length > 0) {
		if (event.serverId === undefined) return 'event names no server and the trigger only accepts listed servers';
		if (!servers.some((s) => sameId(s, event.serverId as string))) return 'server is not one the trigger accepts';
	}
	if (filters.events && filters.events.length > 0 && !filters.events.includes(event.event)) {
		return `event "${event.event}" is not selected in the trigger's event filter`;
	}
	return undefined;
}
