/**
 * The Watcher's events are the webhook triggers' WatchEvents: the item as the person's own user
 * reads it on the server, with what happened to it. Only a scrobble, a mark and an un-mark decide
 * `played`; a play, a pause or a stop only carries a position (tainted), as the webhooks' do.
 */
import type { PlayerRef, WatchEvent, WatchEventName, WatchItem } from '../model';
import type { UserInfo } from '../backends/client';
import { finishEvent } from '../webhook/event';

/** A user of this server and the household person they are. */
export interface Watched {
	user: UserInfo;
	person: string;
}

export interface EventDetails {
	/** When it happened, as n8n saw it (ISO). */
	at: string;
	/** What the server said: a notification type, a poll, a catch-up. */
	sourceEvent: string;
	positionMs?: number;
	player?: PlayerRef;
}

export function watcherEvent(item: WatchItem, who: Watched, event: WatchEventName, d: EventDetails): WatchEvent {
	const base = { ...item, progress: undefined, userId: who.user.id, userName: who.user.name, person: who.person, event, sourceEvent: d.sourceEvent, receivedAt: d.at, player: d.player };
	if (event === 'scrobble') return finishEvent({ ...base, played: true, tainted: false, playedAt: d.at, updatedAt: d.at, positionMs: d.positionMs ?? item.positionMs });
	// A mark the server made: its own date of the play decides (a catch-up may find it minutes later).
	if (event === 'played') return finishEvent({ ...base, played: true, tainted: false, playedAt: item.playedAt ?? item.updatedAt, updatedAt: item.updatedAt });
	if (event === 'unplayed') return finishEvent({ ...base, played: false, tainted: false, playedAt: undefined, updatedAt: d.at });
	return finishEvent({ ...base, tainted: true, updatedAt: d.at, positionMs: d.positionMs ?? item.positionMs });
}
