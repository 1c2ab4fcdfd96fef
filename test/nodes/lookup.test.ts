/**
 * Finding one item costs a few requests on Plex and Jellyfin whatever the library size: Apply
 * Watch State searches by title and writes only where the ids (or show ids + season + episode)
 * match. Counted per event on a ~1k and a ~100k library whose servers name some titles
 * differently; request counts, not times, so the test is the same on any machine.
 */
import type { ICredentialType, IDataObject, INodeType } from 'n8n-workflow';
import { EmbyApi } from '../../credentials/EmbyApi.credentials';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { Emby } from '../../nodes/Emby/Emby.node';
import { Jellyfin } from '../../nodes/Jellyfin/Jellyfin.node';
import { Plex } from '../../nodes/Plex/Plex.node';
import { seedLibrary, type SeedItem, type SeedLibrary } from '../../dev/emulators/library';
import { EmbyEmulator, JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator } from '../../dev/emulators/plex';
import { runNode } from '../support/execute';

const user = { id: '5a0b1c2d3e4f40718293a4b5c6d7e8f9', name: 'alice', token: 'dummy-lookup-alice', admin: true };
const API_KEY = 'dummy-lookup-key';

interface World {
	library: SeedLibrary;
	plex: PlexEmulator;
	jellyfin: JellyfinEmulator;
	emby: EmbyEmulator;
}

function world(movies: number, shows: number): World {
	const library = seedLibrary({ movies, shows, seasonsPerShow: 2, episodesPerSeason: 10, titles: 'realistic' });
	return {
		library,
		plex: new PlexEmulator({ library, users: [{ ...user, id: '1' }], titleVariants: true }),
		jellyfin: new JellyfinEmulator({ library, users: [user], apiKey: API_KEY, titleVariants: true }),
		emby: new EmbyEmulator({ library, users: [user], apiKey: API_KEY, titleVariants: true }),
	};
}

const small = world(600, 20); // 600 movies + 400 episodes
const large = world(50_000, 2_500); // 50,000 movies + 50,000 episodes
const worlds = [small, large];

type Target = 'plex' | 'jellyfin' | 'emby';
const NODES: Record<Target, { node: INodeType; credentialType: ICredentialType }> = {
	plex: { node: new Plex(), credentialType: new PlexApi() },
	jellyfin: { node: new Jellyfin(), credentialType: new JellyfinApi() },
	emby: { node: new Emby(), credentialType: new EmbyApi() },
};

function credentials(w: World, target: Target): IDataObject {
	if (target === 'plex') return { baseUrl: w.plex.url, token: user.token, clientIdentifier: 'lookup-test', ignoreSslIssues: false };
	if (target === 'jellyfin') return { baseUrl: w.jellyfin.url, token: API_KEY, ignoreSslIssues: false };
	return { baseUrl: w.emby.url, apiKey: API_KEY, ignoreSslIssues: false };
}

/** A "watched" event as the source server would send it: its own title for the item. */
function watched(w: World, from: Target, item: SeedItem): IDataObject {
	const server = w[from];
	const base = { backend: from, id: 'source-id', guids: { ...item.guids }, played: true, event: 'scrobble', tainted: false, updatedAt: '2026-03-01T10:00:00.000Z', playedAt: '2026-03-01T10:00:00.000Z' };
	if (item.kind === 'movie') return { ...base, type: 'movie', title: server.titleOf(item), year: item.year };
	return { ...base, type: 'episode', title: item.title, show: { title: server.titleOf(item.show), guids: { ...item.show.guids } }, season: item.season, episode: item.episode };
}

async function apply(w: World, target: Target, event: IDataObject, applyOptions: IDataObject = {}) {
	const server = w[target];
	server.resetCounters();
	const out = await runNode(NODES[target].node, {
		credentialType: NODES[target].credentialType,
		credentials: credentials(w, target),
		params: { resource: 'item', operation: 'apply', applyOptions, userId: user.id, requestOptions: { retries: 0 } },
		input: [event],
	});
	return { out: out.map((o) => o.json), requests: server.requests, writes: [...server.writes] };
}

const idOn = (w: World, target: Target, item: SeedItem) => (target === 'plex' ? w.plex.keyOf(item) : w[target].idOf(item));

beforeAll(async () => {
	await Promise.all(worlds.flatMap((w) => [w.plex.start(), w.jellyfin.start(), w.emby.start()]));
});
afterAll(async () => {
	await Promise.all(worlds.flatMap((w) => [w.plex.stop(), w.jellyfin.stop(), w.emby.stop()]));
});
beforeEach(() => {
	for (const w of worlds) for (const s of [w.plex, w.jellyfin, w.emby]) s.state.clear();
});

