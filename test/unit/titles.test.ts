import { searchTerms, titleCore } from '../../nodes/shared/media/titles';

describe('titles as search terms', () => {
	it.each([
		['The Matrix', 'matrix'],
		['Matrix, The', 'matrix'],
		['Amélie', 'amelie'],
		['Heat (1995)', 'heat'],
		['Night Train: The Return', 'night train the return'],
		["The Canyon's Kingdom 27", "canyon's kingdom 27"],
		['Der Untergang', 'untergang'],
	])('core of %j is %j', (title, core) => {
		expect(titleCore(title)).toBe(core);
	});

	it('offers the title as sent, its core, then its longest uncommon word', () => {
		expect(searchTerms('The Lord of the Rings: The Return of the King')).toEqual(['The Lord of the Rings: The Return of the King', 'lord of the rings the return of the king', 'return']);
		expect(searchTerms('Heat (1995)')).toEqual(['Heat']);
		expect(searchTerms('Silent Witness, The')).toEqual(['Silent Witness', 'witness']);
		expect(searchTerms("The Canyon's Kingdom 27")).toEqual(["The Canyon's Kingdom 27", "canyon's kingdom 27", 'kingdom']);
	});

	it('with two terms leaves the core out (the longest word finds what it would)', () => {
		expect(searchTerms('Night Train: The Return', 2)).toEqual(['Night Train: The Return', 'return']);
		expect(searchTerms('Up', 2)).toEqual(['Up']);
		expect(searchTerms(undefined)).toEqual([]);
		expect(searchTerms('')).toEqual([]);
	});
});

describe('titles of any length', () => {
	it('a title of 300,000 spaces is read in linear time (the year suffix was once quadratic: 300,000 spaces took 42 s)', () => {
		const long = `x${' '.repeat(300_000)}y (1999)`;
		const started = performance.now();
		expect(titleCore(long)).toBe('x y');
		expect(searchTerms(`${' '.repeat(300_000)}(1999)`)).toEqual([]);
		// A bound a thousand times what a linear read takes (milliseconds) and far below the
		// quadratic one: no load on the machine makes the one look like the other.
		expect(performance.now() - started).toBeLessThan(10_000);
	});
});
