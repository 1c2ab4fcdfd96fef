/**
 * The media a set of emulated servers share: movies and shows with episodes, with realistic
 * external ids (some missing, as on real servers), generated deterministically from a seed so
 * tests and benchmarks can rebuild the same library at any size.
 */
import type { Guids } from '../../nodes/shared/model';

export interface SeedMovie {
	kind: 'movie';
	/** Position in the library; the emulators derive their own ids from it. */
	n: number;
	title: string;
	year: number;
	guids: Guids;
	durationMs: number;
	/** ms since epoch */
	addedAt: number;
	/** When the server last saved the item's metadata (ms): user data never moves it. */
	savedAt: number;
	/** The media file, unique per item as on disk. */
	path: string;
}

export interface SeedShow {
	n: number;
	title: string;
	year: number;
	guids: Guids;
}

export interface SeedEpisode {
	kind: 'episode';
	n: number;
	show: SeedShow;
	season: number;
	episode: number;
	title: string;
	guids: Guids;
	durationMs: number;
	addedAt: number;
	savedAt: number;
	path: string;
}

export type SeedItem = SeedMovie | SeedEpisode;

/** A show's folder on disk (Plex's Location of the show, Jellyfin's and Emby's series Path). */
export function showFolder(show: SeedShow): string {
	return `/media/tv/${show.title} (${show.year})`;
}

export interface SeedLibrary {
	movies: SeedMovie[];
	shows: SeedShow[];
	episodes: SeedEpisode[];
}

export interface SeedOptions {
	movies: number;
	shows: number;
	seasonsPerShow?: number;
	episodesPerSeason?: number;
	seed?: number;
	/** "Movie 12" / "Show 3" (readable in tests), or titles made of words, as real libraries have. */
	titles?: 'numbered' | 'realistic';
	/** Films (by number) that have a second copy, as a 4K library beside the HD one has: same ids, another file. */
	copies?: number[];
}

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const BASE_ADDED = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Ids follow simple, recognizable patterns so a failing test can be read: movie n has imdb
 * tt1<n padded to 6>, tmdb 100000+n; episode ids live in other ranges. One item in 13 lacks its
 * imdb id, one in 29 has no ids at all (only title/year), like unmatched items on real servers.
 */
export function seedLibrary(options: SeedOptions): SeedLibrary {
	const random = prng(options.seed ?? 1);
	const seasons = options.seasonsPerShow ?? 2;
	const perSeason = options.episodesPerSeason ?? 10;
	const movieTitle = (n: number) => (options.titles === 'realistic' ? realisticTitle(n, 'movie') : `Movie ${n}`);
	const showTitle = (n: number) => (options.titles === 'realistic' ? realisticTitle(n, 'show') : `Show ${n}`);
	const movies: SeedMovie[] = [];
	for (let n = 1; n <= options.movies; n++) {
		const noIds = n % 29 === 0;
		const guids: Guids = noIds ? {} : { tmdb: String(100000 + n), tvdb: n % 5 === 0 ? String(700000 + n) : undefined };
		if (!noIds && n % 13 !== 0) guids.imdb = `tt1${String(n).padStart(6, '0')}`;
		if (guids.tvdb === undefined) delete guids.tvdb;
		const title = movieTitle(n);
		const year = 1970 + (n % 55);
		movies.push({
			kind: 'movie',
			n,
			title,
			year,
			guids: ordered(guids),
			durationMs: (80 + Math.floor(random() * 80)) * 60_000,
			addedAt: BASE_ADDED + n * 60_000,
			savedAt: BASE_ADDED + n * 60_000 + HOUR,
			path: `/media/movies/${title} (${year})/${title} (${year}).mkv`,
		});
	}
	for (const n of options.copies ?? []) {
		const original = movies[n - 1];
		if (!original) continue;
		const copy = movies.length + 1;
		movies.push({ ...original, n: copy, addedAt: BASE_ADDED + copy * 60_000, savedAt: BASE_ADDED + copy * 60_000 + HOUR, path: original.path.replace(/\.mkv$/, ' - 2160p.mkv').replace('/media/movies/', '/media/movies-4k/') });
	}
	const shows: SeedShow[] = [];
	const episodes: SeedEpisode[] = [];
	let episodeN = 0;
	for (let s = 1; s <= options.shows; s++) {
		const show: SeedShow = {
			n: s,
			title: showTitle(s),
			year: 1990 + (s % 35),
			guids: s % 29 === 0 ? {} : ordered({ imdb: `tt2${String(s).padStart(6, '0')}`, tmdb: String(200000 + s), tvdb: String(300000 + s) }),
		};
		shows.push(show);
		for (let season = 1; season <= seasons; season++) {
			for (let e = 1; e <= perSeason; e++) {
				episodeN++;
				// Episode-level ids: tvdb always (unless the show is unmatched), imdb on most.
				const guids: Guids =
					s % 29 === 0 || episodeN % 31 === 0
						? {}
						: ordered({ imdb: episodeN % 7 === 0 ? undefined : `tt3${String(episodeN).padStart(6, '0')}`, tvdb: String(4000000 + episodeN) });
				episodes.push({
					kind: 'episode',
					n: episodeN,
					show,
					season,
					episode: e,
					title: `Episode ${e}`,
					guids,
					durationMs: (20 + Math.floor(random() * 40)) * 60_000,
					addedAt: BASE_ADDED + episodeN * 30_000,
					savedAt: BASE_ADDED + episodeN * 30_000 + HOUR,
					path: `${showFolder(show)}/Season ${pad2(season)}/${show.title} - S${pad2(season)}E${pad2(e)} - Episode ${e}.mkv`,
				});
			}
		}
	}
	return { movies, shows, episodes };
}

