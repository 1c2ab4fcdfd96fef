/**
 * The live channels of the emulated servers: a real WebSocket upgrade (RFC 6455, through the `ws`
 * package's server side, dev-only) on the emulator's own port. Each server says which paths take a
 * socket and what it does with one; this file does the handshake, keeps the open sockets (so a test
 * can drop them as a network or a restart would), pings, and closes them when the server stops.
 */
import { WebSocket, WebSocketServer } from 'ws';
import type { http } from '../lib/builtins';

/** One open socket as a server sees it: who it is, and how to send to it. */
export interface LiveSocket {
	readonly path: string;
	readonly query: URLSearchParams;
	/** The user the socket authenticated as (an emulator's own notion: a token, a user id, 'admin'). */
	readonly who: unknown;
	send(message: unknown): void;
	close(code: number, reason: string): void;
	/** Messages the client sent, parsed as JSON where they are (raw text otherwise). */
	onMessage?: (message: unknown) => void;
	/** When the client last sent anything (ms since epoch): what keep-alive timeouts look at. */
	lastHeardAt: number;
}

/** What a server answers to an upgrade request: refuse with an HTTP status, or take the socket. */
export type UpgradeVerdict = { status: number; body?: string } | { accept: true; who: unknown; onOpen?: (socket: LiveSocket) => void };

export class LiveChannels {
	private readonly wss = new WebSocketServer({ noServer: true });
	readonly open = new Set<LiveSocket & { raw: WebSocket }>();
	/** Upgrade requests seen, refused ones included (tests: a wrong token must not be retried in a loop). */
	attempts = 0;
	refused = 0;
	/** While set, every upgrade is refused with this status (a server restarting, a proxy in the way). */
	refuseWith?: number;

	constructor(private readonly decide: (path: string, query: URLSearchParams, headers: http.IncomingHttpHeaders) => UpgradeVerdict) {}

	attach(server: http.Server): void {
		server.on('upgrade', (req: http.IncomingMessage, socket: import('node:net').Socket, head: Buffer) => {
			this.attempts++;
			const url = new URL(req.url ?? '/', 'http://emulator');
			const verdict: UpgradeVerdict = this.refuseWith ? { status: this.refuseWith } : this.decide(url.pathname, url.searchParams, req.headers);
			if (!('accept' in verdict)) {
				// Servers refuse an unauthenticated or unknown socket with a plain HTTP answer, never an upgrade.
				this.refused++;
				const body = verdict.body ?? '';
				socket.end(`HTTP/1.1 ${verdict.status} ${verdict.status === 401 ? 'Unauthorized' : 'Refused'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
				return;
			}
			this.wss.handleUpgrade(req, socket, head, (raw) => {
				const live: LiveSocket & { raw: WebSocket } = {
					raw,
					path: url.pathname,
					query: url.searchParams,
					who: verdict.who,
					lastHeardAt: Date.now(),
					send: (message) => {
						if (raw.readyState === WebSocket.OPEN) raw.send(typeof message === 'string' ? message : JSON.stringify(message));
					},
					close: (code, reason) => raw.close(code, reason),
				};
				this.open.add(live);
				raw.on('message', (data) => {
					live.lastHeardAt = Date.now();
					const text = data.toString();
					let parsed: unknown = text;
					try {
						parsed = JSON.parse(text);
					} catch {
						// kept as text
					}
					live.onMessage?.(parsed);
				});
				raw.on('pong', () => (live.lastHeardAt = Date.now()));
				raw.on('close', () => this.open.delete(live));
				raw.on('error', () => this.open.delete(live));
				verdict.onOpen?.(live);
			});
		});
	}

	broadcast(message: unknown, to: (socket: LiveSocket) => boolean = () => true): number {
		let sent = 0;
		for (const s of this.open) {
			if (!to(s)) continue;
			s.send(message);
			sent++;
		}
		return sent;
	}

	/** Cuts every open socket without a close frame: a network drop or a server killed. */
	dropAll(): void {
		for (const s of this.open) s.raw.terminate();
		this.open.clear();
	}

	/** Closes every socket with a close frame (a server shutting down cleanly: 1001 Going Away). */
	closeAll(code = 1001, reason = 'server shutting down'): void {
		for (const s of this.open) s.raw.close(code, reason);
	}

	stop(): void {
		this.dropAll();
		this.wss.close();
	}
}
