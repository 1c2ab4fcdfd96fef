/**
 * The Watcher triggers against the emulated servers' live channels (real sockets, real HTTP), for
 * a household whose people have other names on each server: what a person does becomes one event
 * each, for that person; a lost connection or a restart misses nothing and repeats nothing; a bad
 * token fails the activation without a single socket attempt; junk on the channel is no event.
 */
import type { ICredentialType, IDataObject, INodeType } from 'n8n-workflow';
import { EmbyApi } from '../../credentials/EmbyApi.credentials';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { HOUSEHOLD_MAPPING, initialPlays, PEOPLE, startHouseholdServers, type Person } from '../../dev/demo/household';
import { mark, playThrough, report, type Server } from '../../dev/demo/players';
import { DEMO, stopDemoServers, type DemoServers } from '../../dev/demo/world';
import { seedLibrary, type SeedItem } from '../../dev/emulators/library';
import { delay } from '../../dev/lib/builtins';
import { EmbyWatcherTrigger } from '../../nodes/EmbyWatcherTrigger/EmbyWatcherTrigger.node';
import { JellyfinWatcherTrigger } from '../../nodes/JellyfinWatcherTrigger/JellyfinWatcherTrigger.node';
import { PlexWatcherTrigger } from '../../nodes/PlexWatcherTrigger/PlexWatcherTrigger.node';
import { startTrigger, type RunningTrigger, type TriggerSetup } from '../support/trigger';

let servers: DemoServers;
beforeAll(async () => {
	servers = await startHouseholdServers(seedLibrary({ movies: 120, shows: 4, seasonsPerShow: 2, episodesPerSeason: 5 }));
});
afterAll(async () => await stopDemoServers(servers));

const NODES: Record<Server, { node: INodeType; credentialType: ICredentialType; credentials: () => IDataObject }> = {
	plex: { node: new PlexWatcherTrigger(), credentialType: new PlexApi(), credentials: () => ({ baseUrl: servers.plex.url, token: DEMO.plexToken, clientIdentifier: 'watcher-test', plexTvUrl: servers.plexTv!.url }) },
	jellyfin: { node: new JellyfinWatcherTrigger(), credentialType: new JellyfinApi(), credentials: () => ({ baseUrl: servers.jellyfin.url, token: DEMO.jellyfinApiKey }) },
	emby: { node: new EmbyWatcherTrigger(), credentialType: new EmbyApi(), credentials: () => ({ baseUrl: servers.emby.url, apiKey: DEMO.embyApiKey }) },
};

const running: RunningTrigger[] = [];
afterEach(async () => {
	for (const t of running.splice(0)) await t.close();
});

async function watch(server: Server, extra: Partial<TriggerSetup> = {}): Promise<RunningTrigger> {
	const n = NODES[server];
	const t = await startTrigger(n.node, {
		credentialType: n.credentialType,
		credentials: n.credentials(),
		params: { pollSeconds: 2, options: {} },
		otherCredentials: { watchStateHouseholdApi: { mapping: HOUSEHOLD_MAPPING, matchByName: true } },
		...extra,
	});
	running.push(t);
	// Connected: the emulator holds its socket.
	await until('the socket', () => (servers[server].live.open.size > 0 ? true : undefined));
	return t;
}

async function until<T>(what: string, probe: () => T | undefined, ms = 15_000): Promise<T> {
	const end = Date.now() + ms;
	for (;;) {
		const value = probe();
		if (value !== undefined) return value;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await delay(20);
	}
}

const idOf = (server: Server, item: SeedItem) => (server === 'plex' ? servers.plex.keyOf(item) : servers[server].idOf(item));
const about = (t: RunningTrigger, server: Server, item: SeedItem) => t.events.filter((e) => e.id === idOf(server, item));
const names = (t: RunningTrigger, server: Server, item: SeedItem) => about(t, server, item).map((e) => e.event);
/** Waits for an event, then a little longer, so an event emitted twice would show. */
async function settled(t: RunningTrigger, server: Server, item: SeedItem, event: string): Promise<IDataObject[]> {
	await until(`${event} of ${item.title}`, () => (names(t, server, item).includes(event) ? true : undefined));
	await delay(server === 'plex' ? 300 : 2500);
	return about(t, server, item);
}

/** A movie nobody has played anywhere (so every change to it is the test's). */
function unplayedMovie(k: number): SeedItem {
	const plays = initialPlays(servers.library);
	const anyone = new Set(Object.values(plays).flatMap((p) => Object.values(p).flat()));
	return servers.library.movies.filter((m, i) => !anyone.has(m) && i % 29 !== 0)[k];
}

