/**
 * The requests JellyPlex-Watched (luigi311/JellyPlex-Watched, on python-plexapi 4.16–4.17 and
 * requests) makes, replayed against the emulated Plex and Emby, with the client's own checks of
 * what comes back (re-stated here from its sources; the client itself is Python and not installed).
 * Each check is a place where an emulator once answered otherwise than the real server, and the
 * client then stopped or wrote the wrong thing:
 * - python-plexapi checks every search keyword against the section's Meta (library.py
 *   _loadFilters, _validateFilterField, _validateFieldOperator): Type, Field, FieldType;
 * - a TV section search(unwatched=False) / search(inProgress=True) becomes a show listing
 *   filtered by its episodes (`type=2&episode.unwatched=0`), which the server must apply;
 * - Show.locations comes from the show's `Location` (video.py Show._loadData);
 * - Emby: GET /Users lists the users (jellyfin_emby.py get_users), POST …/UserData answers 204
 *   (query() parses a 200 as JSON), series rows carry no PlayedPercentage (the client then counts
 *   UnplayedItemCount against RecursiveItemCount).
 */
import { seedLibrary, showFolder, type SeedShow } from '../../dev/emulators/library';
import { EmbyEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator, plexKeys } from '../../dev/emulators/plex';
import { after, assert, before, describe, it, refused } from './harness';

const library = seedLibrary({ movies: 6, shows: 3, seasonsPerShow: 1, episodesPerSeason: 3 });
const [watchedShow, resumedShow, untouchedShow] = library.shows;
const episodesOf = (show: SeedShow) => library.episodes.filter((e) => e.show === show);
const played = { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 0, 1) };

interface MetaField {
	key: string;
	type: string;
}
interface MetaType {
	type: string;
	Field?: MetaField[];
}
interface Meta {
	Type: MetaType[];
	FieldType: Array<{ type: string; Operator: Array<{ key: string }> }>;
}

/**
 * python-plexapi's check of a search keyword (library.py _validateFilterField): the field of the
 * libtype whose key ends in the name, else the first of the section's other libtypes, searched from
 * the last; then its FieldType must offer the operator ('=' for a plain keyword). Gives the query key.
 */
function searchKey(meta: Meta, libtype: string, name: string): string {
	const own = meta.Type.find((t) => t.type === libtype);
	assert.ok(own, `Meta has no Type "${libtype}" (python-plexapi: Unknown libtype)`);
	const ends = (f: MetaField) => f.key.split('.').at(-1) === name;
	const field = own.Field?.find(ends) ?? [...meta.Type].reverse().filter((t) => t.type !== libtype).flatMap((t) => t.Field ?? []).find(ends);
	assert.ok(field, `Unknown filter field "${name}" for libtype "${libtype}" (python-plexapi raises NotFound)`);
	const fieldType = meta.FieldType.find((t) => t.type === field.type);
	assert.ok(fieldType?.Operator.some((o) => o.key === '='), `no operator "=" for field type "${field.type}"`);
	return field.key;
}

describe('JellyPlex-Watched against the emulated Plex (python-plexapi requests)', () => {
	const owner = { id: '1', name: 'alice', token: 'dummy-referee-jpw-plex', admin: true };
	const plex = new PlexEmulator({ library, users: [owner] });
	const get = async (path: string, json = true) => {
		const res = await fetch(`${plex.url}${path}${path.includes('?') ? '&' : '?'}X-Plex-Token=${owner.token}`, { headers: json ? { accept: 'application/json' } : {} });
		assert.equal(res.status, 200, `${path} answered ${res.status}`);
		return json ? ((await res.json()) as { MediaContainer: Record<string, unknown> }).MediaContainer : await res.text();
	};
	const meta = async (section: string) => ((await get(`/library/sections/${section}/all?includeMeta=1&includeAdvanced=1&X-Plex-Container-Start=0&X-Plex-Container-Size=0`)) as { Meta: Meta }).Meta;
	before(async () => {
		await plex.start();
		plex.seedState(owner.id, library.movies[0], played);
		plex.seedState(owner.id, episodesOf(watchedShow)[1], played);
		plex.seedState(owner.id, episodesOf(resumedShow)[0], { positionMs: 600_000, lastPlayedAt: Date.UTC(2025, 0, 2) });
	});
	after(async () => await plex.stop());

	it("the sections' Meta lets python-plexapi validate unwatched / inProgress for movies and, through the episode fields, for shows", async () => {
		const movies = await meta('1');
		assert.equal(searchKey(movies, 'movie', 'unwatched'), 'unwatched');
		assert.equal(searchKey(movies, 'movie', 'inProgress'), 'inProgress');
		const shows = await meta('2');
		assert.deepEqual(
			shows.Type.map((t) => t.type),
			['show', 'season', 'episode'],
		);
		assert.equal(searchKey(shows, 'show', 'unwatched'), 'episode.unwatched');
		assert.equal(searchKey(shows, 'show', 'inProgress'), 'episode.inProgress');
		assert.equal(searchKey(shows, 'episode', 'unwatched'), 'episode.unwatched');
	});

	it('a show listing filtered by an episode field keeps the shows with such an episode', async () => {
		const titles = async (query: string) => (((await get(`/library/sections/2/all?type=2&${query}&includeGuids=1`)) as { Metadata?: Array<{ ratingKey: string }> }).Metadata ?? []).map((m) => m.ratingKey);
		assert.deepEqual(await titles('episode.unwatched=0'), [plexKeys.show(watchedShow.n)]);
		assert.deepEqual(await titles('episode.inProgress=1'), [plexKeys.show(resumedShow.n)]);
		assert.deepEqual((await titles('show.unwatchedLeaves=1')).sort(), [watchedShow, resumedShow, untouchedShow].map((s) => plexKeys.show(s.n)).sort());
		const movies = ((await get('/library/sections/1/all?type=1&unwatched=0&includeGuids=1')) as { Metadata?: Array<{ ratingKey: string }> }).Metadata ?? [];
		assert.deepEqual(
			movies.map((m) => m.ratingKey),
			[plexKeys.movie(library.movies[0].n)],
		);
	});

	it("shows carry their folder as Location, in the listing (XML, as python-plexapi reads it) and in their metadata", async () => {
		const xml = (await get('/library/sections/2/all?type=2', false)) as string;
		for (const show of library.shows) assert.ok(xml.includes(`<Location path="${showFolder(show)}"`), `no Location for ${show.title} in the listing`);
		const one = (await get(`/library/metadata/${plexKeys.show(untouchedShow.n)}`)) as { Metadata: Array<{ Location?: Array<{ path: string }> }> };
		assert.deepEqual(one.Metadata[0].Location, [{ path: showFolder(untouchedShow) }]);
	});

	it('refused none of its requests', () => assert.deepEqual(refused(plex), []));
});

