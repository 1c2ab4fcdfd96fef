import { rejectReason, splitList } from '../../nodes/shared/webhook/filters';
import { MAX_PAYLOAD_BYTES, parseJsonText, readPayload } from '../../nodes/shared/webhook/payload';
import { PayloadError } from '../../nodes/shared/webhook/outcome';
import { webhookTokenStrength } from '../../nodes/shared/webhook/properties';
import { presentedToken, tokensMatch } from '../../nodes/shared/webhook/token';
import type { ICredentialTestFunctions } from 'n8n-workflow';
import type { WatchEvent } from '../../nodes/shared/model';
import { timingSafeEqual } from 'crypto';

// Pass-through spy: the token module must decide with timingSafeEqual.
jest.mock('crypto', () => {
	const actual = jest.requireActual<typeof import('crypto')>('crypto');
	return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

describe('token', () => {
	it('matches only the exact token', () => {
		expect(tokensMatch('s3cret', 's3cret')).toBe(true);
		expect(tokensMatch('s3cret', 's3cre')).toBe(false);
		expect(tokensMatch('s3cret', 's3cret ')).toBe(false);
		expect(tokensMatch('s3cret', undefined)).toBe(false);
		expect(tokensMatch('', '')).toBe(false);
	});
	it('decides every comparison with timingSafeEqual on equal-size digests, whatever the lengths', () => {
		const spy = jest.mocked(timingSafeEqual);
		spy.mockClear();
		const expected = 'dummy-token-' + 'x'.repeat(52);
		const guesses = ['', 'd', expected.slice(0, -1), expected + 'y', 'z'.repeat(10_000), expected];
		const results = guesses.map((g) => tokensMatch(expected, g));
		expect(results).toEqual([false, false, false, false, false, true]);
		expect(spy).toHaveBeenCalledTimes(guesses.length);
		for (const [a, b] of spy.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
	});
	it('reads the header first, then the query, and ignores repeated values', () => {
		expect(presentedToken({ 'x-apikey': 'h' }, { apikey: 'q' })).toBe('h');
		expect(presentedToken({}, { apikey: 'q' })).toBe('q');
		expect(presentedToken({}, { apikey: ['a', 'b'] })).toBeUndefined();
		expect(presentedToken({ 'x-apikey': ['a'] }, {})).toBeUndefined();
	});
});

describe('webhook credential test', () => {
	const check = async (token: unknown) => (await webhookTokenStrength.call({} as ICredentialTestFunctions, { id: '1', name: 't', type: 'watchStateWebhookApi', data: { token } as never })).status;
	it.each([
		['a long random token', 'dummy-9f2c4e1a7b3d5c8e0f6a', 'OK'],
		['no token', undefined, 'Error'],
		['a short one', 'dummy-short', 'Error'],
		['a long but repetitive one', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'Error'],
		['one with spaces', 'dummy correct horse battery staple', 'Error'],
	])('%s: %s', async (_label, token, status) => {
		expect(await check(token)).toBe(status);
	});
});

describe('readPayload', () => {
	const req = (body: unknown, contentType?: string, rawBody?: Buffer) => ({
		contentType,
		body,
		rawBody,
		readFile: async () => Buffer.from('{"from":"file"}'),
	});

	it('takes objects, JSON text, form fields, raw bytes and file parts', async () => {
		expect((await readPayload(req({ a: 1 }, 'application/json'))).payload).toEqual({ a: 1 });
		expect((await readPayload(req('{"a":1}', 'text/plain'))).payload).toEqual({ a: 1 });
		expect((await readPayload(req('\uFEFF{"a":1}', 'text/plain'))).payload).toEqual({ a: 1 });
		expect((await readPayload(req({ data: '{"a":1}' }, 'application/x-www-form-urlencoded'), 'data')).payload).toEqual({ a: 1 });
		expect((await readPayload(req({}, 'application/octet-stream', Buffer.from('{"a":2}')))).payload).toEqual({ a: 2 });
		const multipartFile = req({ data: {}, files: { payload: { filepath: '/tmp/x', size: 10 } } }, 'multipart/form-data');
		expect((await readPayload(multipartFile, 'payload')).payload).toEqual({ from: 'file' });
	});

	it('returns the other multipart files (Plex thumb) but not the payload part', async () => {
		const thumb = { filepath: '/tmp/t', mimetype: 'image/jpeg' };
		const r = await readPayload(req({ data: { payload: '{}' }, files: { thumb } }, 'multipart/form-data'), 'payload');
		expect(r.files).toEqual({ thumb });
	});

	it.each([
		[req('', 'text/plain'), 400, 'request body is empty'],
		[req({}, 'application/json'), 400, 'request body is empty'],
		[req('{"a":', 'text/plain'), 400, /^body is not valid JSON/],
		[req('x'.repeat(MAX_PAYLOAD_BYTES + 1), 'text/plain'), 413, 'payload is larger than 1 MiB'],
		[req({ data: {}, files: {} }, 'multipart/form-data'), 400, 'multipart request has no `payload` part'],
		[req({ data: { payload: ['{}', '{}'] }, files: {} }, 'multipart/form-data'), 400, 'more than one `payload` part'],
		[req({ data: {}, files: { payload: { filepath: '/x', size: MAX_PAYLOAD_BYTES + 1 } } }, 'multipart/form-data'), 413, '`payload` part is larger than 1 MiB'],
	])('rejects bad bodies with a PayloadError (%#)', async (request, status, message) => {
		const error = await readPayload(request, 'payload').then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(PayloadError);
		expect((error as PayloadError).status).toBe(status);
		expect((error as PayloadError).message).toMatch(message);
	});

	it('refuses multipart where the trigger expects a plain body', async () => {
		await expect(readPayload(req({ data: {}, files: {} }, 'multipart/form-data'))).rejects.toMatchObject({ status: 415 });
	});

	it('keeps JSON parse error messages short', () => {
		expect(() => parseJsonText('{' + '"a":1,'.repeat(100_000))).toThrow(/^body is not valid JSON \(.{1,120}\)$/);
	});
});

describe('event filters', () => {
	const event = { userId: 'abc-DEF', userName: 'Alice', serverId: 'S1', event: 'stop' } as WatchEvent;
	it('splits lists', () => expect(splitList(' a, ,b ,')).toEqual(['a', 'b']));
	it('passes with no filters and with matching ones', () => {
		expect(rejectReason(event, {})).toBeUndefined();
		expect(rejectReason(event, { users: 'abcdef', servers: 's1', events: ['stop'] })).toBeUndefined();
		expect(rejectReason(event, { users: 'alice' })).toBeUndefined();
	});
	it('gives the reason for each mismatch', () => {
		expect(rejectReason(event, { users: 'bob' })).toBe('user is not one the trigger accepts');
		expect(rejectReason(event, { servers: 'S2' })).toBe('server is not one the trigger accepts');
		expect(rejectReason({ ...event, serverId: undefined }, { servers: 'S1' })).toBe(
			'event names no server and the trigger only accepts listed servers',
		);
		expect(rejectReason(event, { events: ['play'] })).toBe('event "stop" is not selected in the trigger\'s event filter');
	});
});
