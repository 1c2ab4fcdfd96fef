/**
 * The part every emulated server shares: a real HTTP server on 127.0.0.1, a route table, switches
 * to inject faults (error statuses, 429 with Retry-After, slow answers, dropped connections), a
 * request counter and a log of the writes that changed watch state, so tests can assert exactly
 * what a run did.
 */
import { delay, http, URL } from '../lib/builtins';
import type { ItemState } from './library';
import type { SpecGate, Violation } from './spec/gate';
import { LiveChannels, type UpgradeVerdict } from './socket';

export interface Fault {
	/** Only requests whose path matches (default: every request). */
	path?: RegExp;
	method?: string;
	/** How many matching requests this fault hits; Infinity for all. */
	times: number;
	status?: number;
	retryAfter?: number | string;
	delayMs?: number;
	/** Destroy the connection without an answer. */
	drop?: boolean;
	/**
	 * Apply the request first, then answer with `status` or drop the connection: a server that did
	 * the write but whose answer was lost (a proxy's 502, a connection reset on the way back).
	 */
	afterApplying?: boolean;
}

export interface WriteRecord {
	userId: string;
	itemId: string;
	action: 'played' | 'unplayed' | 'position' | 'rated' | 'unrated';
	positionMs?: number;
	playedAt?: number;
	method: string;
	path: string;
	/** When the emulator applied it (ms since epoch), for latency measurements. */
	at?: number;
}

export interface RequestContext {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: http.IncomingHttpHeaders;
	body: unknown;
	params: string[];
}

export interface Reply {
	status: number;
	body?: unknown;
	headers?: Record<string, string>;
	/** Send `body` as-is (text), not as JSON. */
	raw?: boolean;
}

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

export interface Route {
	method: string;
	pattern: RegExp;
	handler: Handler;
}

export abstract class EmulatedServer {
	readonly writes: WriteRecord[] = [];
	requests = 0;
	readonly requestsByRoute = new Map<string, number>();
	private readonly faults: Fault[] = [];
	private server?: http.Server;
	/** Cancels injected delays when the server stops, so nothing outlives it. */
	private stopping = new AbortController();
	private readonly sockets = new Set<import('node:net').Socket>();
	url = '';

	/** The published spec of the server version played; undefined when the specs are not at hand. */
	protected gate?: SpecGate;

	/** The server's WebSocket channel (Plex notifications, Jellyfin / Emby `/socket`). */
	readonly live = new LiveChannels((path, query, headers) => this.upgrade({ method: 'GET', path: this.stripPrefix(path), query, headers, body: undefined, params: [] }));

	/** What the server answers to a WebSocket upgrade (a GET like any other); a server without a socket answers 404. */
	protected upgrade(ctx: RequestContext): UpgradeVerdict {
		return { status: 404, body: `no socket at ${ctx.path}` };
	}

	/**
	 * How far this server's clock is from the machine's (tests: a server whose clock runs ahead or
	 * behind n8n's). Every date the server stamps itself is taken from now().
	 */
	clockOffsetMs = 0;

	now(): number {
		return Date.now() + this.clockOffsetMs;
	}

	protected abstract routes(): Route[];
	/** Returns a reply when the request may not pass (401), undefined when it may. */
	protected abstract authenticate(ctx: RequestContext): Reply | undefined;
	/** How this server words a refusal of a request outside its API (404 / 405 / 400). */
	protected abstract refusal(status: number, reason: string): Reply;

	/** Requests (and emulator answers) outside the spec since the last reset; [] without a spec. */
	get violations(): Violation[] {
		return this.gate?.violations ?? [];
	}

	/** Whether this emulator checks requests against a published spec. */
	get specBound(): boolean {
		return this.gate !== undefined;
	}
	/** A path prefix the server also answers without (Emby's `/emby`). */
	protected stripPrefix(path: string): string {
		return path;
	}

	addFault(fault: Fault): void {
		this.faults.push({ ...fault });
	}

	/** How many injected faults are still to happen (Infinity for endless ones). */
	faultsLeft(): number {
		return this.faults.reduce((n, f) => n + f.times, 0);
	}

	clearFaults(): void {
		this.faults.length = 0;
	}

	resetCounters(): void {
		this.requests = 0;
		this.requestsByRoute.clear();
		this.writes.length = 0;
		if (this.gate) this.gate.violations.length = 0;
	}