describe('JellyPlex-Watched against the emulated Emby (its requests, with requests)', () => {
	const API_KEY = 'dummy-referee-jpw-emby';
	const user = { id: '6b0b1c2d3e4f40718293a4b5c6d7e8f9', name: 'alice', token: 'dummy-referee-jpw-alice', admin: true };
	const emby = new EmbyEmulator({ library, users: [user], apiKey: API_KEY });
	const headers = { 'X-Emby-Token': API_KEY, 'content-type': 'application/json' };
	/** jellyfin_emby.py query(): 200 or 204, a 200 parsed as JSON, anything else an error. */
	const query = async (path: string, body?: object): Promise<unknown> => {
		const res = await fetch(`${emby.url}${path}`, { method: body ? 'POST' : 'GET', headers, body: body ? JSON.stringify(body) : undefined });
		assert.ok([200, 204].includes(res.status), `${path}: Query failed with status ${res.status}`);
		const text = await res.text();
		return res.status === 204 ? undefined : (JSON.parse(text) as unknown);
	};
	before(async () => {
		await emby.start();
		emby.seedState(user.id, episodesOf(watchedShow)[1], played);
	});
	after(async () => await emby.stop());

	it('lists the users with GET /Users', async () => {
		const users = (await query('/Users')) as Array<{ Id: string; Name: string }>;
		assert.deepEqual(
			users.map((u) => [u.Id, u.Name]),
			[[user.id, user.name]],
		);
	});

	it('writes a play with POST …/UserData and gets 204 No Content', async () => {
		const film = library.movies[2];
		const answer = await query(`/Users/${user.id}/Items/${emby.idOf(film)}/UserData`, { PlayCount: 1, Played: true, PlaybackPositionTicks: 0, LastPlayedDate: '2025-03-01T20:00:00.0000000Z' });
		assert.equal(answer, undefined);
		assert.equal(emby.stateOf(user.id, film).played, true);
	});

	it('finds the partly watched series without PlayedPercentage, by UnplayedItemCount against RecursiveItemCount', async () => {
		const views = (await query(`/Users/${user.id}/Views`)) as { Items: Array<{ Id: string; CollectionType: string }> };
		const tv = views.Items.find((v) => v.CollectionType === 'tvshows')!;
		const shows = (await query(`/Users/${user.id}/Items?ParentId=${tv.Id}&isPlaceHolder=false&IncludeItemTypes=Series&Recursive=True&Fields=ProviderIds,Path,RecursiveItemCount`)) as {
			Items: Array<{ Id: string; Path?: string; RecursiveItemCount?: number; UserData?: { PlayedPercentage?: number; UnplayedItemCount?: number } }>;
		};
		assert.ok(shows.Items.every((s) => s.UserData && !('PlayedPercentage' in s.UserData)));
		const partly = shows.Items.filter((s) => s.UserData!.UnplayedItemCount! < s.RecursiveItemCount!);
		assert.deepEqual(
			partly.map((s) => s.Path),
			[showFolder(watchedShow)],
		);
	});

	it('refused none of its requests', () => assert.deepEqual(refused(emby), []));
});
