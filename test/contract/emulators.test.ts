/**
 * The emulators answer what the real servers answer for requests outside their API: each checks
 * every request against the spec of the version it plays (and what the server serves beyond it,
 * with the source that shows it). Plain HTTP here, so nothing in our clients hides a mistake.
 * Skipped (and said so) without the shared specs.
 */
import { seedLibrary } from '../../dev/emulators/library';
import { EmbyEmulator, JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator, plexKeys } from '../../dev/emulators/plex';
import { specsPresent } from '../../dev/emulators/spec/files';

const describeWithSpecs = specsPresent ? describe : describe.skip;

const library = seedLibrary({ movies: 13, shows: 2, seasonsPerShow: 1, episodesPerSeason: 3 });
const user = { id: '5a0b1c2d3e4f40718293a4b5c6d7e8f9', name: 'alice', token: 'dummy-gate-alice', admin: true };
const API_KEY = 'dummy-gate-key';
const jellyfin = {
	'10.8': new JellyfinEmulator({ library, users: [user], apiKey: API_KEY, version: '10.8.13' }),
	'10.11': new JellyfinEmulator({ library, users: [user], apiKey: API_KEY, version: '10.11.11' }),
	'12.0': new JellyfinEmulator({ library, users: [user], apiKey: API_KEY, version: '12.0.0' }),
};
const emby = new EmbyEmulator({ library, users: [user], apiKey: API_KEY, version: '4.8.11.0' });
const plex = new PlexEmulator({ library, users: [{ ...user, id: '1' }] });
const all = [...Object.values(jellyfin), emby, plex];

const movieId = (s: JellyfinEmulator | EmbyEmulator) => s.idOf(library.movies[0]);
const auth = { Authorization: `MediaBrowser Token="${API_KEY}"` };

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; text: string }> {
	const res = await fetch(url, init);
	return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
	await Promise.all(all.map((s) => s.start()));
});
afterAll(async () => {
	await Promise.all(all.map((s) => s.stop()));
});
beforeEach(() =>
	all.forEach((s) => {
		s.resetCounters();
		s.state.clear();
	}),
);

