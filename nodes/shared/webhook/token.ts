import { createHash, timingSafeEqual } from 'crypto';

/**
 * Constant-time token comparison. Both sides are hashed first so the comparison takes the same time
 * whatever the lengths, and timingSafeEqual never sees buffers of different sizes.
 */
export function tokensMatch(expected: string, given: string | undefined): boolean {
	if (!expected || given === undefined) return false;
	const a = createHash('sha256').update(expected, 'utf8').digest();
	const b = createHash('sha256').update(given, 'utf8').digest();
	return timingSafeEqual(a, b);
}

/**
 * The token sent with a request: `?apikey=` or the `X-apikey` header (servers that cannot set
 * headers, like Plex, can only use the query). A repeated or non-string value counts as missing.
 */
export function presentedToken(headers: Record<string, unknown>, query: Record<string, unknown>): string | undefined {
	const fromHeader = headers['x-apikey'];
	if (typeof fromHeader === 'string' && fromHeader !== '') return fromHeader;
	const fromQuery = query.apikey;
	if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery;
	return undefined;
}
