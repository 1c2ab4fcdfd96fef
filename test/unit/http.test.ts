import { backoffMs, BackendError, expectOk, mapLimit, redact, retryAfterMs, sendWithRetry, type HttpResponse, type RetryPolicy } from '../../nodes/shared/transport/http';

function policy(retries = 3): RetryPolicy & { slept: number[] } {
	const slept: number[] = [];
	return { retries, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 10_000, sleep: async (ms) => void slept.push(ms), random: () => 0.5, slept };
}
const reply = (status: number, headers: Record<string, unknown> = {}, body: unknown = ''): HttpResponse => ({ status, headers, body });

describe('sendWithRetry', () => {
	it('retries 429 / 5xx / network failures and returns the first final answer', async () => {
		const answers: Array<HttpResponse | Error> = [reply(503), Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), reply(429, { 'retry-after': '2' }), reply(200, {}, 'ok')];
		const p = policy();
		const res = await sendWithRetry(async () => {
			const a = answers.shift()!;
			if (a instanceof Error) throw a;
			return a;
		}, { method: 'GET', path: '/x' }, p);
		expect(res.body).toBe('ok');
		// jittered backoff (random 0.5 -> 3/4 of the ceiling), then Retry-After 2 s
		expect(p.slept).toEqual([75, 150, 2000]);
	});

	it('does not retry 4xx answers that retrying cannot fix', async () => {
		let calls = 0;
		const res = await sendWithRetry(async () => (calls++, reply(404)), { method: 'GET', path: '/x' }, policy());
		expect([res.status, calls]).toEqual([404, 1]);
	});

	it('fails with the last status, or the network error without secrets', async () => {
		await expect(sendWithRetry(async () => reply(502, {}, { message: 'bad gateway' }), { method: 'PUT', path: '/:/scrobble' }, policy(1))).rejects.toThrow(
			'PUT /:/scrobble failed: HTTP 502: bad gateway',
		);
		const error = await sendWithRetry(async () => {
			throw Object.assign(new Error('connect ECONNREFUSED http://h/x?X-Plex-Token=abc123'), { code: 'ECONNREFUSED' });
		}, { method: 'GET', path: '/x' }, policy(0)).then(
			() => undefined,
			(e: BackendError) => e,
		);
		if (!error) throw new Error('expected a failure');
		expect(error).toBeInstanceOf(BackendError);
		expect(error.message).toBe('GET /x failed: connect ECONNREFUSED http://h/x?X-Plex-Token=***');
		expect(error.code).toBe('ECONNREFUSED');
	});

	it('refuses to wait for an unreasonable Retry-After', async () => {
		await expect(sendWithRetry(async () => reply(429, { 'retry-after': '3600' }), { method: 'POST', path: '/sync' }, policy())).rejects.toThrow(
			'POST /sync failed: HTTP 429, server asks to retry after 3600 s',
		);
	});
});

describe('helpers', () => {
	it('reads Retry-After as seconds or an HTTP date', () => {
		expect(retryAfterMs({ 'retry-after': '1.5' })).toBe(1500);
		expect(retryAfterMs({ 'retry-after': 'Wed, 21 Oct 2015 07:28:10 GMT' }, Date.UTC(2015, 9, 21, 7, 28, 0))).toBe(10_000);
		expect(retryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
		expect(retryAfterMs({})).toBeUndefined();
	});
	it('caps the backoff', () => {
		expect(backoffMs(10, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 })).toBe(1000);
		expect(backoffMs(0, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 })).toBe(50);
	});
	it('redacts tokens in URLs, headers and bearer strings', () => {
		expect(redact('GET /a?apikey=s3cr3t&b=1')).toBe('GET /a?apikey=***&b=1');
		expect(redact('X-Emby-Token: abc, other')).toBe('X-Emby-Token: ***, other');
		expect(redact('MediaBrowser Token="abc", Client="x"')).toBe('MediaBrowser Token="***", Client="x"');
		expect(redact('Authorization: Bearer eyJhbGciOi.x.y')).not.toContain('eyJ');
	});
	it('names the failed call and the server message', () => {
		expect(() => expectOk(reply(401), 'list libraries')).toThrow('list libraries: the server refused the credential (HTTP 401); check the token');
		expect(() => expectOk(reply(500, {}, '<html><body>Oops</body></html>'), 'x')).toThrow('x failed: HTTP 500: Oops');
		expect(expectOk(reply(204, {}, ''), 'x')).toBe('');
	});
	it('maps with a concurrency limit, in order, and stops on the first failure', async () => {
		let active = 0;
		let peak = 0;
		const out = await mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
			active++;
			peak = Math.max(peak, active);
			await Promise.resolve();
			active--;
			return n * 10;
		});
		expect(out).toEqual([10, 20, 30, 40, 50, 60]);
		expect(peak).toBe(2);
		const started: number[] = [];
		await expect(
			mapLimit([1, 2, 3, 4, 5], 1, async (n) => {
				started.push(n);
				if (n === 2) throw new Error('boom');
				return n;
			}),
		).rejects.toThrow('boom');
		expect(started).toEqual([1, 2]);
	});
});
