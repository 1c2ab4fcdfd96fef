/**
 * The part of n8n's public API that Redeliver Failed Runs uses, as n8n 2.41.1 answers it
 * (public-api/v1/controllers/executions.public.controller.js, executions/execution.service.js):
 * GET /api/v1/executions (filters status, workflowId, startedAfter; limit and nextCursor), GET
 * /api/v1/executions/{id} (includeData gives the run data, else none; 404 for a run not kept),
 * POST /api/v1/executions/{id}/retry (409 for a run with no node stack, as
 * AbortedExecutionRetryError; 409 for a finished one). The API key must match (401 otherwise).
 */
import { timingSafeEqual } from 'node:crypto';
import { http, type net } from '../../dev/lib/builtins';

export interface FakeExecution {
	id: string;
	workflowId: string;
	mode: string;
	status: string;
	/** When n8n took the event in (the public API gives it for one execution, not in the list). */
	createdAt?: string;
	/** null: queued, never started (n8n's list filter startedAfter then never matches it). */
	startedAt: string | null;
	stoppedAt: string | null;
	retryOf: string | null;
	retrySuccessId: string | null;
	/** IRunExecutionData as n8n keeps it. */
	data: { resultData: { runData: Record<string, unknown>; error?: unknown }; executionData?: { nodeExecutionStack: unknown[] } };
}

export class FakeN8nApi {
	readonly executions = new Map<string, FakeExecution>();
	readonly retried: string[] = [];
	/** Requests answered (any route). */
	requests = 0;
	/** How a retry ends (default: it succeeds). */
	retryStatus = 'success';
	private server?: http.Server;
	private nextId = 1000;
	url = '';

	constructor(private readonly apiKey: string) {}

	add(execution: Partial<FakeExecution> & { id: string }): FakeExecution {
		const full: FakeExecution = { workflowId: 'wf', mode: 'webhook', status: 'error', startedAt: new Date().toISOString(), stoppedAt: new Date().toISOString(), retryOf: null, retrySuccessId: null, data: { resultData: { runData: {} } }, ...execution };
		this.executions.set(full.id, full);
		return full;
	}

	async start(): Promise<void> {
		this.server = http.createServer((req, res) => void this.handle(req, res));
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
	}

	async stop(): Promise<void> {
		await new Promise<void>((resolve) => this.server?.close(() => resolve()));
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		for await (const chunk of req) void chunk;
		this.requests++;
		const send = (status: number, body: unknown) => {
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(body));
		};
		const key = Buffer.from(String(req.headers['x-n8n-api-key'] ?? ''));
		const want = Buffer.from(this.apiKey);
		if (key.length !== want.length || !timingSafeEqual(key, want)) return send(401, { message: 'unauthorized' });
		const url = new URL(req.url ?? '/', 'http://n8n');
		const one = /^\/api\/v1\/executions\/([^/]+)$/.exec(url.pathname);
		const retry = /^\/api\/v1\/executions\/([^/]+)\/retry$/.exec(url.pathname);
		if (req.method === 'GET' && url.pathname === '/api/v1/executions') return send(200, this.list(url.searchParams));
		if (req.method === 'GET' && one) {
			const e = this.executions.get(decodeURIComponent(one[1]));
			if (!e) return send(404, { message: 'Not Found' });
			const { data, ...rest } = e;
			rest.createdAt ??= e.startedAt ?? undefined;
			return send(200, url.searchParams.get('includeData') === 'true' ? { ...rest, data } : rest);
		}
		if (req.method === 'POST' && retry) {
			const e = this.executions.get(decodeURIComponent(retry[1]));
			if (!e) return send(404, { message: 'Not Found' });
			if (e.status === 'success') return send(409, { message: 'The execution succeeded, so it cannot be retried.' });
			if (!e.data.executionData) return send(409, { message: 'The execution was aborted before starting, so it cannot be retried' });
			const id = String(this.nextId++);
			const now = new Date().toISOString();
			this.add({ id, workflowId: e.workflowId, mode: 'retry', status: this.retryStatus, startedAt: now, stoppedAt: now, retryOf: e.id });
			if (this.retryStatus === 'success') e.retrySuccessId = id;
			this.retried.push(e.id);
			return send(200, { id, retryOf: e.id, status: this.retryStatus, mode: 'retry' });
		}
		send(404, { message: 'Not Found' });
	}

	private list(q: URLSearchParams): { data: unknown[]; nextCursor: string | null } {
		const since = q.get('startedAfter');
		const rows = [...this.executions.values()]
			.filter((e) => (!q.get('status') || e.status === q.get('status')) && (!q.get('workflowId') || e.workflowId === q.get('workflowId')) && (!since || (e.startedAt !== null && e.startedAt >= since)))
			.sort((a, b) => Number(b.id) - Number(a.id));
		const limit = Number(q.get('limit') ?? 100);
		const start = Number(q.get('cursor') ?? 0);
		const page = rows.slice(start, start + limit).map((e) => omitRunData(e));
		return { data: page, nextCursor: start + limit < rows.length ? String(start + limit) : null };
	}
}

/** A listing row: n8n lists executions without their run data (and the fake's createdAt). */
function omitRunData(e: FakeExecution): Omit<FakeExecution, 'data' | 'createdAt'> {
	const row: Partial<FakeExecution> = { ...e };
	delete row.data;
	delete row.createdAt;
	return row as Omit<FakeExecution, 'data' | 'createdAt'>;
}
