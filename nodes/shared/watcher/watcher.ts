/**
 * The Watcher's life, whatever the server: check the credential, learn what each person has
 * played, hold the live channel open, and after every (re)connect catch up on what changed while
 * it was away. Everything a server says is handled one message at a time (a catch-up, a poll and
 * the live messages never race for the same item), and a failed read emits nothing.
 *
 * - A refused credential ends activation with the server's answer, and on a reconnect hands the
 *   workflow to n8n (emitError: deactivated, reactivated with n8n's own backoff), never a loop.
 * - A lost connection is retried with a doubling wait (1 s … 60 s); a connection that held a while
 *   starts the waits again from 1 s.
 * - Nothing here uses timers: waits are n8n's `sleep` in short naps, so deactivation ends them.
 */
import { sleep } from 'n8n-workflow';
import type { WatchEvent } from '../model';
import { isEcho, noteEmitted } from './echoes';
import type { WatcherMemory } from './memory';
import { connect, type Closed, type Link, type WebSocketConstructor } from './socket';

/** A credential the server refuses (401 / 403): no retry can help. */
export class WatcherRefused extends Error {}

export interface LiveSource {
	/** "Plex", "Jellyfin", "Emby": for log lines. */
	readonly label: string;
	/** A request the credential must pass (throws WatcherRefused when the server refuses it). */
	check(): Promise<void>;
	/** Once, at activation: what each person has played (what un-marks are told by). */
	prepare(): Promise<void>;
	endpoint(): { url: string; headers: Record<string, string> };
	opened(link: Link): void;
	/** One message of the channel: the events it makes (none for a message that says nothing). */
	read(text: string): Promise<WatchEvent[]>;
	/** What changed since `since` (ISO), read from the server after a (re)connect. */
	catchUp(since: string): Promise<WatchEvent[]>;
	/** The connection is gone: sessions seen on it end here, not in a guess. */
	lost(): void;
	/** What to send and how often while connected, once the server asked for it (Jellyfin's KeepAlive). */
	heartbeat?(): { everyMs: number; message: object } | undefined;
	/** A read on a schedule, for what the channel does not carry (Jellyfin / Emby marks). */
	poll?: { everyMs: number; run(): Promise<WatchEvent[]> };
}

export interface WatcherLog {
	info(message: string): void;
	warn(message: string): void;
	debug(message: string): void;
}

export interface WatcherHost {
	emit(event: WatchEvent): void;
	log: WatcherLog;
	/** The Watcher cannot go on (a refused credential after a reconnect). */
	fatal(error: Error): void;
	WebSocket: WebSocketConstructor;
	memory: WatcherMemory;
	/** Reconnect waits (ms). */
	backoff?: { firstMs: number; maxMs: number };
	/** How far back of the cursor a catch-up reads (servers' clocks against n8n's). */
	catchUpMarginMs?: number;
	/** Whether a (re)connect catches up on what changed since the cursor (default true). */
	catchUp?: boolean;
}

/** The key an emitted event is remembered by: one person's item and what happened to it. */
export function eventKey(userId: string | undefined, itemId: string, what: 'played' | 'unplayed' | 'position'): string {
	return `${userId ?? ''}|${itemId}|${what}`;
}

function keyOf(e: WatchEvent): string | undefined {
	if (e.event === 'scrobble' || e.event === 'played') return eventKey(e.userId, e.id, 'played');
	if (e.event === 'unplayed') return eventKey(e.userId, e.id, 'unplayed');
	if (e.event === 'stop' || e.event === 'pause') return eventKey(e.userId, e.id, 'position');
	return undefined;
}

/** A connection that stayed open this long was healthy: the next reconnect waits from the start. */
const HEALTHY_MS = 10_000;
const NAP_MS = 200;

export class LiveWatcher {
	private stopped = false;
	private link?: Link;
	private queue: Promise<void> = Promise.resolve();
	private readonly running = new Set<Promise<void>>();
	/** Connections opened (a test and the log count reconnects by it). */
	connections = 0;

	constructor(
		private readonly source: LiveSource,
		private readonly host: WatcherHost,
	) {}

	/** Checks, prepares, and starts watching; throws what the server said when it refuses. */
	async start(): Promise<void> {
		await this.source.check();
		await this.source.prepare();
		this.track(this.watch());
		if (this.source.poll) this.track(this.polling(this.source.poll));
	}

