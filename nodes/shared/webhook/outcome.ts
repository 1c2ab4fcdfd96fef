import type { WatchEvent } from '../model';

/**
 * What a payload parser decides. Parsers are pure: payload in, outcome out.
 * - event: one normalized WatchEvent, the workflow runs.
 * - ignored: a well-formed payload we do not sync (music, admin events, filtered out): HTTP 200 so
 *   the server does not retry, and no execution.
 * - invalid: malformed or foreign input: HTTP 4xx and no execution.
 */
export type Invalid = { kind: 'invalid'; status: number; reason: string };
export type ParseOutcome = { kind: 'event'; event: WatchEvent } | { kind: 'ignored'; reason: string } | Invalid;

export const ignored = (reason: string): ParseOutcome => ({ kind: 'ignored', reason });
export const invalid = (reason: string, status = 400): Invalid => ({ kind: 'invalid', status, reason });

/** Thrown inside parsers by the strict field readers; turned into an `invalid` outcome. */
export class PayloadError extends Error {
	constructor(
		message: string,
		readonly status = 400,
	) {
		super(message);
		this.name = 'PayloadError';
	}
}

/**
 * For a parser's catch block: bad input (PayloadError) becomes an `invalid` outcome naming where it
 * was found; anything else is a bug and keeps propagating to the trigger's 500 handler.
 */
export function invalidFrom(error: unknown, where: string): Invalid {
	if (error instanceof PayloadError) return invalid(`${error.message} (${where})`, error.status);
	throw error;
}
