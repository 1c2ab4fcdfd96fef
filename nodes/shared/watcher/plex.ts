/**
 * Plex's live channel: `/:/websockets/notifications` with the owner's token (python-plexapi's
 * AlertListener and PlexTraktSync's watch connect the same way).
 * - `playing` (PlaySessionStateNotification) says a session's state and position but not whose it
 *   is: the session's user comes from /status/sessions (the owner's to read), once per session.
 * - A watch state changed by hand (or by a finished play) is an `activity` whose ended
 *   `library.refresh.items` names the item and the account (Taxel/PlexTraktSync#499): the item is
 *   read again as that account and compared with what the Watcher knew. PMS sends the same
 *   activity when an item is merely opened, so only a real change is an event.
 * The socket carries no heartbeat of ours: PMS pings, and Node's WebSocket answers pings itself.
 */
import type { MediaClient } from '../backends/client';
import { BackendError } from '../transport/http';
import type { PlexClient, PlexSessionOwner } from '../backends/plex/api';
import type { WatchEvent, WatchItem } from '../model';
import { watcherEvent, type Watched } from './events';
import { catchUpPlays, KnownPlays } from './known';
import type { WatcherMemory } from './memory';
import { readPlexNotification, type PlexSignal } from './messages';
import type { WatchedPeople } from './people';
import { PlaybackTracker } from './playback';
import { socketUrl } from './socket';
import { eventKey, WatcherRefused, type LiveSource, type WatcherLog } from './watcher';

interface PlexSession {
	who: Watched;
	item: WatchItem;
	player?: PlexSessionOwner['player'];
	startedAt: number;
}

export interface PlexWatchSettings {
	baseUrl: string;
	token: string;
	clientIdentifier: string;
	marginMs: number;
}

/** A refusal of the credential as the Watcher reports it. */
export function refusalOf(error: unknown, label: string, needs: string): unknown {
	if (error instanceof BackendError && (error.status === 401 || error.status === 403)) {
		return new WatcherRefused(`the ${label} server refuses the credential (HTTP ${error.status}): ${needs}`);
	}
	return error;
}

export class PlexLive implements LiveSource {
	readonly label = 'Plex';
	private tracker = new PlaybackTracker();
	private readonly known = new KnownPlays();
	private readonly sessions = new Map<string, PlexSession>();

	constructor(
		private readonly owner: PlexClient,
		private readonly people: WatchedPeople,
		private readonly memory: WatcherMemory,
		private readonly log: WatcherLog,
		private readonly settings: PlexWatchSettings,
	) {}

	async check(): Promise<void> {
		try {
			await this.owner.listLibraries();
			await this.people.everyone();
		} catch (error) {
			throw refusalOf(error, 'Plex', "the Watcher needs the server owner's token in the Plex credential");
		}
	}

	async prepare(): Promise<void> {
		// A play counts as watched where the server counts it (Video played threshold, default 90 %).
		this.tracker = new PlaybackTracker(await this.owner.playedThresholdPercent());
		for (const who of await this.people.everyone()) {
			const client = await this.people.client(who);
			if (client) await this.known.learn(who, client);
		}
	}

	endpoint(): { url: string; headers: Record<string, string> } {
		return {
			url: socketUrl(this.settings.baseUrl, '/:/websockets/notifications'),
			headers: { 'X-Plex-Token': this.settings.token, 'X-Plex-Client-Identifier': this.settings.clientIdentifier, 'X-Plex-Product': 'n8n-nodes-watchstate' },
		};
	}

	/** PMS sends every notification to the owner's socket unasked. */
	opened(): void {}

	lost(): void {
		this.tracker.clear();
		this.sessions.clear();
	}

	async catchUp(since: string): Promise<WatchEvent[]> {
		return await catchUpPlays(this.people, this.known, this.memory, since, this.settings.marginMs);
	}

	async read(text: string): Promise<WatchEvent[]> {
		const signals = readPlexNotification(text);
		if (!Array.isArray(signals)) {
			this.log.debug(`Plex Watcher: ignored ${signals.reason}`);
			return [];
		}
		const out: WatchEvent[] = [];
		for (const signal of signals) out.push(...(signal.kind === 'session' ? await this.session(signal) : await this.changed(signal)));
		return out;
	}

	/** Who plays a session first seen (or seen with another item): /status/sessions and the item as that user. */
	private async resolve(key: string, itemId: string): Promise<PlexSession | undefined> {
		const owner = (await this.owner.sessionsByKey())?.get(key);
		if (!owner) return undefined;
		const who = await this.people.byId(owner.userId);
		const client = who ? await this.people.client(who) : undefined;
		if (!who || !client) return undefined;
		return { who, item: await client.getItem(itemId), player: owner.player, startedAt: Date.now() };
	}

	private async session(s: Extract<PlexSignal, { kind: 'session' }>): Promise<WatchEvent[]> {
		const before = this.sessions.get(s.key);
		let now = before;
		if (!now || now.item.id !== s.itemId) {
			// A session never seen playing that stops: our own position writes (/:/timeline state=stopped).
			if (s.state === 'stopped' && !now) return [];
			now = await this.resolve(s.key, s.itemId);
			if (!now) {
				this.log.debug(`Plex Watcher: session ${s.key} is nobody the household watches`);
				return [];
			}
			this.sessions.set(s.key, now);
		}
		const snapshot = { key: s.key, userId: now.who.user.id, itemId: s.itemId, positionMs: s.positionMs, durationMs: now.item.durationMs, paused: s.state === 'paused' };
		const transitions = s.state === 'stopped' ? this.tracker.end(s.key, snapshot) : this.tracker.update(snapshot);
		if (s.state === 'stopped') this.sessions.delete(s.key);
		const at = new Date().toISOString();
		const out: WatchEvent[] = [];
		for (const t of transitions) {
			const session = before && t.session.itemId === before.item.id && before !== now ? before : now;
			if (t.event === 'scrobble') {
				// The activity of the same play may have come first and been emitted as `played`.
				if (this.memory.emittedSince(eventKey(session.who.user.id, session.item.id, 'played'), session.startedAt)) continue;
				this.known.set(session.who, session.item.id, true);
			}
			out.push(watcherEvent(session.item, session.who, t.event, { at, sourceEvent: `playing/${s.state}`, positionMs: t.session.positionMs, player: session.player }));
		}
		return out;
	}

	private async changed(s: Extract<PlexSignal, { kind: 'changed' }>): Promise<WatchEvent[]> {
		const who = await this.people.byId(s.accountId);
		const client: MediaClient | undefined = who ? await this.people.client(who) : undefined;
		if (!who || !client) return [];
		// The same play's session reports it (as a scrobble), whichever of the two messages comes first.
		if ([...this.sessions.values()].some((x) => x.who === who && x.item.id === s.itemId)) return [];
		const item = await client.getItem(s.itemId);
		const knew = this.known.has(who, item.id);
		const at = new Date().toISOString();
		if (item.played === true && !knew) {
			this.known.set(who, item.id, true);
			return [watcherEvent(item, who, 'played', { at, sourceEvent: 'activity/library.refresh.items' })];
		}
		// Unknown is never unplayed: only an item known played is un-marked.
		if (item.played === false && knew && this.known.knows(who)) {
			this.known.set(who, item.id, false);
			return [watcherEvent(item, who, 'unplayed', { at, sourceEvent: 'activity/library.refresh.items' })];
		}
		return [];
	}
}
