/**
 * From what a live channel says of the players to the webhook triggers' events (#24's Watcher).
 * Plex reports one session at a time (PlaySessionStateNotification: sessionKey, state, viewOffset);
 * Jellyfin and Emby send the whole list of sessions (`Sessions`). Both are fed here as snapshots,
 * and each session's changes become play / pause / resume / scrobble / stop, once each:
 * - a session first seen is a `play` (a `pause` when it is first seen paused);
 * - a session whose item changes ended the old item and plays the new one;
 * - at or past the played share the item is a `scrobble`, once per session (the Plex webhook's
 *   media.scrobble comes at the same 90 %); a session ending there without one is a `scrobble` too;
 * - a session ending before it is a `stop` (it may move a resume position, never mark played).
 */
import { WATCHED_PERCENT } from '../sync/rules';

/** One player's session, as the channel last reported it. */
export interface SessionSnapshot {
	/** Plex sessionKey; Jellyfin / Emby session Id. */
	key: string;
	userId: string;
	itemId: string;
	positionMs: number;
	durationMs?: number;
	paused: boolean;
}

export type PlaybackEventName = 'play' | 'pause' | 'resume' | 'stop' | 'scrobble';

export interface PlaybackTransition {
	event: PlaybackEventName;
	session: SessionSnapshot;
}

interface Tracked extends SessionSnapshot {
	scrobbled: boolean;
}

export class PlaybackTracker {
	private readonly live = new Map<string, Tracked>();

	constructor(private readonly playedPercent = WATCHED_PERCENT) {}

	/** Sessions being tracked (for tests and for a reconnect, which must start from nothing). */
	get size(): number {
		return this.live.size;
	}

	/** Whether this session is still being tracked with this item. */
	has(key: string, itemId: string): boolean {
		return this.live.get(key)?.itemId === itemId;
	}

	private reached(s: SessionSnapshot): boolean {
		return !!s.durationMs && s.durationMs > 0 && (s.positionMs / s.durationMs) * 100 >= this.playedPercent;
	}

	/** One session's new state (Plex: every notification but `stopped`). */
	update(snapshot: SessionSnapshot): PlaybackTransition[] {
		const out: PlaybackTransition[] = [];
		let known = this.live.get(snapshot.key);
		if (known && (known.itemId !== snapshot.itemId || known.userId !== snapshot.userId)) {
			out.push(...this.end(snapshot.key));
			known = undefined;
		}
		if (!known) {
			const tracked: Tracked = { ...snapshot, scrobbled: false };
			this.live.set(snapshot.key, tracked);
			out.push({ event: snapshot.paused ? 'pause' : 'play', session: { ...snapshot } });
			if (this.reached(snapshot)) {
				tracked.scrobbled = true;
				out.push({ event: 'scrobble', session: { ...snapshot } });
			}
			return out;
		}
		const wasPaused = known.paused;
		Object.assign(known, snapshot, { durationMs: snapshot.durationMs ?? known.durationMs });
		if (snapshot.paused !== wasPaused) out.push({ event: snapshot.paused ? 'pause' : 'resume', session: this.copy(known) });
		if (!known.scrobbled && this.reached(known)) {
			known.scrobbled = true;
			out.push({ event: 'scrobble', session: this.copy(known) });
		}
		return out;
	}

	/** A session ended (Plex `stopped`, or gone from Jellyfin's / Emby's list), at its last or a given position. */
	end(key: string, last?: Partial<SessionSnapshot>): PlaybackTransition[] {
		const known = this.live.get(key);
		if (!known) return [];
		this.live.delete(key);
		if (last) Object.assign(known, Object.fromEntries(Object.entries(last).filter(([, v]) => v !== undefined)));
		if (known.scrobbled) return [];
		return [{ event: this.reached(known) ? 'scrobble' : 'stop', session: this.copy(known) }];
	}

	/** Jellyfin / Emby: the whole list of playing sessions now; sessions missing from it ended. */
	replaceAll(sessions: SessionSnapshot[]): PlaybackTransition[] {
		const out: PlaybackTransition[] = [];
		const now = new Set(sessions.map((s) => s.key));
		for (const key of [...this.live.keys()]) if (!now.has(key)) out.push(...this.end(key));
		for (const s of sessions) out.push(...this.update(s));
		return out;
	}

	/** Forgets every session (a reconnect: what happened meanwhile is read from the server, not guessed). */
	clear(): void {
		this.live.clear();
	}

	private copy(t: Tracked): SessionSnapshot {
		return { key: t.key, userId: t.userId, itemId: t.itemId, positionMs: t.positionMs, durationMs: t.durationMs, paused: t.paused };
	}
}
