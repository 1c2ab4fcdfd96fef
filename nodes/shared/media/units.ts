/**
 * Units and time. Plex speaks milliseconds and unix seconds, Jellyfin / Emby speak .NET ticks and
 * ISO-8601 with 7 fractional digits, Tautulli sends everything as strings with `YYYY-MM-DD` dates,
 * Trakt speaks percent. Every reader here is lenient about the carrier (number or numeric string)
 * and strict about the value: anything it cannot read becomes undefined, never a guess.
 */

/** .NET TimeSpan ticks: 1 ms = 10 000 ticks. */
export const TICKS_PER_MS = 10_000;

/** A finite number from a number or a numeric string; undefined otherwise. */
export function toNumber(value: unknown): number | undefined {
	if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
	if (typeof value === 'string') {
		const s = value.trim();
		if (s === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
		const n = Number(s);
		return Number.isFinite(n) ? n : undefined;
	}
	return undefined;
}

/** A safe integer from a number or numeric string; undefined for fractions, junk or overflow. */
export function toInt(value: unknown): number | undefined {
	const n = toNumber(value);
	return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
}

/** A non-negative integer (positions, durations, indexes). */
export function toCount(value: unknown): number | undefined {
	const n = toInt(value);
	return n !== undefined && n >= 0 ? n : undefined;
}

/** true / false from booleans, `"true"`/`"false"`, `"1"`/`"0"`, 1/0; undefined otherwise. */
export function toBool(value: unknown): boolean | undefined {
	if (typeof value === 'boolean') return value;
	if (value === 1 || value === '1') return true;
	if (value === 0 || value === '0') return false;
	if (typeof value === 'string') {
		const s = value.trim().toLowerCase();
		if (s === 'true') return true;
		if (s === 'false') return false;
	}
	return undefined;
}

/** A non-empty trimmed string, or undefined. Numbers are accepted as ids often arrive as numbers. */
export function toText(value: unknown): string | undefined {
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	if (typeof value !== 'string') return undefined;
	const s = value.trim();
	return s === '' ? undefined : s;
}

export function ticksToMs(ticks: unknown): number | undefined {
	const n = toNumber(ticks);
	if (n === undefined || n < 0) return undefined;
	return Math.round(n / TICKS_PER_MS);
}

export function msToTicks(ms: number): number {
	return Math.round(ms) * TICKS_PER_MS;
}

/** Percent 0..100 with two decimals, or undefined when the duration is unknown. */
export function toPercent(positionMs: number | undefined, durationMs: number | undefined): number | undefined {
	if (positionMs === undefined || durationMs === undefined || durationMs <= 0) return undefined;
	const p = (positionMs / durationMs) * 100;
	return Math.round(Math.min(100, Math.max(0, p)) * 100) / 100;
}

export function percentToMs(percent: number, durationMs: number): number {
	return Math.round((Math.min(100, Math.max(0, percent)) / 100) * durationMs);
}

const ISO =
	/^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
/** Below this a timestamp is a placeholder (0, .NET DateTime.MinValue), not a real time. */
const EARLIEST = Date.UTC(1900, 0, 1);

/**
 * Reads a point in time and returns ISO-8601 UTC with milliseconds.
 * Accepts unix seconds (number or digits; Plex), ISO-8601 with any number of fractional digits and
 * an optional offset (Jellyfin / Emby; no offset means UTC), `YYYY-MM-DD` (Tautulli's default date
 * format; midnight UTC) and `yyyyMMddHHmmss` (Jellyfin / Emby `datePlayed`).
 */
export function parseTime(value: unknown): string | undefined {
	if (value instanceof Date) return finish(value.getTime());
	if (typeof value === 'number') return value > 0 ? finish(value * 1000) : undefined;
	if (typeof value !== 'string') return undefined;
	const s = value.trim();
	if (s === '') return undefined;
	if (/^\d{1,11}$/.test(s)) return Number(s) > 0 ? finish(Number(s) * 1000) : undefined;
	let m = COMPACT.exec(s);
	if (m) return fromParts(m[1], m[2], m[3], m[4], m[5], m[6], undefined, 'Z');
	m = DATE_ONLY.exec(s);
	if (m) return fromParts(m[1], m[2], m[3], '00', '00', '00', undefined, 'Z');
	m = ISO.exec(s);
	if (m) return fromParts(m[1], m[2], m[3], m[4], m[5], m[6] ?? '00', m[7], m[8] ?? 'Z');
	return undefined;
}

function fromParts(
	y: string,
	mo: string,
	d: string,
	h: string,
	mi: string,
	sec: string,
	fraction: string | undefined,
	zone: string,
): string | undefined {
	const year = Number(y);
	const month = Number(mo);
	const day = Number(d);
	const hour = Number(h);
	const minute = Number(mi);
	const second = Number(sec);
	// Date.UTC maps years 0-99 to 1900-1999, so placeholders like 0001-01-01 are refused first;
	// days past the month's end (Feb 30) are refused instead of rolling over.
	if (year < 1900 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) {
		return undefined;
	}
	const ms = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
	let t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
	if (zone.toUpperCase() !== 'Z') {
		const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
		if (!z) return undefined;
		const offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
		t -= z[1] === '+' ? offset : -offset;
	}
	return finish(t);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
	if (month !== 2) return MONTH_DAYS[month - 1];
	return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

function finish(t: number): string | undefined {
	if (!Number.isFinite(t) || t < EARLIEST || t > 8.64e15) return undefined;
	return t < LATEST_FAST ? isoUtc(Math.floor(t)) : new Date(t).toISOString();
}

/** 10000-01-01: from here on toISOString writes a signed six-digit year. */
const LATEST_FAST = 253402300800000;
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * The same text as `new Date(t).toISOString()` for 1900 <= year <= 9999, computed with integer
 * arithmetic (Hinnant's civil-from-days); Date's own formatter was the largest cost of webhook
 * intake. Equality with toISOString is property-tested.
 */
function isoUtc(t: number): string {
	const days = Math.floor(t / 86_400_000);
	let rest = t - days * 86_400_000;
	const ms = rest % 1000;
	rest = (rest - ms) / 1000;
	const sec = rest % 60;
	rest = (rest - sec) / 60;
	const min = rest % 60;
	const hour = (rest - min) / 60;
	const z = days + 719_468;
	const era = Math.floor(z / 146_097);
	const doe = z - era * 146_097;
	const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
	const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
	const mp = Math.floor((5 * doy + 2) / 153);
	const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
	const month = mp < 10 ? mp + 3 : mp - 9;
	const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
	// Joined, not a template: V8 keeps a template's result as a tree of its pieces (~320 bytes a
	// date instead of ~50), and a 100,000-item listing holds two dates an item.
	return [year, '-', pad2(month), '-', pad2(day), 'T', pad2(hour), ':', pad2(min), ':', pad2(sec), '.', pad3(ms), 'Z'].join('');
}

/** `yyyyMMddHHmmss` in UTC, the `datePlayed` form both Jellyfin and Emby accept. */
export function toCompactUtc(iso: string): string {
	return iso.replace(/[-:T]/g, '').slice(0, 14);
}
