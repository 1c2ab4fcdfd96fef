/**
 * trakt.tv (a widely used Trakt client) against the emulated Trakt: scrobble start / pause /
 * stop, history add / read / remove, playback, search by id, last activities and a token
 * refresh. Its writes are spaced by a second: Trakt allows one write per second, and this
 * client does not retry a 429.
 */
import Trakt from 'trakt.tv';
import { seedLibrary } from '../../dev/emulators/library';
import { TraktEmulator } from '../../dev/emulators/trakt';
import { delay } from '../../dev/lib/builtins';
import { after, assert, before, describe, it, refused } from './harness';

const library = seedLibrary({ movies: 5, shows: 1, seasonsPerShow: 1, episodesPerSeason: 3 });
const CLIENT = { id: 'dummy-referee-trakt-id', secret: 'dummy-referee-trakt-secret' };
const emulator = new TraktEmulator({ library, clientId: CLIENT.id, clientSecret: CLIENT.secret });
let trakt: InstanceType<typeof Trakt>;
let lastWrite = 0;

/** One write per second, as Trakt asks. */
async function write<T>(call: () => Promise<T>): Promise<T> {
	const wait = lastWrite + 1050 - Date.now();
	if (wait > 0) await delay(wait);
	lastWrite = Date.now();
	return await call();
}

describe('trakt.tv drives the emulated Trakt', () => {
	before(async () => {
		await emulator.start();
		trakt = new Trakt({ client_id: CLIENT.id, client_secret: CLIENT.secret, api_url: emulator.url, redirect_uri: 'urn:ietf:wg:oauth:2.0:oob' });
		const pair = emulator.issueTokens();
		trakt.import_token({ ...pair, expires: Date.now() + 86_400_000 });
	});
	after(async () => {
		await emulator.stop();
	});

	it('scrobbles a movie: start, pause, stop past 80 % lands one play', async () => {
		const movie = { ids: { imdb: library.movies[0].guids.imdb } };
		assert.equal((await write(() => trakt.scrobble.start({ movie, progress: 5 }))).action, 'start');
		assert.equal((await write(() => trakt.scrobble.pause({ movie, progress: 40 }))).action, 'pause');
		assert.equal((await write(() => trakt.scrobble.stop({ movie, progress: 95 }))).action, 'scrobble');
		assert.equal(emulator.history.length, 1);
	});

	it('scrobbles an episode by its TVDB id', async () => {
		const episode = { ids: { tvdb: Number(library.episodes[1].guids.tvdb) } };
		assert.equal((await write(() => trakt.scrobble.stop({ episode, progress: 92 }))).action, 'scrobble');
	});

	it('adds plays with dates to the history, reads them back, removes one', async () => {
		const added = await write(() => trakt.sync.history.add({ movies: [{ ids: { tmdb: Number(library.movies[2].guids.tmdb) }, watched_at: '2025-05-05T10:00:00.000Z' }] }));
		assert.deepEqual(added.added, { movies: 1, episodes: 0 });
		const history = await trakt.sync.history.get({ type: 'movies' });
		assert.ok(history.some((h: { watched_at: string }) => h.watched_at === '2025-05-05T10:00:00.000Z'));
		const watched = await trakt.sync.watched({ type: 'movies' });
		assert.ok(watched.some((w: { movie: { ids: { tmdb: string } }; plays: number }) => String(w.movie.ids.tmdb) === library.movies[2].guids.tmdb && w.plays === 1));
		const shows = await trakt.sync.watched({ type: 'shows' });
		assert.deepEqual(shows[0].seasons[0].episodes.map((e: { number: number }) => e.number), [library.episodes[1].episode]);
		const removed = await write(() => trakt.sync.history.remove({ movies: [{ ids: { tmdb: Number(library.movies[2].guids.tmdb) } }] }));
		assert.equal(removed.deleted.movies, 1);
	});

	it('reads playback progress, searches by id and reads last activities', async () => {
		await write(() => trakt.scrobble.pause({ movie: { ids: { imdb: library.movies[3].guids.imdb } }, progress: 33 }));
		const playback = await trakt.sync.playback.get({ type: 'movies' });
		assert.deepEqual(
			playback.map((p: { progress: number }) => p.progress),
			[33],
		);
		const found = await trakt.search.id({ id_type: 'imdb', id: library.movies[3].guids.imdb, type: 'movie' });
		assert.equal(found[0].movie.ids.imdb, library.movies[3].guids.imdb);
		const activities = await trakt.sync.last_activities();
		assert.ok(activities.movies.watched_at);
	});

	it('refreshes its token once; the spent refresh token is refused afterwards', async () => {
		const before = trakt.export_token();
		const after = await trakt.refresh_token();
		assert.notEqual(after.access_token, before.access_token);
		assert.equal((await trakt.sync.last_activities()).movies !== undefined, true);
		trakt.import_token({ ...after, refresh_token: before.refresh_token });
		await assert.rejects(() => trakt.refresh_token());
	});

	it('had none of its requests refused', () => {
		assert.deepEqual(refused(emulator), []);
	});
});
