/**
 * A household in a real n8n with the shipped templates: three people named differently on three
 * servers (one seeing only the movies, one a managed Plex user without a PIN, one with no Emby
 * user), Plex acting for each through the emulated plex.tv. Each person's state must converge on
 * that person's users only; an un-mark, propagated, must reach only its person; each webhook must
 * land on its user's counterparts only.
 */
import { initialPlays, PEOPLE, sees, startHouseholdServers, UNREACHABLE, type Person } from '../../dev/demo/household';
import { watchedRequest } from '../../dev/demo/payloads';
import { stopDemoServers, type DemoServers } from '../../dev/demo/world';
import type { SeedItem } from '../../dev/emulators/library';
import type { WriteRecord } from '../../dev/emulators/server';
import { startStack, type Stack } from '../../dev/n8n/stack';
import { delay, post, until } from './helpers';

type Server = 'plex' | 'jellyfin' | 'emby';
const SERVERS: Server[] = ['plex', 'jellyfin', 'emby'];
const PERSONS: Person[] = ['alice', 'bob', 'kid'];
const log = (line: string) => void line;

/** Whose user a write went to. */
function personOfUser(server: Server, userId: string): Person {
	const person = PERSONS.find((p) => PEOPLE[p][server]?.id === userId);
	if (!person) throw new Error(`a write went to ${server} user ${userId}, who is nobody in the household`);
	return person;
}

function allWrites(servers: DemoServers): Array<WriteRecord & { server: Server }> {
	return SERVERS.flatMap((server) => servers[server].writes.map((w) => ({ ...w, server })));
}

