/**
 * Jellyfin's and Emby's live channel (`/socket`, Emby `/embywebsocket`) with the API key, plus a
 * poll for what the channel does not carry to it.
 * - Plays: `SessionsStart` subscribes to `Sessions`, the list of every session (an API key may
 *   subscribe: jellyfin SessionInfoWebSocketListener.Start). A session that leaves the list ended,
 *   but the list never shows its stop position (the stop report removes the session first), so the
 *   item is read again as its user: played now is a scrobble, else its resume point is the stop's.
 * - Marks and un-marks: `UserDataChanged` goes only to the sockets of the user whose data changed
 *   (UserDataChangeNotifier -> SessionManager.SendMessageToUserSessions, which keeps sessions that
 *   ContainsUser; an API key's session has no user: AuthorizationContext IsApiKey,
 *   RequestHelpers.GetSession), and no query finds user data changed since a date
 *   (MinDateLastSavedForUser filters the item's DateLastSaved, BaseItemRepository.TranslateQuery).
 *   So each person's played items are polled: the most recently played few and the count. New ids
 *   at the top are marks; a count the top cannot explain (an un-mark, or a mark that kept an old
 *   date: MarkPlayed without datePlayed keeps LastPlayedDate) re-reads that person's played set.
 * - Jellyfin drops a socket that sends no KeepAlive within the ForceKeepAlive timeout
 *   (SessionWebSocketListener, 60 s): one is sent every half of it, as jellyfin-web does.
 */
import type { MediaClient } from '../backends/client';
import type { MediaBrowserClient } from '../backends/mediabrowser/api';
import type { WatchEvent, WatchItem } from '../model';
import { watcherEvent, type Watched } from './events';
import { catchUpPlays, KnownPlays } from './known';
import type { WatcherMemory } from './memory';
import { readMediaBrowserMessage, type UserDataChange } from './messages';
import type { WatchedPeople } from './people';
import { PlaybackTracker, type PlaybackTransition } from './playback';
import { refusalOf } from './plex';
import { socketUrl } from './socket';
import { eventKey, type LiveSource, type WatcherLog } from './watcher';

/** The most recently played items a poll reads per person. */
export const POLL_ROWS = 20;

/** Half of the 60 s a socket without a KeepAlive is kept (Jellyfin's SessionWebSocketListener; assumed the same on Emby). */
const EMBY_KEEP_ALIVE_MS = 30_000;

export interface MediaBrowserWatchSettings {
	flavor: 'jellyfin' | 'emby';
	baseUrl: string;
	token: string;
	deviceId: string;
	marginMs: number;
	pollMs: number;
}

interface Playing {
	who: Watched;
	item: WatchItem;
	startedAt: number;
	player?: { title?: string; id?: string };
}

export class MediaBrowserLive implements LiveSource {
	readonly label: string;
	private readonly tracker = new PlaybackTracker();
	private readonly known = new KnownPlays();
	private readonly playing = new Map<string, Playing>();
	private keepAliveMs?: number;
	readonly poll: LiveSource['poll'];

	constructor(
		private readonly base: MediaClient,
		private readonly people: WatchedPeople,
		private readonly memory: WatcherMemory,
		private readonly log: WatcherLog,
		private readonly settings: MediaBrowserWatchSettings,
	) {
		this.label = settings.flavor === 'jellyfin' ? 'Jellyfin' : 'Emby';
		this.poll = { everyMs: settings.pollMs, run: async () => await this.pollMarks() };
		// Emby sends no ForceKeepAlive; its clients keep the socket alive the same way, unasked.
		if (settings.flavor === 'emby') this.keepAliveMs = EMBY_KEEP_ALIVE_MS;
	}

	async check(): Promise<void> {
		try {
			// Listing users needs an API key or an administrator: the one request that tells a wrong key.
			await this.base.listUsers();
			await this.people.everyone();
		} catch (error) {
			throw refusalOf(error, this.label, 'the Watcher needs an API key (or an administrator\'s token) in the credential');
		}
	}

	async prepare(): Promise<void> {
		for (const who of await this.people.everyone()) {
			const client = await this.people.client(who);
			if (client) await this.known.learn(who, client);
		}
	}

	endpoint(): { url: string; headers: Record<string, string> } {
		const { flavor, baseUrl, token, deviceId } = this.settings;
		if (flavor === 'jellyfin') {
			return {
				url: socketUrl(baseUrl, '/socket'),
				headers: { Authorization: `MediaBrowser Token="${token}", Client="n8n-nodes-watchstate", Device="n8n", DeviceId="${deviceId}", Version="0.1.0"` },
			};
		}
		// Emby's own web client puts the key and device in the query (apiclient getWebSocketUrl); the header is sent too.
		return { url: socketUrl(baseUrl, '/embywebsocket', { api_key: token, deviceId }), headers: { 'X-Emby-Token': token } };
	}

	opened(link: { send(message: object): void }): void {
		// "initial delay, interval" in ms, as jellyfin-web sends it.
		link.send({ MessageType: 'SessionsStart', Data: '0,1500' });
	}

	heartbeat(): { everyMs: number; message: object } | undefined {
		return this.keepAliveMs ? { everyMs: this.keepAliveMs, message: { MessageType: 'KeepAlive' } } : undefined;
	}

