/**
 * One connection to a server's live channel, on the WebSocket Node itself provides (WHATWG, global
 * from Node 22; n8n 2.x runs on Node 24, its package.json engines): no runtime dependency. Node's
 * WebSocket (undici) takes request headers as `{ headers }`, which carries the token as the
 * servers' own clients send it, so no token sits in a URL that a proxy might log.
 */

/** The part of the WHATWG WebSocket this uses. */
export interface WebSocketLike {
	readonly readyState: number;
	send(data: string): void;
	close(code?: number, reason?: string): void;
	addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: { data?: unknown; code?: number; reason?: string }) => void): void;
}

export type WebSocketConstructor = new (url: string, options?: { headers?: Record<string, string> }) => WebSocketLike;

// The global as Node has it (undeclared by @types/node 20, which the package builds against).
declare const WebSocket: WebSocketConstructor | undefined;

/** Node's own WebSocket, or a clear error on a Node without one. */
export function nodeWebSocket(): WebSocketConstructor {
	if (typeof WebSocket !== 'function') {
		throw new Error('This Node.js has no built-in WebSocket, which the Watcher needs: run n8n on Node 22 or later (n8n 2.x needs Node 24)');
	}
	return WebSocket;
}

/** How a connection ended: whether it was ever open, and the close code (1006: cut without a close frame). */
export interface Closed {
	opened: boolean;
	code?: number;
	reason?: string;
}

export interface Link {
	send(message: object): void;
	/** Ends the connection from our side (deactivation). */
	close(): void;
	readonly closed: Promise<Closed>;
}

/** http(s)://host/base + path as ws(s)://… */
export function socketUrl(baseUrl: string, path: string, query: Record<string, string> = {}): string {
	const url = new URL(baseUrl.replace(/\/+$/, '') + path);
	url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
	for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
	return url.toString();
}

/**
 * Opens a socket; `onOpen` and `onText` are called as things arrive. The link's `closed` settles
 * once, however the connection ends (refused, cut, closed by either side).
 */
export function connect(Ctor: WebSocketConstructor, url: string, headers: Record<string, string>, handlers: { onOpen(link: Link): void; onText(text: string): void }): Link {
	let opened = false;
	let settle!: (c: Closed) => void;
	const closed = new Promise<Closed>((resolve) => (settle = resolve));
	let socket: WebSocketLike;
	const link: Link = {
		send: (message) => {
			if (socket.readyState === 1) socket.send(JSON.stringify(message));
		},
		close: () => {
			try {
				socket.close(1000, 'workflow deactivated');
			} catch {
				// already closing: the close event settles
			}
		},
		closed,
	};
	try {
		socket = new Ctor(url, { headers });
	} catch (error) {
		settle({ opened: false, reason: (error as Error).message });
		return link;
	}
	socket.addEventListener('open', () => {
		opened = true;
		handlers.onOpen(link);
	});
	socket.addEventListener('message', (event) => {
		const data = event.data;
		if (typeof data === 'string') handlers.onText(data);
		else if (data instanceof ArrayBuffer) handlers.onText(Buffer.from(data).toString('utf8'));
	});
	socket.addEventListener('close', (event) => settle({ opened, code: event.code, reason: event.reason }));
	// An error is always followed by a close event; nothing to do here but not to throw.
	socket.addEventListener('error', () => undefined);
	return link;
}
