/**
 * Titles as search terms. Servers name the same film differently ("The Matrix" / "Matrix",
 * "Amélie" / "Amelie", "Heat (1995)", "Night Train: Return" / "Night Train - Return"), and
 * their searches match a term contained in the title. A title search only narrows the candidates:
 * nothing is written unless the external ids (or show ids + season + episode) match.
 */

const ARTICLES = /^(the|a|an|der|die|das|le|la|les|el|los|il)\s+/i;
const TRAILING_ARTICLE = /,\s*(the|a|an)$/i;
// Anchored to the last ")": a leading \s* would be tried at every space of a long title (quadratic).
const YEAR_SUFFIX = /\((?:1[89]|2\d)\d\d\)$/;
/** Words too common to find a title by on their own. */
const COMMON = new Set(['the', 'and', 'of', 'a', 'an', 'in', 'on', 'to', 'for', 'with', 'part', 'season', 'episode', 'movie', 'film', 'show', 'from', 'der', 'die', 'das', 'und']);

/** The title without a trailing "(1995)" or ", The". */
function withoutSuffixes(title: string): string {
	const trimmed = title.trimEnd();
	const year = YEAR_SUFFIX.exec(trimmed);
	return (year ? trimmed.slice(0, year.index).trimEnd() : trimmed).replace(TRAILING_ARTICLE, '');
}

export function withoutDiacritics(text: string): string {
	return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

/**
 * Lower case, no diacritics, punctuation (but apostrophes, which servers keep in their search
 * names) as spaces, no leading / trailing article or year.
 */
export function titleCore(title: string): string {
	const plain = withoutDiacritics(withoutSuffixes(title))
		.toLowerCase()
		.replace(/’/g, "'")
		.replace(/[^\p{L}\p{N}']+/gu, ' ')
		.trim();
	return plain.replace(ARTICLES, '').trim();
}

/**
 * Terms to search a server by, most specific first: the title as sent (without a year suffix or
 * a trailing article), its core (see titleCore), and the core's longest uncommon word, which
 * still finds titles whose punctuation, articles or word order differ. With `max` 2 the core is
 * left out: the longest word finds whatever the core would, with more candidates to check.
 */
export function searchTerms(title: string | undefined, max = 3): string[] {
	if (!title) return [];
	const terms: string[] = [];
	const add = (term: string | undefined) => {
		const t = term?.trim();
		if (t && t.length >= 2 && !terms.some((x) => titleCore(x) === titleCore(t) && x.toLowerCase() === t.toLowerCase())) terms.push(t);
	};
	const core = titleCore(title);
	// Words split at apostrophes too: "Canyon's" is found as "canyon" in "Canyons" and "Canyon's".
	const longest = core
		.split(/[\s']+/)
		.filter((w) => w.length >= 4 && !COMMON.has(w))
		.sort((a, b) => b.length - a.length)[0];
	add(withoutSuffixes(title));
	if (max >= 3) add(core);
	add(longest);
	return terms.slice(0, max);
}