	lost(): void {
		this.tracker.clear();
		this.playing.clear();
	}

	async catchUp(since: string): Promise<WatchEvent[]> {
		return await catchUpPlays(this.people, this.known, this.memory, since, this.settings.marginMs);
	}

	async read(text: string): Promise<WatchEvent[]> {
		const signal = readMediaBrowserMessage(text);
		switch (signal.kind) {
			case 'ignored':
				this.log.debug(`${this.label} Watcher: ignored ${signal.reason}`);
				return [];
			case 'forceKeepAlive':
				this.keepAliveMs = Math.max(1000, (signal.seconds * 1000) / 2);
				return [];
			case 'keepAlive':
				return [];
			case 'userData':
				return await this.userData(signal.changes);
			case 'sessions': {
				const watched = [];
				for (const s of signal.sessions) {
					const who = await this.people.byId(s.userId);
					if (who) watched.push({ ...s, userId: who.user.id });
				}
				const out: WatchEvent[] = [];
				for (const t of this.tracker.replaceAll(watched)) out.push(...(await this.transition(t)));
				return out;
			}
		}
	}

	private async transition(t: PlaybackTransition): Promise<WatchEvent[]> {
		const tag = `${t.session.key}|${t.session.itemId}`;
		let p = this.playing.get(tag);
		if (!p) {
			const who = await this.people.byId(t.session.userId);
			const client = who ? await this.people.client(who) : undefined;
			if (!who || !client) return [];
			p = { who, item: await client.getItem(t.session.itemId), startedAt: Date.now() };
			this.playing.set(tag, p);
		}
		const at = new Date().toISOString();
		const ended = t.event === 'stop' || (t.event === 'scrobble' && !this.tracker.has(t.session.key, t.session.itemId));
		if (ended) this.playing.delete(tag);
		let event = t.event;
		let positionMs = t.session.positionMs;
		if (t.event === 'stop') {
			// The stop's own position is not in the list: the user data after it is.
			const client = await this.people.client(p.who);
			const fresh = client ? await client.getItem(p.item.id) : p.item;
			const knewPlayed = this.known.has(p.who, p.item.id);
			if (fresh.played === true && (!knewPlayed || !fresh.positionMs)) event = 'scrobble';
			else positionMs = fresh.positionMs ?? positionMs;
		}
		if (event === 'scrobble') {
			if (this.memory.emittedSince(eventKey(p.who.user.id, p.item.id, 'played'), p.startedAt)) return [];
			this.known.set(p.who, p.item.id, true);
		}
		return [watcherEvent(p.item, p.who, event, { at, sourceEvent: `Sessions/${t.event}`, positionMs })];
	}

	/** A user's own socket hears UserDataChanged (never the API key's; see the top). */
	private async userData(changes: UserDataChange[]): Promise<WatchEvent[]> {
		const out: WatchEvent[] = [];
		for (const c of changes) {
			if (c.played === undefined) continue;
			const who = await this.people.byId(c.userId);
			if (who) out.push(...(await this.markChanged(who, c.itemId, 'UserDataChanged')));
		}
		return out;
	}

	/** An item whose played state may have changed: read it, and emit only a real change. */
	private async markChanged(who: Watched, itemId: string, sourceEvent: string): Promise<WatchEvent[]> {
		const client = await this.people.client(who);
		if (!client) return [];
		const item = await client.getItem(itemId);
		const knew = this.known.has(who, itemId);
		const at = new Date().toISOString();
		if (item.played === true && !knew) {
			this.known.set(who, itemId, true);
			return [watcherEvent(item, who, 'played', { at, sourceEvent })];
		}
		if (item.played === false && knew) {
			this.known.set(who, itemId, false);
			return [watcherEvent(item, who, 'unplayed', { at, sourceEvent })];
		}
		return [];
	}

	/** Each person's played items: the newest few and the count; the whole set only when they disagree. */
	private async pollMarks(): Promise<WatchEvent[]> {
		const out: WatchEvent[] = [];
		for (const who of await this.people.everyone()) {
			if (!this.known.knows(who)) continue;
			const client = (await this.people.client(who)) as MediaBrowserClient | undefined;
			if (!client) continue;
			const top = await client.recentlyPlayed(POLL_ROWS);
			const fresh = top.ids.filter((id) => !this.known.has(who, id));
			let added = fresh;
			let removed: string[] = [];
			if (top.total !== this.known.count(who) + fresh.length) {
				const now = new Set((await client.listWatchState({ only: 'played' })).map((i) => i.id));
				const before = this.known.ids(who);
				added = [...now].filter((id) => !before.has(id));
				removed = [...before].filter((id) => !now.has(id));
			}
			for (const id of [...added, ...removed]) {
				// One unreadable item (removed from the library meanwhile) must not stall every later poll.
				const events = await this.markChanged(who, id, 'poll').catch((error: Error) => {
					this.log.warn(`${this.label} Watcher: could not read item ${id} of ${who.user.name}: ${error.message}`);
					this.known.set(who, id, !removed.includes(id));
					return [];
				});
				out.push(...events);
			}
		}
		return out;
	}
}
