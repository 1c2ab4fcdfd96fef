/**
 * HTTP for the backend clients, independent of n8n: a request goes through `send` (n8n's
 * authenticated request helper in the nodes, a plain client in tests), and this module adds what
 * every call needs: retries with exponential backoff and jitter on 429 / 5xx / dropped
 * connections, Retry-After, and errors that say what failed without leaking a token.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export interface HttpRequest {
	method: HttpMethod;
	/** Path relative to the server's base URL, starting with `/`. */
	path: string;
	query?: Record<string, QueryValue>;
	headers?: Record<string, string>;
	body?: unknown;
}

export interface HttpResponse {
	status: number;
	headers: Record<string, unknown>;
	body: unknown;
}

/** Sends one request. Resolves for every HTTP status; rejects only when no response came. */
export type Send = (request: HttpRequest) => Promise<HttpResponse>;

export interface RetryPolicy {
	/** Further attempts after the first. */
	retries: number;
	baseDelayMs: number;
	maxDelayMs: number;
	/** A Retry-After longer than this fails the call instead of stalling the workflow. */
	maxRetryAfterMs: number;
	sleep(ms: number): Promise<void>;
	random(): number;
}

/** A failed backend call. `status` is absent when no HTTP response arrived. */
export class BackendError extends Error {
	constructor(
		message: string,
		readonly status?: number,
		readonly code?: string,
		/** The server that failed (Plex, Jellyfin, Emby, Trakt), when known. */
		readonly server?: string,
	) {
		super(message);
		this.name = 'BackendError';
	}
}

/** The credential could not be used (e.g. its token could not be renewed): sending again will not help. */
export class CredentialError extends BackendError {}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 524]);

export function isRetryableStatus(status: number): boolean {
	return RETRYABLE_STATUS.has(status);
}

/** Retry-After as milliseconds (seconds or an HTTP date), or undefined. */
export function retryAfterMs(headers: Record<string, unknown>, now = Date.now()): number | undefined {
	const raw = headers['retry-after'] ?? headers['Retry-After'];
	const value = Array.isArray(raw) ? raw[0] : raw;
	if (typeof value === 'number') return Math.max(0, value * 1000);
	if (typeof value !== 'string' || value.trim() === '') return undefined;
	if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.max(0, Number(value) * 1000);
	const at = Date.parse(value);
	return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Full-jitter exponential backoff: a random delay up to base * 2^attempt, capped. */
export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
	const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
	return Math.round(ceiling / 2 + (policy.random() * ceiling) / 2);
}

/** Removes credentials from text that may echo a URL or header (error messages, bodies). */
export function redact(text: string): string {
	return text
		.replace(/(Token=")[^"]*(")/gi, '$1***$2')
		.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 ***')
		.replace(/((?:x-plex-token|x-emby-token|x-mediabrowser-token|trakt-api-key|x-apikey)["']?\s*[:=]\s*["']?)[^"',\s}&]+/gi, '$1***')
		.replace(/([?&](?:x-plex-token|api_?key|apikey|access_token|refresh_token|token)=)[^&\s"']+/gi, '$1***');
}

/**
 * Which failures a request may be sent again after. Every retryable status and a dropped
 * connection by default; a write the server does not de-duplicate (Trakt's history) is sent
 * again only after an answer that says nothing was applied (429).
 */
export type RetryWhen = 'any-failure' | 'not-applied';

/** Sends with retries. Returns the final response (any status that is not retried). */
export async function sendWithRetry(send: Send, request: HttpRequest, policy: RetryPolicy, when: RetryWhen = 'any-failure'): Promise<HttpResponse> {
	for (let attempt = 0; ; attempt++) {
		let response: HttpResponse | undefined;
		let failure: Error | undefined;
		try {
			response = await send(request);
		} catch (error) {
			failure = error as Error;
		}
		if (response && !isRetryableStatus(response.status)) return response;
		const retryable = when === 'any-failure' || response?.status === 429;
		const what = `${request.method} ${request.path}`;
		if (failure instanceof CredentialError) throw new CredentialError(`${what} failed: ${failure.message}`);
		if (attempt >= policy.retries || !retryable) {
			if (response) throw new BackendError(`${what} failed: HTTP ${response.status}${serverMessage(response.body)}`, response.status);
			throw new BackendError(`${what} failed: ${redact(failure?.message ?? 'no response')}`, undefined, errorCode(failure), (failure as BackendError | undefined)?.server);
		}
		let delay = backoffMs(attempt, policy);
		const asked = response ? retryAfterMs(response.headers) : undefined;
		if (asked !== undefined) {
			if (asked > policy.maxRetryAfterMs) {
				throw new BackendError(`${what} failed: HTTP ${response!.status}, server asks to retry after ${Math.ceil(asked / 1000)} s`, response!.status);
			}
			delay = Math.max(asked, Math.min(delay, asked + policy.baseDelayMs));
		}
		await policy.sleep(delay);
	}
}

function errorCode(error: Error | undefined): string | undefined {
	const code = (error as { code?: unknown } | undefined)?.code;
	return typeof code === 'string' ? code : undefined;
}

/** A short, redacted excerpt of what the server said, for error messages. */
export function serverMessage(body: unknown): string {
	let text: string | undefined;
	if (typeof body === 'string') text = body.replace(/<[^>]*>/g, ' ');
	else if (body && typeof body === 'object') {
		const b = body as Record<string, unknown>;
		const m = b.message ?? b.Message ?? b.error ?? b.error_description ?? b.title;
		text = typeof m === 'string' ? m : JSON.stringify(body);
	}
	if (!text) return '';
	text = redact(text.replace(/\s+/g, ' ').trim()).slice(0, 200);
	return text ? `: ${text}` : '';
}

/** Returns the body of a 2xx response; throws a BackendError that names the call otherwise. */
export function expectOk(response: HttpResponse, what: string): unknown {
	if (response.status >= 200 && response.status < 300) return response.body;
	if (response.status === 401) {
		throw new BackendError(`${what}: the server refused the credential (HTTP 401); check the token`, 401);
	}
	if (response.status === 403) throw new BackendError(`${what}: not allowed for this user (HTTP 403)${serverMessage(response.body)}`, 403);
	if (response.status === 404) throw new BackendError(`${what}: not found (HTTP 404)`, 404);
	throw new BackendError(`${what} failed: HTTP ${response.status}${serverMessage(response.body)}`, response.status);
}

/** A call that wants JSON: Accept header, retries, and the body of a 2xx or a BackendError. */
export async function requestJson(send: Send, retry: RetryPolicy, what: string, request: HttpRequest): Promise<unknown> {
	const response = await sendWithRetry(send, { ...request, headers: { Accept: 'application/json', ...request.headers } }, retry);
	return expectOk(response, what);
}

/** Runs `worker` over `inputs` with at most `limit` in flight; results keep input order. */
export async function mapLimit<T, R>(inputs: T[], limit: number, worker: (input: T, index: number) => Promise<R>): Promise<R[]> {
	const results = new Array<R>(inputs.length);
	let next = 0;
	let failed = false;
	const lanes = Array.from({ length: Math.max(1, Math.min(limit, inputs.length)) }, async () => {
		while (next < inputs.length && !failed) {
			const index = next++;
			results[index] = await worker(inputs[index], index).catch((error: unknown) => {
				// Stop the other lanes from starting new work; the first failure is reported.
				failed = true;
				throw error;
			});
		}
	});
	await Promise.all(lanes);
	return results;
}
