/**
 * A paged library listing converted page by page: each page's raw rows become what the caller
 * keeps (WatchItems, or their slim form) as the page arrives, and only the rows' ids are kept
 * besides, so a 100,000-item listing is never held as raw server JSON. The rule every paged read
 * follows is checked here once: each id must come back exactly once, or the pages do not add up
 * to one listing (the library changed between two pages, or the server's order had ties).
 */

/** One page as it arrived: what its rows became, and every row's id (kept or not). */
export interface ConvertedPage<T> {
	items: T[];
	ids: string[];
}

export function convertPage<T>(rows: unknown[], idOf: (row: unknown) => string, convert: (row: unknown) => T | undefined): ConvertedPage<T> {
	const items: T[] = [];
	const ids: string[] = [];
	for (const row of rows) {
		ids.push(idOf(row));
		const item = convert(row);
		if (item !== undefined) items.push(item);
	}
	return { items, ids };
}

/** The pages' items in page order when they hold `total` rows with `total` different ids, else undefined. */
export function wholeListing<T>(pages: Array<ConvertedPage<T>>, total: number): T[] | undefined {
	return countRows(pages) === total && distinctIds(pages) === total ? pages.flatMap((p) => p.items) : undefined;
}

function countRows(pages: Array<ConvertedPage<unknown>>): number {
	return pages.reduce((n, p) => n + p.ids.length, 0);
}

/** How many different ids the pages hold (a stable read has exactly the total). */
export function distinctIds(pages: Array<ConvertedPage<unknown>>): number {
	const seen = new Set<string>();
	for (const page of pages) for (const id of page.ids) seen.add(id);
	return seen.size;
}