	async start(port = 0): Promise<string> {
		const table = this.routes();
		this.server = http.createServer((req, res) => {
			void this.handle(table, req, res);
		});
		this.server.keepAliveTimeout = 5000;
		this.live.attach(this.server);
		this.server.on('connection', (socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
		await new Promise<void>((resolveListen) => this.server!.listen(port, '127.0.0.1', () => resolveListen()));
		const address = this.server.address() as import('node:net').AddressInfo;
		this.url = `http://127.0.0.1:${address.port}`;
		return this.url;
	}

	async stop(): Promise<void> {
		if (!this.server) return;
		this.stopping.abort();
		this.stopping = new AbortController();
		this.live.dropAll();
		for (const socket of this.sockets) socket.destroy();
		await new Promise<void>((resolveClose) => this.server!.close(() => resolveClose()));
		this.server = undefined;
	}

	protected record(write: WriteRecord): void {
		this.writes.push({ ...write, at: Date.now() });
	}

	private takeFault(method: string, path: string): Fault | undefined {
		const fault = this.faults.find((f) => f.times > 0 && (!f.path || f.path.test(path)) && (!f.method || f.method === method));
		if (fault) fault.times--;
		return fault;
	}

	private async handle(table: Route[], req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		this.requests++;
		const parsed = new URL(req.url ?? '/', 'http://emulator');
		const method = req.method ?? 'GET';
		const path = this.stripPrefix(parsed.pathname);

		const fault = this.takeFault(method, path);
		if (fault?.delayMs) {
			const aborted = await delay(fault.delayMs, this.stopping.signal).then(
				() => false,
				() => true,
			);
			if (aborted) return;
		}
		const lostAnswer = fault?.afterApplying ? fault : undefined;
		if (fault?.drop && !lostAnswer) {
			req.socket.destroy();
			return;
		}
		if (fault?.status && !lostAnswer) {
			const headers: Record<string, string> = { 'content-type': 'application/json' };
			if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
			this.send(res, { status: fault.status, headers, body: { message: `injected fault ${fault.status}` } });
			return;
		}

		let body: unknown;
		const text = Buffer.concat(chunks).toString('utf8');
		if (text) {
			try {
				body = JSON.parse(text);
			} catch {
				body = text;
			}
		}
		const verdict = this.gate?.check(method, path, parsed.searchParams, req.headers, body);
		if (verdict?.refuse) {
			this.send(res, this.refusal(verdict.refuse.status, verdict.refuse.reason));
			return;
		}
		const ctx: RequestContext = { method, path, query: verdict?.query ?? parsed.searchParams, headers: req.headers, body, params: [] };
		const denied = this.authenticate(ctx);
		if (denied) {
			this.send(res, denied);
			return;
		}
		for (const route of table) {
			if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) continue;
			const m = route.pattern.exec(path);
			if (!m) continue;
			ctx.params = m.slice(1).map((p) => (p === undefined ? p : decodeURIComponent(p)));
			const key = `${route.method} ${route.pattern.source}`;
			this.requestsByRoute.set(key, (this.requestsByRoute.get(key) ?? 0) + 1);
			let reply: Reply;
			try {
				reply = await route.handler(ctx);
			} catch (error) {
				reply = { status: 500, body: { message: (error as Error).message } };
			}
			if (verdict?.operation) this.gate!.checkAnswer(verdict.operation, `${method} ${path}`, reply.status, reply.raw ? undefined : reply.body);
			if (lostAnswer?.drop) {
				req.socket.destroy();
				return;
			}
			if (lostAnswer?.status) {
				this.send(res, { status: lostAnswer.status, headers: { 'content-type': 'text/html' }, body: `<html><body>${lostAnswer.status} Bad Gateway</body></html>`, raw: true });
				return;
			}
			this.send(res, reply);
			return;
		}
		// The spec has the route but this emulator does not play it: say so, never pretend.
		if (verdict?.operation) {
			this.send(res, { status: 501, body: { message: `the emulator does not implement ${verdict.operation.method} ${verdict.operation.template}` } });
			return;
		}
		this.send(res, this.refusal(404, `no route for ${method} ${path}`));
	}

	private send(res: http.ServerResponse, reply: Reply): void {
		const headers: Record<string, string> = { ...(reply.headers ?? {}) };
		let payload = '';
		if (reply.body !== undefined) {
			if (reply.raw || typeof reply.body === 'string') {
				payload = String(reply.body);
				headers['content-type'] ??= 'text/plain; charset=utf-8';
			} else {
				payload = JSON.stringify(reply.body);
				headers['content-type'] ??= 'application/json; charset=utf-8';
			}
		}
		headers['content-length'] = String(Buffer.byteLength(payload));
		res.writeHead(reply.status, headers);
		res.end(payload);
	}
}

/** Per-user item state kept by an emulator: user id -> item id -> state. */
export class StateStore {
	private readonly byUser = new Map<string, Map<string, ItemState>>();
	/** Moves on every change, so cached listings know when they are stale. */
	version = 0;

	/** `recordOf`: the record an item's state is kept in (items may share one); the item id by default. */
	constructor(private readonly recordOf: (itemId: string) => string = (itemId) => itemId) {}

	get(userId: string, itemId: string): ItemState | undefined {
		return this.byUser.get(userId)?.get(this.recordOf(itemId));
	}

	set(userId: string, itemId: string, state: ItemState): void {
		let items = this.byUser.get(userId);
		if (!items) this.byUser.set(userId, (items = new Map()));
		items.set(this.recordOf(itemId), state);
		this.version++;
	}

	clear(): void {
		this.byUser.clear();
		this.version++;
	}
}