describe('a household: the full sync template in a real n8n', () => {
	let servers: DemoServers;
	let stack: Stack;
	const EVERY = 12;
	beforeAll(async () => {
		servers = await startHouseholdServers(undefined, { unreachable: true });
		stack = await startStack(servers, { name: 'e2e-household', port: 5688, brokerPort: 5689, templates: ['full-sync.json'], scheduleEverySeconds: EVERY, propagateUnplayed: true, saveSuccessfulExecutions: true, log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	const items = () => [...servers.library.movies, ...servers.library.episodes].filter((i) => Object.keys(i.guids).length > 0 || (i.kind === 'episode' && Object.keys(i.show.guids).length > 0));
	const played = (person: Person, server: Server, item: SeedItem) => servers[server].stateOf(PEOPLE[person][server]!.id, item).played;
	/** What each person played anywhere at the start: what each of their users must show. */
	const wanted = () => {
		const plays = initialPlays(servers.library);
		return Object.fromEntries(PERSONS.map((p) => [p, new Set(Object.values(plays[p]).flat())])) as Record<Person, Set<SeedItem>>;
	};
	const converged = (want: Record<Person, Set<SeedItem>>) =>
		PERSONS.every((p) => items().every((item) => SERVERS.filter((s) => sees(p, s, item)).every((s) => played(p, s, item) === want[p].has(item))));

	it("converges each person to their own plays on their own users only, and the next runs write nothing", async () => {
		const want = wanted();
		expect(converged(want)).toBe(false);
		expect(await until(() => converged(want), 150_000, 500)).toBe(true);
		// Every write went to a household user, and only marked what that person had played.
		for (const w of allWrites(servers)) {
			const person = personOfUser(w.server, w.userId);
			const item = items().find((i) => (w.server === 'plex' ? servers.plex.keyOf(i) : servers[w.server].idOf(i)) === w.itemId)!;
			expect([person, w.action, want[person].has(item)]).toEqual([person, 'played', true]);
		}
		// The people's states really differ: bob never watched most of what alice did, and still has not.
		const aliceOnly = [...want.alice].filter((i) => !want.bob.has(i) && i.kind === 'movie');
		expect(aliceOnly.length).toBeGreaterThan(5);
		expect(aliceOnly.every((i) => SERVERS.every((s) => played('bob', s, i) === false))).toBe(true);
		const settled = allWrites(servers).length;
		const runs = () => servers.plex.requestsByRoute.get('GET ^\\/library\\/sections\\/all$') ?? 0;
		const before = runs();
		expect(await until(() => runs() >= before + 2 * 3, 5 * EVERY * 1000, 500)).toBe(true);
		await delay(3000);
		expect(allWrites(servers).length).toBe(settled);
	});

	it('skips the two people Plex cannot be acted for, saying who and why; while plex.tv answers 429 the kept tokens carry the run', async () => {
		// Nothing was ever written for gran (a PIN) or fred (no token from plex.tv) on Plex.
		for (const person of Object.values(UNREACHABLE)) expect(servers.plex.writes.filter((w) => w.userId === person.plex.id)).toEqual([]);
		const summaries = stack.sql("select d.data as data from execution_data d join execution_entity e on e.id = d.executionId where e.status = 'success' order by e.id desc limit 1").map((r) => String(r.data));
		expect(summaries[0]).toMatch(/skippedUsers/);
		expect(summaries[0]).toMatch(/Plex home user \\?"gran\\?" is protected by a PIN/);
		expect(summaries[0]).toMatch(/no Plex token for \\?"fred\\?"/);
		for (const person of Object.values(UNREACHABLE)) expect(summaries[0]).not.toContain(person.plex.token);

		// plex.tv now throttles everything; bob and kid play something new on Jellyfin.
		servers.plexTv!.addFault({ status: 429, retryAfter: 0, times: Infinity });
		// (Films with ids: every 29th film has none.)
		const [forBob, forKid] = [servers.library.movies[59], servers.library.movies[55]];
		const now = Date.now();
		servers.jellyfin.seedState(PEOPLE.bob.jellyfin!.id, forBob, { played: true, playCount: 1, lastPlayedAt: now, updatedAt: now });
		servers.jellyfin.seedState(PEOPLE.kid.jellyfin!.id, forKid, { played: true, playCount: 1, lastPlayedAt: now, updatedAt: now });
		expect(await until(() => played('bob', 'plex', forBob) && played('kid', 'plex', forKid), 90_000, 500)).toBe(true);
		servers.plexTv!.clearFaults();
	});

	it("an un-mark by one person, with Propagate Un-Marks on, reaches only that person's users", async () => {
		// A movie both alice and bob have played everywhere by now.
		const shared = servers.library.movies.find((m, i) => i % 5 === 0 && i % 3 === 1)!;
		expect(SERVERS.every((s) => played('alice', s, shared) && played('bob', s, shared))).toBe(true);
		const before = Object.fromEntries(SERVERS.map((s) => [s, servers[s].writes.length])) as Record<Server, number>;
		// alice un-marks it in Jellyfin.
		servers.jellyfin.seedState(PEOPLE.alice.jellyfin!.id, shared, { played: false, updatedAt: Date.now() });
		expect(await until(() => !played('alice', 'plex', shared) && !played('alice', 'emby', shared), 90_000, 500)).toBe(true);
		const unmarks = SERVERS.flatMap((server) => servers[server].writes.slice(before[server]).map((w) => ({ ...w, server })));
		expect(unmarks.map((w) => [w.server, personOfUser(w.server, w.userId), w.action])).toEqual(
			expect.arrayContaining([
				['plex', 'alice', 'unplayed'],
				['emby', 'alice', 'unplayed'],
			]),
		);
		expect(unmarks.every((w) => personOfUser(w.server, w.userId) === 'alice')).toBe(true);
		expect(SERVERS.every((s) => played('bob', s, shared))).toBe(true);
	});
});

describe('a household: webhooks in a real n8n', () => {
	let servers: DemoServers;
	let stack: Stack;
	beforeAll(async () => {
		servers = await startHouseholdServers();
		stack = await startStack(servers, { name: 'e2e-household-hooks', port: 5688, brokerPort: 5689, templates: ['realtime-sync.json'], log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});

	const send = async (from: Server, person: Person, item: SeedItem) => {
		const user = PEOPLE[person][from]!;
		const req = watchedRequest(servers, item, from, { id: user.id, name: user.name });
		const url = stack.workflows.flatMap((w) => w.webhooks).find((h) => h.node === req.trigger)!.url;
		return await post(url, req.body, req.headers, req.method);
	};
	const wrote = (server: Server) => servers[server].writes.map((w) => [personOfUser(server, w.userId), w.itemId, w.action]);

	it("a managed Plex user's play lands on their Jellyfin user only; Emby, where they have no user, gets nothing", async () => {
		const movie = servers.library.movies.find((m, i) => !initialPlays(servers.library).kid.plex!.includes(m) && i % 7 !== 3)!;
		expect((await send('plex', 'kid', movie)).status).toBe(200);
		expect(await until(() => servers.jellyfin.writes.length === 1, 60_000)).toBe(true);
		await delay(3000);
		expect(wrote('jellyfin')).toEqual([['kid', servers.jellyfin.idOf(movie), 'played']]);
		expect(servers.emby.writes).toEqual([]);
	});

	it("a friend's Jellyfin play lands on their Plex user (token from plex.tv) and their Emby user, nobody else's", async () => {
		const movie = servers.library.movies[40];
		expect((await send('jellyfin', 'bob', movie)).status).toBe(200);
		expect(await until(() => servers.plex.writes.length === 1 && servers.emby.writes.length === 1, 60_000)).toBe(true);
		expect(wrote('plex')).toEqual([['bob', servers.plex.keyOf(movie), 'played']]);
		expect(wrote('emby')).toEqual([['bob', servers.emby.idOf(movie), 'played']]);
		// kid, who never played it, still has not.
		expect(servers.plex.stateOf(PEOPLE.kid.plex!.id, movie).played).toBe(false);
	});
});