function ordered(guids: Guids): Guids {
	const out: Guids = {};
	for (const key of ['imdb', 'tmdb', 'tvdb'] as const) if (guids[key] !== undefined) out[key] = guids[key];
	return out;
}

export function allItems(library: SeedLibrary): SeedItem[] {
	return [...library.movies, ...library.episodes];
}

/**
 * One user's state of one item on one server: what a sync may change (played, position) and what
 * it must never clear (favourite, rating, play count).
 */
export interface ItemState {
	played: boolean;
	playCount: number;
	/** ms since epoch */
	lastPlayedAt?: number;
	positionMs: number;
	isFavorite: boolean;
	/** The user's rating, 0–10, when set. */
	rating?: number;
	/** ms since epoch of the rating (Plex keeps it: lastRatedAt; Jellyfin / Emby keep none). */
	ratedAt?: number;
	/** ms since epoch of the last change */
	updatedAt: number;
}

export function emptyState(): ItemState {
	return { played: false, playCount: 0, positionMs: 0, isFavorite: false, updatedAt: 0 };
}

export interface EmulatedUser {
	id: string;
	name: string;
	/** A token that acts as this user. */
	token: string;
	admin?: boolean;
	/** The libraries this user may see (default: all), as a restricted user of a household has. */
	libraries?: Array<'movies' | 'shows'>;
}

/** Whether a user may see an item's library. */
export function userSees(user: EmulatedUser | undefined, item: SeedItem | SeedShow): boolean {
	if (!user?.libraries) return true;
	return user.libraries.includes('kind' in item && item.kind === 'movie' ? 'movies' : 'shows');
}

const WORDS = {
	adjective: ['Silent', 'Crimson', 'Hidden', 'Broken', 'Golden', 'Last', 'Distant', 'Frozen', 'Burning', 'Lonely', 'Wild', 'Dark', 'Bright', 'Little', 'Electric', 'Quiet', 'Savage', 'Velvet', 'Iron', 'Hollow', 'Endless', 'Secret', 'Scarlet', 'Northern'],
	noun: ['River', 'Harbor', 'Garden', 'Empire', 'Station', 'Mirror', 'Winter', 'Kingdom', 'Letter', 'Island', 'Machine', 'Witness', 'Orchard', 'Frontier', 'Signal', 'Voyage', 'Shadow', 'Crown', 'Harvest', 'Canyon', 'Lantern', 'Circus', 'Tide', 'Engine'],
	place: ['Paris', 'the North', 'Avalon', 'the Valley', 'Brooklyn', 'the Moon', 'Berlin', 'the Coast', 'Tokyo', 'the Desert', 'Oslo', 'Rome', 'the Delta', 'Lisbon'],
	subtitle: ['The Return', 'Reckoning', 'Origins', 'The Long Night', 'Homecoming', 'Aftermath', 'First Light', 'Endgame'],
};

/**
 * A title made of words, as in a real library: "The Silent River", "Crimson Harbor: Reckoning",
 * "Letters from Oslo". Titles repeat (remakes, common phrases) but rarely; ids tell them apart.
 */
export function realisticTitle(n: number, kind: 'movie' | 'show'): string {
	const r = prng(n * 7919 + (kind === 'show' ? 104_729 : 0));
	const pick = <T>(list: T[]) => list[Math.floor(r() * list.length)];
	const adjective = pick(WORDS.adjective);
	const noun = pick(WORDS.noun);
	const other = pick(WORDS.noun);
	const place = pick(WORDS.place);
	const forms = [
		`The ${adjective} ${noun}`,
		`${adjective} ${noun}: ${pick(WORDS.subtitle)}`,
		`${noun}s from ${place}`,
		`A ${noun} in ${place}`,
		`${adjective} ${noun} & the ${other}`,
		`${noun} of the ${adjective} ${other}`,
		`The ${noun}'s ${other}`,
	];
	// A sequel or a distinguishing number keeps most titles unique in a 100k library.
	const base = forms[Math.floor(r() * forms.length)];
	const extra = Math.floor(r() * 60);
	return extra < 20 ? base : `${base} ${extra}`;
}

export type ServerKind = 'plex' | 'jellyfin' | 'emby';

/** Shows vary their titles independently of the movie with the same number. */
export const SHOW_TITLE_OFFSET = 100_000;

/** A title as these servers compare it in a search: lower case, without diacritics. */
export function foldTitle(title: string): string {
	return title.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

/**
 * How one server may name a title differently from the others, as real servers do: without its
 * article, without punctuation, with a dash for a colon, with diacritics, with the year appended
 * (an item matched from its file name), or translated (a title no search by another server's
 * title can find). Deterministic by item number; most items keep the shared title.
 */
export function titleOnServer(server: ServerKind, title: string, n: number): string {
	const variant = (n * 31 + server.length * 7) % 40;
	if (server === 'plex') {
		if (variant === 1) return title.replace(/^(The|A) /, '');
		if (variant === 2) return title.replace(/e/, 'é');
		if (variant === 3) return `Le Film ${n}`;
	}
	if (server === 'jellyfin') {
		if (variant === 4) return title.replace(/[:'&]/g, '').replace(/\s+/g, ' ');
		if (variant === 5) return `${title} (${1970 + (n % 55)})`;
		if (variant === 6) return `Der Film ${n}`;
	}
	if (server === 'emby') {
		if (variant === 7) return title.replace(': ', ' - ');
		if (variant === 8) return title.replace(/^(The|A) (.*)$/, '$2, $1');
	}
	return title;
}
