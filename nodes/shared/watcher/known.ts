/**
 * What the Watcher knows each person has played, and the catch-up both kinds of server share.
 * An un-mark is told only against this: an item the Watcher never knew played is never emitted
 * unplayed (unknown is never "unplayed"), so it is learnt once per activation for every person.
 */
import type { MediaClient } from '../backends/client';
import type { WatchEvent } from '../model';
import { MIN_POSITION_MS } from '../sync/rules';
import { watcherEvent, type Watched } from './events';
import type { WatcherMemory } from './memory';
import type { WatchedPeople } from './people';
import { eventKey } from './watcher';

export class KnownPlays {
	private readonly played = new Map<string, Set<string>>();

	/** Learns a person's played items (one listing of their played items). */
	async learn(who: Watched, client: MediaClient): Promise<void> {
		const items = await client.listWatchState({ only: 'played' });
		this.played.set(who.user.id, new Set(items.map((i) => i.id)));
	}

	knows(who: Watched): boolean {
		return this.played.has(who.user.id);
	}

	has(who: Watched, itemId: string): boolean {
		return this.played.get(who.user.id)?.has(itemId) === true;
	}

	count(who: Watched): number {
		return this.played.get(who.user.id)?.size ?? 0;
	}

	ids(who: Watched): Set<string> {
		return this.played.get(who.user.id) ?? new Set();
	}

	set(who: Watched, itemId: string, played: boolean): void {
		const set = this.played.get(who.user.id);
		if (!set) return;
		if (played) set.add(itemId);
		else set.delete(itemId);
	}
}

/**
 * What each person's user played or left a resume point on since `since` (the server's own dates),
 * as `played` / `stop` events, leaving out what this Watcher already emitted since then.
 */
export async function catchUpPlays(people: WatchedPeople, known: KnownPlays, memory: WatcherMemory, since: string, marginMs: number): Promise<WatchEvent[]> {
	const at = new Date().toISOString();
	const out: WatchEvent[] = [];
	for (const who of await people.everyone()) {
		const client = await people.client(who);
		if (!client) continue;
		for (const item of await client.listWatchState({ changedSince: since })) {
			if (item.played === true) {
				known.set(who, item.id, true);
				const playedMs = Date.parse(item.playedAt ?? item.updatedAt);
				if (memory.emittedSince(eventKey(who.user.id, item.id, 'played'), playedMs - marginMs)) continue;
				out.push(watcherEvent(item, who, 'played', { at, sourceEvent: 'catch-up' }));
			} else if (item.played === false && (item.positionMs ?? 0) >= MIN_POSITION_MS) {
				if (memory.emittedSince(eventKey(who.user.id, item.id, 'position'), Date.parse(item.updatedAt) - marginMs)) continue;
				out.push(watcherEvent(item, who, 'stop', { at, sourceEvent: 'catch-up' }));
			}
		}
	}
	return out;
}
