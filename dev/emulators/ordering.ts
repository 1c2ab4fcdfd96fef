/**
 * How Jellyfin and Emby order an Items query, ties included, so that a client paging without a
 * stable order meets the trouble it would meet on a real server.
 *
 * - Jellyfin 10.11+ (EF Core): no SortBy means `ORDER BY SortName`; a first SortName key is
 *   followed by Name (jellyfin/jellyfin v10.11.11 BaseItemRepository.ApplyOrder). Nothing
 *   breaks the remaining ties.
 * - Jellyfin 10.8–10.10 (SQLite): no SortBy means no ORDER BY at all (SqliteItemRepository
 *   GetOrderByText returns ""), i.e. storage order; SortBy keys become ORDER BY columns.
 * - Emby is closed source; it descends from the same SQLite repository, so it is played like
 *   Jellyfin 10.8.
 * SQL leaves the order of tied rows open, and SQLite's bounded sorter for `ORDER BY … LIMIT n
 * OFFSET m` may keep different tied rows for different windows: ties here are broken by a hash of
 * the row and the page window, so two pages can disagree about them exactly as they may there.
 */

export interface SortKey {
	by: string;
	descending: boolean;
}

/**
 * SortBy / SortOrder as the servers pair them: each key takes the order at its position, keys
 * beyond the given orders take the first one (Jellyfin RequestHelpers.GetOrderBy).
 */
export function requestedOrder(sortBy: string | null, sortOrder: string | null): SortKey[] {
	const keys = (sortBy ?? '').split(',').map((s) => s.trim()).filter(Boolean);
	const orders = (sortOrder ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
	return keys.map((by, i) => ({ by, descending: (orders[i] ?? orders[0] ?? 'ascending') === 'descending' }));
}

function hash(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
	return h >>> 0;
}

type SortValue = string | number | undefined;

function compareValues(a: SortValue, b: SortValue): number {
	// SQL sorts NULL before any value in ascending order.
	if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
	if (typeof a === 'number' && typeof b === 'number') return a - b;
	return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** Rows sorted by their keys, with the runs of rows the keys cannot tell apart. */
export interface Ordered<T> {
	rows: T[];
	/** Index of the first row of each run of tied rows, plus rows.length; none in storage order. */
	runs?: number[];
}

/** Sorts rows by `keys` (none: storage order, no ties), once per distinct query. */
export function orderRows<T>(rows: T[], keys: SortKey[], value: (row: T, by: string) => SortValue): Ordered<T> {
	if (keys.length === 0) return { rows };
	const decorated = rows.map((row) => ({ row, values: keys.map((k) => value(row, k.by)) }));
	const compare = (a: (typeof decorated)[number], b: (typeof decorated)[number]) => {
		for (let i = 0; i < keys.length; i++) {
			const c = compareValues(a.values[i], b.values[i]);
			if (c !== 0) return keys[i].descending ? -c : c;
		}
		return 0;
	};
	decorated.sort(compare);
	const runs = [0];
	for (let i = 1; i < decorated.length; i++) if (compare(decorated[i - 1], decorated[i]) !== 0) runs.push(i);
	runs.push(decorated.length);
	return { rows: decorated.map((d) => d.row), runs };
}

/**
 * One page of ordered rows. Within a run of tied rows the order depends on the window (start and
 * limit), so two pages may disagree about tied rows, as SQL allows.
 */
export function pageOf<T>(ordered: Ordered<T>, start: number, limit: number | undefined, idOf: (row: T) => string): T[] {
	const end = limit === undefined ? ordered.rows.length : Math.min(ordered.rows.length, start + limit);
	const runs = ordered.runs;
	if (!runs) return ordered.rows.slice(start, end);
	const out: T[] = [];
	const window = `${start}:${limit ?? ''}`;
	// The run holding `start`, found by bisection (runs is ascending).
	let lo = 0;
	let hi = runs.length - 1;
	while (lo < hi) {
		const mid = (lo + hi + 1) >> 1;
		if (runs[mid] <= start) lo = mid;
		else hi = mid - 1;
	}
	for (let r = lo; r + 1 < runs.length && runs[r] < end; r++) {
		const from = runs[r];
		const to = runs[r + 1];
		if (to <= start) continue;
		let run = ordered.rows.slice(from, to);
		if (run.length > 1) run = run.map((row) => ({ row, tie: hash(`${idOf(row)}|${window}`) })).sort((a, b) => a.tie - b.tie).map((d) => d.row);
		out.push(...run.slice(Math.max(0, start - from), Math.min(run.length, end - from)));
	}
	return out;
}

/** Jellyfin's SortName: lower case, leading articles dropped, digits padded so 2 < 10. */
export function sortNameOf(name: string): string {
	let s = name.trim().toLowerCase();
	for (const word of ['the', 'a', 'an']) if (s.startsWith(`${word} `)) s = s.slice(word.length + 1);
	return s.replace(/\d+/g, (d) => d.padStart(10, '0'));
}

/** An episode's SortName: "001 - 0001 - Name" (Episode.CreateSortName), alike across shows. */
export function episodeSortName(season: number, episode: number, name: string): string {
	return `${String(season).padStart(3, '0')} - ${String(episode).padStart(4, '0')} - ${name}`;
}