const translated = (title: string) => / Film \d+$/.test(title);
const titleOn = (w: World, server: Target, item: SeedItem) => (item.kind === 'movie' ? w[server].titleOf(item) : w[server].titleOf(item.show));

/**
 * Movies and episodes (the same ones in both worlds) that a search can find: some named alike on
 * both servers, and every one the two servers name differently (article, punctuation, accents,
 * year suffix), which need the later search terms. Translated titles are tested on their own.
 */
function sample(w: World, from: Target, target: Target): SeedItem[] {
	const candidates = [...small.library.movies, ...small.library.episodes].filter((i) => Object.keys(i.guids).length > 0 && ![from, target].some((s) => translated(titleOn(small, s, i))));
	const differ = (i: SeedItem) => titleOn(small, from, i) !== titleOn(small, target, i);
	const pick = [
		...candidates.filter((i) => i.kind === 'movie' && !differ(i)).slice(0, 3),
		...candidates.filter((i) => i.kind === 'movie' && differ(i)).slice(0, 8),
		...candidates.filter((i) => i.kind === 'episode' && !differ(i)).filter((_, k) => k % 40 === 0).slice(0, 3),
		...candidates.filter((i) => i.kind === 'episode' && differ(i)).filter((_, k) => k % 10 === 0).slice(0, 3),
	];
	// The same items, by number, in this world.
	return pick.map((i) => (i.kind === 'movie' ? w.library.movies[i.n - 1] : w.library.episodes[i.n - 1]));
}

describe.each([
	['plex', 'jellyfin'],
	['jellyfin', 'plex'],
	['emby', 'plex'],
	['plex', 'emby'],
] as Array<[Target, Target]>)('a %s event applied on %s', (from, target) => {
	it('finds and marks each item in at most 6 requests, the same count at 1,000 and at 100,000 items', async () => {
		const counts: number[][] = [];
		for (const w of worlds) {
			const perEvent: number[] = [];
			for (const item of sample(w, from, target)) {
				const { out, requests, writes } = await apply(w, target, watched(w, from, item));
				expect(out).toEqual([expect.objectContaining({ action: 'marked-played', target: expect.objectContaining({ id: idOn(w, target, item) }) })]);
				expect(writes.map((x) => x.itemId)).toEqual([idOn(w, target, item)]);
				perEvent.push(requests);
			}
			counts.push(perEvent);
		}
		expect(counts[0].length).toBeGreaterThanOrEqual(8);
		expect(Math.max(...counts.flat())).toBeLessThanOrEqual(6);
		expect(counts[1]).toEqual(counts[0]);
	});
});

describe('a title alone never writes', () => {
	it.each(['plex', 'jellyfin'] as Target[])('%s: an item with the same title but other ids is not found, and nothing is written', async (target) => {
		const movie = small.library.movies[10];
		const event = { ...watched(small, 'emby', movie), guids: { imdb: 'tt0000404', tmdb: '404' } };
		const { out, writes } = await apply(small, target, event);
		expect(out).toEqual([expect.objectContaining({ action: 'not-found' })]);
		expect(writes).toEqual([]);
	});

	it('an episode of a show with the same title but other show ids is not written', async () => {
		const ep = small.library.episodes[3];
		const event = { ...watched(small, 'plex', ep), guids: {}, show: { title: small.jellyfin.titleOf(ep.show), guids: { tvdb: '999999' } } };
		const { out, writes } = await apply(small, 'jellyfin', event);
		expect(out).toEqual([expect.objectContaining({ action: 'not-found' })]);
		expect(writes).toEqual([]);
	});
});

describe('a title the search cannot find (translated on one server)', () => {
	const translated = small.library.movies.find((m) => /^Der Film /.test(small.jellyfin.titleOf(m)) && Object.keys(m.guids).length > 0)!;

	it('falls back to reading the library, and still writes only by ids', async () => {
		const { out, requests, writes } = await apply(small, 'jellyfin', watched(small, 'plex', translated));
		expect(out).toEqual([expect.objectContaining({ action: 'marked-played', target: expect.objectContaining({ id: small.jellyfin.idOf(translated) }) })]);
		expect(writes).toHaveLength(1);
		expect(requests).toBeGreaterThan(6);
	});

	it('with Read Library When Not Found off, reports not found after the searches alone', async () => {
		const { out, requests, writes } = await apply(small, 'jellyfin', watched(small, 'plex', translated), { libraryFallback: false });
		expect(out).toEqual([expect.objectContaining({ action: 'not-found' })]);
		expect(requests).toBeLessThanOrEqual(4);
		expect(writes).toEqual([]);
	});
});
