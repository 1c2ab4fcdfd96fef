/** Freezes only Date (not timers or ticks, which formidable and streams need) at a known instant. */
export const RECEIVED_AT = '2026-01-02T03:04:05.000Z';

export function freezeDate(): void {
	beforeEach(() => {
		jest.useFakeTimers({
			now: new Date(RECEIVED_AT),
			doNotFake: [
				'nextTick',
				'setImmediate',
				'clearImmediate',
				'setInterval',
				'clearInterval',
				'setTimeout',
				'clearTimeout',
				'queueMicrotask',
				'hrtime',
				'performance',
			],
		});
	});
	afterEach(() => jest.useRealTimers());
}