	async stop(): Promise<void> {
		this.stopped = true;
		this.link?.close();
		await Promise.all([...this.running]);
		await this.queue;
	}

	private track(loop: Promise<void>): void {
		this.running.add(loop);
		void loop.finally(() => this.running.delete(loop));
	}

	/** Sleeps `ms` in short naps; false when the Watcher stopped meanwhile. */
	private async nap(ms: number): Promise<boolean> {
		const end = Date.now() + ms;
		while (!this.stopped && Date.now() < end) await sleep(Math.min(NAP_MS, Math.max(1, end - Date.now())));
		return !this.stopped;
	}

	/** Runs `task` after everything queued before it; its events are emitted, its failure logged. */
	private serially(what: string, task: () => Promise<WatchEvent[]>): Promise<void> {
		this.queue = this.queue.then(async () => {
			if (this.stopped) return;
			try {
				for (const event of await task()) this.emit(event);
			} catch (error) {
				this.host.log.warn(`${this.source.label} Watcher: ${what} failed, nothing emitted for it: ${(error as Error).message}`);
			}
		});
		return this.queue;
	}

	private emit(event: WatchEvent): void {
		const now = Date.now();
		const key = keyOf(event);
		if (key) this.host.memory.remember(key, now);
		if (isEcho(event, now)) {
			this.host.log.debug(`${this.source.label} Watcher: ${event.event} of ${event.id} (${event.person ?? event.userName ?? ''}) is the sync's own write come back; not emitted`);
			return;
		}
		noteEmitted(event, now);
		this.host.memory.advance(new Date(now).toISOString());
		this.host.emit(event);
	}

	private async watch(): Promise<void> {
		const { firstMs, maxMs } = this.host.backoff ?? { firstMs: 1000, maxMs: 60_000 };
		let failures = 0;
		while (!this.stopped) {
			if (failures > 0 || this.connections > 0) {
				const refused = await this.source.check().then(
					() => undefined,
					(error: Error) => (error instanceof WatcherRefused ? error : undefined),
				);
				if (refused) {
					this.host.log.warn(`${this.source.label} Watcher: the server refuses the credential now; stopping (${refused.message})`);
					this.stopped = true;
					this.host.fatal(refused);
					return;
				}
			}
			const began = Date.now();
			const closed = await this.once();
			if (this.stopped) return;
			this.source.lost();
			failures = closed.opened && Date.now() - began >= HEALTHY_MS ? 1 : failures + 1;
			const wait = Math.min(maxMs, firstMs * 2 ** (failures - 1));
			this.host.log.warn(`${this.source.label} Watcher: the live connection ${closed.opened ? 'was lost' : 'could not be opened'} (code ${closed.code ?? 'none'}${closed.reason ? `: ${closed.reason}` : ''}); reconnecting in ${Math.round(wait / 1000)} s`);
			if (!(await this.nap(wait))) return;
		}
	}

	/** One connection, from opening to its end; the catch-up runs once it is open, before any live message. */
	private async once(): Promise<Closed> {
		const { url, headers } = this.source.endpoint();
		const link = connect(this.host.WebSocket, url, headers, {
			onOpen: (l) => {
				this.connections++;
				this.host.log.info(`${this.source.label} Watcher: connected`);
				this.source.opened(l);
				const cursor = this.host.memory.cursor;
				if (this.host.catchUp === false) {
					// Nothing to catch up on, and the cursor is the active workflow's, not this one's.
				} else if (cursor) {
					const since = new Date(Date.parse(cursor) - (this.host.catchUpMarginMs ?? 120_000)).toISOString();
					void this.serially('the catch-up', async () => await this.source.catchUp(since));
				} else {
					// The first activation: from now on.
					this.host.memory.advance(new Date().toISOString());
				}
				this.track(this.heartbeats(l));
			},
			onText: (text) => void this.serially('a message', async () => await this.source.read(text)),
		});
		this.link = link;
		const closed = await link.closed;
		this.link = undefined;
		return closed;
	}

	private async heartbeats(link: Link): Promise<void> {
		let open = true;
		void link.closed.then(() => (open = false));
		while (open && !this.stopped) {
			const beat = this.source.heartbeat?.();
			if (!(await this.nap(beat?.everyMs ?? 1000))) return;
			if (beat && open) link.send(beat.message);
		}
	}

	private async polling(poll: NonNullable<LiveSource['poll']>): Promise<void> {
		while (await this.nap(poll.everyMs)) await this.serially('a poll', async () => await poll.run());
	}
}
