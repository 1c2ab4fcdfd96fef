import fc from 'fast-check';
import {
	msToTicks,
	parseTime,
	percentToMs,
	ticksToMs,
	toBool,
	toCompactUtc,
	toCount,
	toInt,
	toPercent,
} from '../../nodes/shared/media/units';

describe('ticks, ms and percent', () => {
	it('converts .NET ticks to ms and back (1 ms = 10 000 ticks)', () => {
		expect(ticksToMs(91_200_000_000)).toBe(9_120_000);
		expect(ticksToMs('34800000000')).toBe(3_480_000);
		expect(ticksToMs(27_074_985_984)).toBe(2_707_499);
		expect(msToTicks(9_120_000)).toBe(91_200_000_000);
		expect(ticksToMs(-1)).toBeUndefined();
		expect(ticksToMs('12abc')).toBeUndefined();
		expect(ticksToMs(null)).toBeUndefined();
	});
	it('computes percent with two decimals, clamped, only when the duration is known', () => {
		expect(toPercent(5_421_000, 9_120_000)).toBe(59.44);
		expect(toPercent(10, 0)).toBeUndefined();
		expect(toPercent(undefined, 100)).toBeUndefined();
		expect(toPercent(200, 100)).toBe(100);
		expect(percentToMs(50, 3_480_000)).toBe(1_740_000);
		expect(percentToMs(150, 1000)).toBe(1000);
	});
});

describe('lenient carriers, strict values', () => {
	it('reads numbers from numbers and numeric strings only', () => {
		expect(toInt('42')).toBe(42);
		expect(toInt(' 7 ')).toBe(7);
		expect(toInt('')).toBeUndefined();
		expect(toInt('4.5')).toBeUndefined();
		expect(toInt('0x10')).toBeUndefined();
		expect(toInt('1e400')).toBeUndefined();
		expect(toInt([1])).toBeUndefined();
		expect(toCount(-3)).toBeUndefined();
		expect(toCount('3')).toBe(3);
	});
	it('reads booleans the way servers send them', () => {
		expect([true, 'true', 'True', '1', 1].map(toBool)).toEqual([true, true, true, true, true]);
		expect([false, 'false', '0', 0].map(toBool)).toEqual([false, false, false, false]);
		expect(['yes', '', null, undefined, 2].map(toBool)).toEqual([undefined, undefined, undefined, undefined, undefined]);
	});
});

describe('parseTime', () => {
	it.each([
		[1694320444, '2023-09-10T04:34:04.000Z'],
		['1694320444', '2023-09-10T04:34:04.000Z'],
		['2025-06-01T19:47:12.3644778Z', '2025-06-01T19:47:12.364Z'],
		['2025-06-01T21:47:12.3644758+02:00', '2025-06-01T19:47:12.364Z'],
		['2023-09-10T08:35:25.3996506+00:00', '2023-09-10T08:35:25.399Z'],
		['2025-06-02T10:05:31.769802+0200', '2025-06-02T08:05:31.769Z'],
		['2025-06-01T19:47:12', '2025-06-01T19:47:12.000Z'],
		['2025-05-30', '2025-05-30T00:00:00.000Z'],
		['20250601194712', '2025-06-01T19:47:12.000Z'],
		['2024-02-29', '2024-02-29T00:00:00.000Z'],
	])('%s -> %s', (input, expected) => {
		expect(parseTime(input)).toBe(expected);
	});

	it.each([[0], ['0'], [''], ['0001-01-01T00:00:00.0000000Z'], ['2023-02-30'], ['2025-13-01'], ['yesterday'], [null], [{}], [-5], [NaN]])(
		'%p is unknown, not a time',
		(input) => {
			expect(parseTime(input)).toBeUndefined();
		},
	);

	it('writes the compact UTC form Jellyfin and Emby accept for datePlayed', () => {
		expect(toCompactUtc('2025-06-01T19:47:12.364Z')).toBe('20250601194712');
	});
});

describe('ISO formatting of parsed times', () => {
	it('writes exactly what Date#toISOString writes, from 1900 to beyond 9999', () => {
		const min = Date.UTC(1900, 0, 1);
		fc.assert(
			fc.property(fc.oneof(fc.integer({ min, max: 253402300799999 }), fc.double({ min, max: 8.64e15, noNaN: true }), fc.integer({ min, max: 4102444800000 })), (t) => {
				expect(parseTime(new Date(t))).toBe(new Date(t).toISOString());
				// Unix seconds (Plex), fractional ones included.
				if (t >= 1000) expect(parseTime(t / 1000)).toBe(new Date((t / 1000) * 1000).toISOString());
			}),
			{ numRuns: 5000 },
		);
		// Edges: leap days, year and century turns, the last millisecond of 9999 and the first after.
		for (const iso of ['2000-02-29T23:59:59.999Z', '1900-03-01T00:00:00.000Z', '2100-02-28T12:00:00.001Z', '9999-12-31T23:59:59.999Z', '+010000-01-01T00:00:00.000Z']) {
			expect(parseTime(new Date(iso))).toBe(iso);
		}
	});
});
