/**
 * @jellyfin/sdk (Jellyfin's own SDK, generated from its OpenAPI; it supports servers from 10.10)
 * against every emulated Jellyfin it supports: system info, users, views, paged item listings,
 * a show's episodes, favourites, played / unplayed, user data. Then our node writes and the SDK
 * reads it back, and the other way round: both must see one state, and the favourite the SDK set
 * survives our writes.
 */
import { Jellyfin as JellyfinSdk } from '@jellyfin/sdk';
import { getLibraryApi, getShowApi, getSystemApi, getUserApi, getUserDataApi, getUserViewApi } from '@jellyfin/sdk/lib/utils/api/index.js';
import { ItemFields, ItemSortBy, BaseItemKind } from '@jellyfin/sdk/lib/generated-client/models/index.js';
import type { IDataObject } from 'n8n-workflow';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { Jellyfin } from '../../nodes/Jellyfin/Jellyfin.node';
import { seedLibrary } from '../../dev/emulators/library';
import { JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { JELLYFIN_VERSIONS, versionAtLeast } from '../../dev/emulators/versions';
import { runNode } from '../support/execute';
import { after, assert, before, describe, it, refused } from './harness';

const library = seedLibrary({ movies: 23, shows: 2, seasonsPerShow: 2, episodesPerSeason: 4 });
const user = { id: '5a0b1c2d3e4f40718293a4b5c6d7e8f9', name: 'alice', token: 'dummy-referee-alice', admin: true };
const API_KEY = 'dummy-referee-key';
const sdk = new JellyfinSdk({ clientInfo: { name: 'referee', version: '1.0.0' }, deviceInfo: { name: 'referee', id: 'referee-device' } });

for (const version of JELLYFIN_VERSIONS.filter((v) => versionAtLeast(v, 10, 10))) {
	describe(`@jellyfin/sdk drives emulated Jellyfin ${version}`, () => {
		const emulator = new JellyfinEmulator({ library, users: [user], apiKey: API_KEY, version });
		let api: ReturnType<JellyfinSdk['createApi']>;
		const ours = (params: IDataObject) =>
			runNode(new Jellyfin(), {
				credentialType: new JellyfinApi(),
				credentials: { baseUrl: emulator.url, token: API_KEY, ignoreSslIssues: false },
				params: { userId: user.id, requestOptions: { pageSize: 5 }, ...params },
			});

		before(async () => {
			await emulator.start();
			api = sdk.createApi(emulator.url, API_KEY);
		});
		after(async () => {
			await emulator.stop();
		});

		it('reads the server, its users and their views', async () => {
			assert.equal((await getSystemApi(api).getPublicSystemInfo()).data.Version, version);
			assert.deepEqual(
				(await getUserApi(api).getUsers()).data.map((u) => u.Name),
				['alice'],
			);
			const views = (await getUserViewApi(api).getUserViews({ userId: user.id })).data.Items ?? [];
			assert.deepEqual(
				views.map((v) => v.CollectionType),
				['movies', 'tvshows'],
			);
		});

		it('pages through the movies in its own order and finds the same items our node lists', async () => {
			const ids = new Set<string>();
			for (let start = 0; start < 23; start += 10) {
				const page = await getLibraryApi(api).getItems({ userId: user.id, recursive: true, includeItemTypes: [BaseItemKind.Movie], fields: [ItemFields.ProviderIds], sortBy: [ItemSortBy.SortName, ItemSortBy.ProductionYear], startIndex: start, limit: 10 });
				assert.equal(page.data.TotalRecordCount, 23);
				for (const item of page.data.Items ?? []) ids.add(String(item.Id));
			}
			const listed = await ours({ resource: 'library', operation: 'getWatchState', filters: { libraries: 'Movies' } });
			assert.deepEqual(new Set(listed.map((i) => String(i.json.id))), ids);
		});

		it("reads a show's episodes of one season", async () => {
			const show = library.shows[1];
			const episodes = await getShowApi(api).getEpisodes({ seriesId: emulator.showId(show), userId: user.id, season: 2, fields: [ItemFields.ProviderIds] });
			assert.deepEqual(
				(episodes.data.Items ?? []).map((e) => [e.ParentIndexNumber, e.IndexNumber, e.ProviderIds?.Tvdb]),
				library.episodes.filter((e) => e.show === show && e.season === 2).map((e) => [2, e.episode, e.guids.tvdb]),
			);
		});

		it('a favourite it sets survives our position and played writes; it reads what we wrote', async () => {
			const movie = library.movies[3];
			const itemId = emulator.idOf(movie);
			await getUserDataApi(api).markFavoriteItem({ itemId, userId: user.id });
			await ours({ resource: 'item', operation: 'setPosition', itemId, position: 900, positionUnit: 's' });
			let data = (await getUserDataApi(api).getItemUserData({ itemId, userId: user.id })).data;
			assert.equal(data.IsFavorite, true);
			assert.equal(data.PlaybackPositionTicks, 9_000_000_000);
			await ours({ resource: 'item', operation: 'markPlayed', itemId, watchedAt: '2026-02-03T04:05:06Z' });
			data = (await getUserDataApi(api).getItemUserData({ itemId, userId: user.id })).data;
			assert.equal(data.IsFavorite, true);
			assert.equal(data.Played, true);
			assert.equal(data.LastPlayedDate, '2026-02-03T04:05:06.0000000Z');
		});

		it('what it writes (played, unplayed, a position) our node reads', async () => {
			const movie = library.movies[5];
			const itemId = emulator.idOf(movie);
			await getUserDataApi(api).markPlayedItem({ itemId, userId: user.id, datePlayed: '2026-01-01T10:00:00Z' });
			assert.deepEqual((await ours({ resource: 'item', operation: 'get', itemId }))[0].json.played, true);
			await getUserDataApi(api).markUnplayedItem({ itemId, userId: user.id });
			await getUserDataApi(api).updateItemUserData({ itemId, userId: user.id, updateUserItemDataDto: { PlaybackPositionTicks: 12_000_000_000 } });
			const read = (await ours({ resource: 'item', operation: 'get', itemId }))[0].json;
			assert.equal(read.played, false);
			assert.equal(read.positionMs, 1_200_000);
		});

		it('had none of its requests refused', () => {
			assert.deepEqual(refused(emulator), []);
		});
	});
}