describeWithSpecs('Jellyfin emulator per version', () => {
	it('10.8 has no query-style routes and no user-data endpoint: 404', async () => {
		const s = jellyfin['10.8'];
		expect((await call(`${s.url}/UserPlayedItems/${movieId(s)}?userId=${user.id}`, { method: 'POST', headers: auth })).status).toBe(404);
		expect((await call(`${s.url}/UserItems/${movieId(s)}/UserData?userId=${user.id}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
		expect((await call(`${s.url}/Users/${user.id}/Items/${movieId(s)}/UserData`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
		expect(s.writes).toEqual([]);
	});

	it('10.9+ still serves the hidden /Users/{id}/PlayedItems route, and notes that the spec documents another', async () => {
		const s = jellyfin['10.11'];
		expect((await call(`${s.url}/Users/${user.id}/PlayedItems/${movieId(s)}`, { method: 'POST', headers: auth })).status).toBe(200);
		expect(s.violations.map((v) => [v.kind, v.refused])).toEqual([['replaced', false]]);
		expect(s.violations[0].detail).toContain('POST /UserPlayedItems/{itemId}');
	});

	it('a known path with another method is 405; a malformed GUID, a bad boolean or a missing body is 400', async () => {
		const s = jellyfin['10.11'];
		expect((await call(`${s.url}/UserPlayedItems/${movieId(s)}?userId=${user.id}`, { method: 'PUT', headers: auth })).status).toBe(405);
		expect((await call(`${s.url}/UserPlayedItems/not-a-guid?userId=${user.id}`, { method: 'POST', headers: auth })).status).toBe(400);
		expect((await call(`${s.url}/Items?userId=${user.id}&isPlayed=yes`, { headers: auth })).status).toBe(400);
		const noBody = await call(`${s.url}/UserItems/${movieId(s)}/UserData?userId=${user.id}`, { method: 'POST', headers: auth });
		expect(noBody.status).toBe(400);
		expect(JSON.parse(noBody.text).title).toBe('One or more validation errors occurred.');
		expect(s.writes).toEqual([]);
	});

	it('drops a SortBy value outside its enum, as the comma-list binder does, and notes it', async () => {
		const s = jellyfin['10.11'];
		const res = await call(`${s.url}/Items?userId=${user.id}&IncludeItemTypes=Movie&Recursive=true&SortBy=DateLastSaved&Limit=3`, { headers: auth });
		expect(res.status).toBe(200);
		expect(s.violations.map((v) => v.kind)).toEqual(['enum']);
		expect(s.violations[0].detail).toContain('"DateLastSaved"');
	});

	it('notes AnyProviderIdEquals, which no Jellyfin has, and ignores it', async () => {
		const s = jellyfin['10.11'];
		const res = await call(`${s.url}/Items?userId=${user.id}&IncludeItemTypes=Movie&Recursive=true&AnyProviderIdEquals=imdb.tt1000001`, { headers: auth });
		expect(JSON.parse(res.text).TotalRecordCount).toBe(13);
		expect(s.violations.map((v) => v.kind)).toEqual(['unknown-param']);
	});

	it('legacy X-Emby-Token and api_key work until 10.11 and are refused by 12.0', async () => {
		for (const [version, expected] of [['10.8', 200], ['10.11', 200], ['12.0', 401]] as const) {
			const s = jellyfin[version];
			expect((await call(`${s.url}/System/Info`, { headers: { 'X-Emby-Token': API_KEY } })).status).toBe(expected);
			expect((await call(`${s.url}/System/Info?api_key=${API_KEY}`)).status).toBe(expected);
			expect((await call(`${s.url}/System/Info`, { headers: auth })).status).toBe(200);
		}
	});

	it('MinDateLastSavedForUser filters on the metadata save date: a new play does not bring an item back', async () => {
		const s = jellyfin['10.11'];
		s.seedState(user.id, library.movies[1], { played: true, playCount: 1, lastPlayedAt: Date.UTC(2026, 0, 2), updatedAt: Date.UTC(2026, 0, 2) });
		const res = await call(`${s.url}/Items?userId=${user.id}&IncludeItemTypes=Movie&Recursive=true&MinDateLastSavedForUser=2025-01-01T00:00:00Z`, { headers: auth });
		expect(JSON.parse(res.text).TotalRecordCount).toBe(0);
	});

	it('POST …/UserData applies only the fields sent and answers the new user data', async () => {
		const s = jellyfin['10.11'];
		s.seedState(user.id, library.movies[2], { isFavorite: true, playCount: 2, rating: 9 });
		const res = await call(`${s.url}/UserItems/${s.idOf(library.movies[2])}/UserData?userId=${user.id}`, {
			method: 'POST',
			headers: { ...auth, 'content-type': 'application/json' },
			body: JSON.stringify({ PlaybackPositionTicks: 6_000_000_000, PlayCount: 5, LastPlayedDate: '2026-01-02T03:04:05Z' }),
		});
		expect(JSON.parse(res.text)).toMatchObject({ PlaybackPositionTicks: 6_000_000_000, PlayCount: 5, IsFavorite: true, Rating: 9, LastPlayedDate: '2026-01-02T03:04:05.0000000Z' });
	});
});

describeWithSpecs('Emby emulator', () => {
	const key = { 'X-Emby-Token': API_KEY };

	it('serves GET /Users beside /Users/Query (outside its 4.8 / 4.9 specs, as real Emby does)', async () => {
		const users = await call(`${emby.url}/Users`, { headers: key });
		expect(users.status).toBe(200);
		expect((JSON.parse(users.text) as Array<{ Id: string }>).map((u) => u.Id)).toContain(user.id);
		expect((await call(`${emby.url}/emby/Users/Query`, { headers: key })).status).toBe(200);
	});

	it('POST …/UserData replaces the record: a body with only the position clears the favourite and the played flag', async () => {
		emby.seedState(user.id, library.movies[3], { played: true, playCount: 3, isFavorite: true, rating: 6 });
		const res = await call(`${emby.url}/Users/${user.id}/Items/${emby.idOf(library.movies[3])}/UserData`, {
			method: 'POST',
			headers: { ...key, 'content-type': 'application/json' },
			body: JSON.stringify({ PlaybackPositionTicks: 600_000_000 }),
		});
		expect(res).toEqual({ status: 204, text: '' });
		expect(emby.stateOf(user.id, library.movies[3])).toMatchObject({ positionMs: 60_000, played: false, playCount: 0, isFavorite: false, rating: undefined });
	});

	it('AnyProviderIdEquals filters on the first pair only, as a substring', async () => {
		const query = (value: string) => call(`${emby.url}/Users/${user.id}/Items?Recursive=true&IncludeItemTypes=Movie&AnyProviderIdEquals=${value}`, { headers: key });
		const m13 = library.movies[12]; // no IMDb id
		expect(JSON.parse((await query(`Tmdb.${m13.guids.tmdb}`)).text).TotalRecordCount).toBe(1);
		expect(JSON.parse((await query(`Imdb.tt0000404,Tmdb.${m13.guids.tmdb}`)).text).TotalRecordCount).toBe(0);
		// "tmdb=10000" is in "Tmdb=100001" … "Tmdb=100009".
		expect(JSON.parse((await query('Tmdb.10000')).text).TotalRecordCount).toBe(9);
	});

	it('notes a SortBy outside the options its description documents, and a missing IncludeExternalContent', async () => {
		await call(`${emby.url}/Users/${user.id}/Items?Recursive=true&SortBy=DateLastSaved`, { headers: key });
		await call(`${emby.url}/Users/${user.id}/Views`, { headers: key });
		expect(emby.violations.map((v) => [v.kind, v.refused])).toEqual([
			['enum', false],
			['missing', false],
		]);
	});
});

describeWithSpecs('Plex emulator', () => {
	const token = { 'X-Plex-Token': user.token };
	const json = { ...token, Accept: 'application/json' };

	it('serves GET on its write endpoints (python-plexapi), and refuses a scrobble without identifier (400)', async () => {
		const key = plexKeys.movie(1);
		expect((await call(`${plex.url}/:/scrobble?key=${key}&identifier=com.plexapp.plugins.library`, { headers: token })).status).toBe(200);
		expect((await call(`${plex.url}/:/scrobble?key=${key}`, { method: 'PUT', headers: token })).status).toBe(400);
		expect(plex.writes).toHaveLength(1);
	});

	it('answers an unknown route with its 404 page, and notes a parameter the metadata endpoint does not have', async () => {
		const res = await call(`${plex.url}/library/nothing-here`, { headers: token });
		expect(res.status).toBe(404);
		expect(res.text).toContain('404 Not Found');
		await call(`${plex.url}/library/metadata/${plexKeys.movie(1)}?includeGuids=1`, { headers: json });
		// PMS serves a request without X-Plex-Client-Identifier although its spec requires one.
		expect(plex.violations.map((v) => [v.kind, v.refused])).toEqual([
			['route', true],
			['unknown-param', false],
			['header', false],
		]);
	});

	it('sends Guid, Media and Part on /library/metadata/{id} by default', async () => {
		const res = JSON.parse((await call(`${plex.url}/library/metadata/${plexKeys.movie(1)}`, { headers: json })).text);
		const meta = res.MediaContainer.Metadata[0];
		expect(meta.Guid).toEqual([{ id: 'imdb://tt1000001' }, { id: 'tmdb://100001' }]);
		expect(meta.Media[0].Part[0].file).toBe(library.movies[0].path);
	});

	it('answers XML with child elements without Accept: application/json', async () => {
		const sections = await call(`${plex.url}/library/sections`, { headers: token });
		expect(sections.text).toMatch(/<MediaContainer [^>]*size="2"[^>]*>\s*<Directory [^>]*key="1"[^>]*type="movie"/);
		const all = await call(`${plex.url}/library/sections/1/all?includeGuids=1&X-Plex-Container-Size=1`, { headers: token });
		expect(all.text).toMatch(/<Video [^>]*ratingKey="100001"[^>]*>\s*<Guid id="imdb:\/\/tt1000001" \/>/);
		expect(all.text).toContain('<Part ');
		const accounts = await call(`${plex.url}/accounts`, { headers: token });
		expect(accounts.text).toMatch(/<Account [^>]*name="alice"/);
	});

	it('filters a section by unwatched / inProgress / title, and includes Meta on request', async () => {
		plex.seedState('1', library.movies[4], { played: true, playCount: 1 });
		plex.seedState('1', library.movies[5], { positionMs: 60_000 });
		const total = async (q: string) => JSON.parse((await call(`${plex.url}/library/sections/1/all?type=1&${q}`, { headers: json })).text).MediaContainer.totalSize;
		expect(await total('unwatched=0')).toBe(1);
		expect(await total('unwatched=1')).toBe(12);
		expect(await total('inProgress=1')).toBe(1);
		expect(await total('title=movie 1')).toBe(5); // 1, 10, 11, 12, 13
		const meta = JSON.parse((await call(`${plex.url}/library/sections/1/all?includeMeta=1&X-Plex-Container-Size=0`, { headers: json })).text).MediaContainer.Meta;
		expect(meta.Type[0].Filter.map((f: { filter: string }) => f.filter)).toContain('unwatched');
	});

	it('has seasons under /children and every episode under /allLeaves', async () => {
		const show = plexKeys.show(1);
		const seasons = JSON.parse((await call(`${plex.url}/library/metadata/${show}/children`, { headers: json })).text).MediaContainer.Metadata;
		expect(seasons.map((s: { type: string; index: number }) => [s.type, s.index])).toEqual([['season', 1]]);
		const leaves = JSON.parse((await call(`${plex.url}/library/metadata/${show}/allLeaves`, { headers: json })).text).MediaContainer.Metadata;
		expect(leaves).toHaveLength(3);
		expect((await call(`${plex.url}/library/sections/1/collections`, { headers: json })).status).toBe(200);
	});
});

describe('the emulators date and keep state as the servers do', () => {
	const json = { Accept: 'application/json', 'X-Plex-Token': user.token, 'X-Plex-Client-Identifier': 'probe' };
	const meta = async (key: string) => JSON.parse((await call(`${plex.url}/library/metadata/${key}`, { headers: json })).text).MediaContainer.Metadata[0];

	it('PMS dates a scrobble and a partial timeline report with its own clock, in whole seconds', async () => {
		plex.clockOffsetMs = 3_600_000;
		try {
			const [a, b] = [library.movies[1], library.movies[2]];
			await call(`${plex.url}/:/scrobble?key=${plex.keyOf(a)}&identifier=com.plexapp.plugins.library`, { method: 'PUT', headers: json });
			await call(`${plex.url}/:/timeline?ratingKey=${plex.keyOf(b)}&key=/library/metadata/${plex.keyOf(b)}&identifier=com.plexapp.plugins.library&state=stopped&time=600000&duration=${b.durationMs}`, { method: 'POST', headers: json });
			const hourAhead = Math.floor((Date.now() + 3_600_000) / 1000);
			for (const m of [await meta(plex.keyOf(a)), await meta(plex.keyOf(b))]) expect(Math.abs(m.lastViewedAt - hourAhead)).toBeLessThanOrEqual(2);
			expect((await meta(plex.keyOf(b))).viewOffset).toBe(600_000);
		} finally {
			plex.clockOffsetMs = 0;
		}
	});

	it('PMS lists its system account without a name, and serves prefs and sessions to the owner only', async () => {
		const accounts = JSON.parse((await call(`${plex.url}/accounts`, { headers: json })).text).MediaContainer.Account;
		expect(accounts[0]).toMatchObject({ id: 0, name: '' });
		const prefs = JSON.parse((await call(`${plex.url}/:/prefs`, { headers: json })).text).MediaContainer.Setting;
		expect(prefs.find((p: { id: string }) => p.id === 'LibraryVideoPlayedThreshold').value).toBe(90);
		expect((await call(`${plex.url}/status/sessions`, { headers: json })).status).toBe(200);
	});

	it('Jellyfin before 10.11 keeps one user-data record for copies of a film; 10.11 one per item', async () => {
		const copies = seedLibrary({ movies: 3, shows: 0, copies: [1] });
		const [old, current] = [new JellyfinEmulator({ library: copies, users: [user], apiKey: API_KEY, version: '10.10.7' }), new JellyfinEmulator({ library: copies, users: [user], apiKey: API_KEY, version: '10.11.11' })];
		for (const s of [old, current]) s.seedState(user.id, copies.movies[0], { played: true, playCount: 1 });
		expect([old.stateOf(user.id, copies.movies[3]).played, current.stateOf(user.id, copies.movies[3]).played]).toEqual([true, false]);
	});
});
