/**
 * The Watcher template in a real n8n (Node 24's own WebSocket), no webhook configured anywhere:
 * what a person of the household does on one server — a play, a pause, a stop at 95 %, a mark and
 * an un-mark by hand — reaches the other two, once each, on that person's users only; and nothing
 * is lost or doubled when the server's connection is cut, or n8n restarts, while three plays happen.
 */
import { parse } from 'flatted';
import { initialPlays, PEOPLE, startHouseholdServers, type Person } from '../../dev/demo/household';
import { mark, playThrough, report, type Server } from '../../dev/demo/players';
import { DEMO, stopDemoServers, type DemoServers } from '../../dev/demo/world';
import { fs } from '../../dev/lib/builtins';
import { seedLibrary, type SeedItem } from '../../dev/emulators/library';
import { startStack, type Stack } from '../../dev/n8n/stack';
import { delay, until } from './helpers';

const SERVERS: Server[] = ['plex', 'jellyfin', 'emby'];
const LABEL: Record<Server, string> = { plex: 'Plex', jellyfin: 'Jellyfin', emby: 'Emby' };
const log = (line: string) => void line;

describe('real-time sync through the Watchers in a real n8n: a household, no webhooks', () => {
	let servers: DemoServers;
	let stack: Stack;
	beforeAll(async () => {
		servers = await startHouseholdServers(seedLibrary({ movies: 120, shows: 4, seasonsPerShow: 2, episodesPerSeason: 5 }));
		stack = await startStack(servers, { name: 'e2e-watcher', port: 5688, brokerPort: 5689, templates: ['watcher-sync.json'], watcherPollSeconds: 3, saveSuccessfulExecutions: true, log });
		expect(await until(() => SERVERS.every((s) => servers[s].live.open.size > 0), 60_000)).toBe(true);
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	const idOf = (server: Server, item: SeedItem) => (server === 'plex' ? servers.plex.keyOf(item) : servers[server].idOf(item));
	/** Movies nobody played anywhere at the start, each used by one step only. */
	let next = 0;
	const freshMovie = () => {
		const anyone = new Set(Object.values(initialPlays(servers.library)).flatMap((p) => Object.values(p).flat()));
		return servers.library.movies.filter((m, i) => !anyone.has(m) && i % 29 !== 0)[next++];
	};
	/** The writes n8n made on a server for an item: [person, action]. */
	const wrote = (server: Server, item: SeedItem) =>
		servers[server].writes
			.filter((w) => w.itemId === idOf(server, item))
			.map((w) => [(Object.keys(PEOPLE) as Person[]).find((p) => PEOPLE[p][server]?.id === w.userId) ?? `user ${w.userId}`, w.action, ...(w.action === 'position' ? [w.positionMs] : [])]);
	/** What the Watchers emitted, from the executions n8n kept: [watcher, event, item id, person]. */
	const emitted = () =>
		stack.sql('select d.data as data from execution_data d').flatMap((row) => {
			const run = parse(String(row.data)) as { resultData?: { runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }>> } }>> } };
			return SERVERS.flatMap((s) => (run.resultData?.runData?.[`${LABEL[s]} Watcher`]?.[0]?.data?.main?.[0] ?? []).map((i) => [s, i.json.event, i.json.id, i.json.person]));
		});
	const emittedFor = (server: Server, item: SeedItem) => emitted().filter((e) => e[0] === server && e[2] === idOf(server, item)).map((e) => [e[1], e[3]]);
	const others = (server: Server) => SERVERS.filter((s) => s !== server);

	it.each<[Server, Person]>([
		['plex', 'bob'],
		['jellyfin', 'alice'],
		['emby', 'bob'],
	])('%s: a play, a pause, a stop at 95 %%, a mark and an un-mark by %s reach the other two servers once each, on their users only', async (server, person) => {
		const user = PEOPLE[person][server]!;
		const [watched, marked] = [freshMovie(), freshMovie()];
		await report(servers, server, user, watched, 'start', 0);
		expect(await until(() => emittedFor(server, watched).length === 1, 60_000)).toBe(true);
		await report(servers, server, user, watched, 'paused', 600_000);
		expect(await until(() => others(server).every((s) => wrote(s, watched).length === 1), 60_000)).toBe(true);
		await report(servers, server, user, watched, 'stopped', watched.durationMs * 0.95);
		expect(await until(() => others(server).every((s) => wrote(s, watched).length === 2), 60_000)).toBe(true);
		await mark(servers, server, user, marked, true);
		expect(await until(() => others(server).every((s) => wrote(s, marked).length === 1), 60_000)).toBe(true);
		await mark(servers, server, user, marked, false);
		expect(await until(() => others(server).every((s) => wrote(s, marked).length === 2), 60_000)).toBe(true);
		// Long enough for a repeat, an echo of our own writes or a poll to show.
		await delay(8000);
		for (const target of others(server)) {
			expect(wrote(target, watched)).toEqual([
				[person, 'position', 600_000],
				[person, 'played'],
			]);
			expect(wrote(target, marked)).toEqual([
				[person, 'played'],
				[person, 'unplayed'],
			]);
		}
		expect(emittedFor(server, watched)).toEqual([
			['play', person],
			['pause', person],
			['scrobble', person],
		]);
		expect(emittedFor(server, marked)).toEqual([
			['played', person],
			['unplayed', person],
		]);
	});

	it('three plays on Plex while its connection is cut reach Jellyfin and Emby after the reconnect, once each', async () => {
		const alice = PEOPLE.alice.plex!;
		const movies = [freshMovie(), freshMovie(), freshMovie()];
		servers.plex.live.refuseWith = 503;
		servers.plex.live.dropAll();
		for (const movie of movies) await playThrough(servers, 'plex', alice, movie);
		await delay(3000);
		expect(movies.flatMap((m) => [...wrote('jellyfin', m), ...wrote('emby', m)])).toEqual([]);
		servers.plex.live.refuseWith = undefined;
		expect(await until(() => movies.every((m) => wrote('jellyfin', m).length === 1 && wrote('emby', m).length === 1), 90_000)).toBe(true);
		await delay(8000);
		for (const movie of movies) {
			expect([wrote('jellyfin', movie), wrote('emby', movie)]).toEqual([[['alice', 'played']], [['alice', 'played']]]);
		}
	});

	it('three plays on Jellyfin while n8n is down reach Plex and Emby once it is back, once each', async () => {
		const bob = PEOPLE.bob.jellyfin!;
		const movies = [freshMovie(), freshMovie(), freshMovie()];
		await stack.restartMain(async () => {
			for (const movie of movies) await playThrough(servers, 'jellyfin', bob, movie);
		});
		expect(await until(() => movies.every((m) => wrote('plex', m).length === 1 && wrote('emby', m).length === 1), 120_000)).toBe(true);
		await delay(8000);
		for (const movie of movies) {
			expect([wrote('plex', movie), wrote('emby', movie)]).toEqual([[['bob', 'played']], [['bob', 'played']]]);
		}
	});

	it("logs its connections, reconnects and refusals without any server's token or key", () => {
		const text = fs.readFileSync(stack.logFile, 'utf8');
		expect(text).toMatch(/Plex Watcher: connected/);
		expect(text).toMatch(/Plex Watcher: the live connection (was lost|could not be opened)/);
		const secrets = [DEMO.plexToken, DEMO.jellyfinApiKey, DEMO.embyApiKey, ...(Object.values(PEOPLE).flatMap((p) => Object.values(p)).filter(Boolean) as Array<{ token: string }>).map((u) => u.token)];
		for (const secret of secrets) expect(text).not.toContain(secret);
	});
});