describe.each<[Server, Person]>([
	['plex', 'bob'],
	['jellyfin', 'alice'],
	['emby', 'bob'],
])('the %s Watcher, for %s', (server, person) => {
	const user = () => PEOPLE[person][server]!;
	const offset = { plex: 0, jellyfin: 3, emby: 6 }[server];

	it('a play, a pause and a stop at 95 % are one play, one pause and one scrobble, for that person', async () => {
		const t = await watch(server);
		const movie = unplayedMovie(offset);
		await report(servers, server, user(), movie, 'start', 0);
		await until('the play', () => (names(t, server, movie).includes('play') ? true : undefined));
		await report(servers, server, user(), movie, 'paused', 600_000);
		await until('the pause', () => (names(t, server, movie).includes('pause') ? true : undefined));
		await report(servers, server, user(), movie, 'stopped', movie.durationMs * 0.95);
		const events = await settled(t, server, movie, 'scrobble');
		expect(events.map((e) => e.event)).toEqual(['play', 'pause', 'scrobble']);
		expect(events.every((e) => e.userName === user().name && e.userId === user().id && e.person === person)).toBe(true);
		expect(events[1]).toMatchObject({ positionMs: 600_000, tainted: true });
		expect(events[2]).toMatchObject({ played: true, tainted: false, type: 'movie', guids: expect.objectContaining({}) });
		expect(Object.keys(events[2].guids as object).length).toBeGreaterThan(0);
	});

	it('a mark and an un-mark by hand are one played and one unplayed event; an un-mark of what it never knew played is none', async () => {
		const t = await watch(server);
		const movie = unplayedMovie(offset + 1);
		await mark(servers, server, user(), movie, true);
		await settled(t, server, movie, 'played');
		await mark(servers, server, user(), movie, false);
		const events = await settled(t, server, movie, 'unplayed');
		expect(events.map((e) => [e.event, e.person, e.played, e.tainted])).toEqual([
			['played', person, true, false],
			['unplayed', person, false, false],
		]);
		// Un-marking an item that was never played changes nothing the Watcher knew: no event.
		const never = unplayedMovie(offset + 2);
		await mark(servers, server, user(), never, false);
		await delay(server === 'plex' ? 500 : 2500);
		expect(about(t, server, never)).toEqual([]);
	});
});

describe('the sync\'s own writes', () => {
	it("a mark another server's Watcher emitted, written here by the sync, is not emitted again; the person's un-mark after it is", async () => {
		const plex = await watch('plex');
		const jellyfin = await watch('jellyfin');
		const movie = unplayedMovie(20);
		await mark(servers, 'jellyfin', PEOPLE.alice.jellyfin!, movie, true);
		await settled(jellyfin, 'jellyfin', movie, 'played');
		// What Apply Watch State does with that event on Plex: the Plex Watcher sees the mark.
		await mark(servers, 'plex', PEOPLE.alice.plex!, movie, true);
		await delay(1000);
		expect(about(plex, 'plex', movie)).toEqual([]);
		// alice then un-marks it on Jellyfin: that is hers, and goes on.
		await mark(servers, 'jellyfin', PEOPLE.alice.jellyfin!, movie, false);
		expect((await settled(jellyfin, 'jellyfin', movie, 'unplayed')).map((e) => e.event)).toEqual(['played', 'unplayed']);
	});
});

describe('bad input', () => {
	it('a wrong token fails the activation with the reason, without one socket attempt', async () => {
		for (const server of ['plex', 'jellyfin', 'emby'] as Server[]) {
			const before = servers[server].live.attempts;
			const n = NODES[server];
			const credentials = { ...n.credentials(), token: 'dummy-wrong-token', apiKey: 'dummy-wrong-token' };
			await expect(startTrigger(n.node, { credentialType: n.credentialType, credentials, params: { options: {} } })).rejects.toThrow(/Watcher: the .* server refuses the credential \(HTTP 40[13]\)/);
			expect(servers[server].live.attempts).toBe(before);
		}
	});

	it('malformed and foreign messages are logged and ignored, never an event', async () => {
		const logs: Array<{ level: string; message: string }> = [];
		const plex = await watch('plex', { logs });
		const jellyfin = await watch('jellyfin', { logs });
		servers.plex.live.broadcast('not json at all');
		servers.plex.live.broadcast({ NotificationContainer: { type: 'playing', PlaySessionStateNotification: [{ sessionKey: '9', state: 'exploding' }] } });
		servers.jellyfin.live.broadcast({ MessageType: 'Sessions', Data: 'not a list' });
		servers.jellyfin.live.broadcast({ hello: 'world' });
		await until('four log lines', () => (logs.filter((l) => /ignored/.test(l.message)).length >= 4 ? true : undefined));
		expect([...plex.events, ...jellyfin.events]).toEqual([]);
	});
});

describe('nothing missed, nothing twice', () => {
	it('plays while the connection is cut all arrive after the reconnect, once each', async () => {
		for (const server of ['plex', 'jellyfin'] as Server[]) {
			const t = await watch(server);
			const who = PEOPLE.alice[server]!;
			const movies = [10, 11, 12].map((k) => unplayedMovie(k + (server === 'plex' ? 0 : 3)));
			servers[server].live.refuseWith = 503;
			servers[server].live.dropAll();
			for (const movie of movies) await playThrough(servers, server, who, movie, `cut-${server}`);
			servers[server].live.refuseWith = undefined;
			for (const movie of movies) await settled(t, server, movie, 'played');
			await delay(2500);
			for (const movie of movies) expect(names(t, server, movie).filter((e) => e === 'played' || e === 'scrobble')).toEqual(['played']);
		}
	});

	it('plays while the workflow was off are caught up on the next activation from the kept cursor, once each', async () => {
		const staticData: IDataObject = {};
		const first = await watch('emby', { staticData });
		const who = PEOPLE.alice.emby!;
		const before = unplayedMovie(16);
		await playThrough(servers, 'emby', who, before);
		await settled(first, 'emby', before, 'scrobble');
		await first.close();
		expect(servers.emby.live.open.size).toBe(0);
		const away = [17, 18, 19].map(unplayedMovie);
		for (const movie of away) await playThrough(servers, 'emby', who, movie);
		const second = await watch('emby', { staticData });
		for (const movie of away) await settled(second, 'emby', movie, 'played');
		expect(away.map((m) => names(second, 'emby', m))).toEqual([['played'], ['played'], ['played']]);
		// The play it had emitted before it was off is not emitted again.
		expect(about(second, 'emby', before)).toEqual([]);
	});
});
