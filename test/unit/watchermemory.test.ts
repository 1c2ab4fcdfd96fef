import type { IDataObject } from 'n8n-workflow';
import { REMEMBERED_EVENTS, WatcherMemory } from '../../nodes/shared/watcher/memory';

describe("a Watcher's memory in its static data", () => {
	it('keeps the latest cursor, and the newest events up to its bound, oldest dropped first', () => {
		const data: IDataObject = {};
		const memory = new WatcherMemory(data);
		expect(memory.cursor).toBeUndefined();
		memory.advance('2026-12-07T08:00:00.000Z');
		memory.advance('2026-12-07T07:00:00.000Z');
		expect(memory.cursor).toBe('2026-12-07T08:00:00.000Z');
		for (let i = 0; i < REMEMBERED_EVENTS + 10; i++) memory.remember(`u|${i}|played`, 1000 + i);
		expect(memory.emittedSince('u|0|played', 0)).toBe(false);
		expect(memory.emittedSince('u|10|played', 0)).toBe(true);
		expect(memory.emittedSince(`u|${REMEMBERED_EVENTS + 9}|played`, 1000 + REMEMBERED_EVENTS + 9)).toBe(true);
		expect(memory.emittedSince(`u|${REMEMBERED_EVENTS + 9}|played`, 1000 + REMEMBERED_EVENTS + 10)).toBe(false);
		// Re-emitting an old key moves it to the newest end.
		memory.remember('u|10|played', 5000);
		for (let i = 0; i < REMEMBERED_EVENTS - 1; i++) memory.remember(`v|${i}|played`, 6000);
		expect(memory.emittedSince('u|10|played', 5000)).toBe(true);
		// What n8n saves is plain JSON, and a new memory on it (an n8n restart) reads the same.
		const again = new WatcherMemory(JSON.parse(JSON.stringify(data)) as IDataObject);
		expect(again.cursor).toBe('2026-12-07T08:00:00.000Z');
		expect(again.emittedSince('u|10|played', 5000)).toBe(true);
		expect(Object.keys(data.emitted as object).length).toBe(REMEMBERED_EVENTS);
	});
});
