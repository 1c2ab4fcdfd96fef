/**
 * Paged listings converted page by page (backends/listing.ts): only the converted items and the
 * rows' ids are kept, and pages that do not add up to one listing are refused.
 */
import { convertPage, distinctIds, wholeListing } from '../../nodes/shared/backends/listing';

const rows = (ids: string[]) => ids.map((Id) => ({ Id, Name: `item ${Id}`, Big: 'x'.repeat(100) }));
const idOf = (row: unknown) => String((row as { Id: string }).Id);
const keepName = (row: unknown) => ({ name: (row as { Name: string }).Name });

describe('a paged listing', () => {
	it('keeps what the conversion made of each row, in page order, and drops rows it makes nothing of', () => {
		const pages = [convertPage(rows(['1', '2']), idOf, keepName), convertPage(rows(['3', '4']), idOf, (row) => (idOf(row) === '4' ? undefined : keepName(row)))];
		expect(wholeListing(pages, 4)).toEqual([{ name: 'item 1' }, { name: 'item 2' }, { name: 'item 3' }]);
	});

	it('is refused when the pages overlap (a row twice, another missed) or fall short of the total', () => {
		const overlapping = [convertPage(rows(['1', '2']), idOf, keepName), convertPage(rows(['2', '3']), idOf, keepName)];
		expect(wholeListing(overlapping, 4)).toBeUndefined();
		expect(distinctIds(overlapping)).toBe(3);
		expect(wholeListing([convertPage(rows(['1', '2']), idOf, keepName)], 3)).toBeUndefined();
	});
});
