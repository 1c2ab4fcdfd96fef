/**
 * A household where not everyone can be acted for on Plex: a home user with a PIN, a friend
 * plex.tv hands no token for, an account the server lists after its share ended. Each costs that
 * person only: the others sync, the summary says who was skipped and why. Tokens plex.tv handed
 * out are kept (encrypted, in the workflow's static data) and carry a run while plex.tv answers
 * 429; a kept token the server refuses is renewed.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { Jellyfin } from '../../nodes/Jellyfin/Jellyfin.node';
import { Plex } from '../../nodes/Plex/Plex.node';
import { WatchState } from '../../nodes/WatchState/WatchState.node';
import { seedLibrary, type SeedItem } from '../../dev/emulators/library';
import { JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator } from '../../dev/emulators/plex';
import { PlexTvEmulator } from '../../dev/emulators/plextv';
import { runNode, runNodeOutputs } from '../support/execute';

const library = seedLibrary({ movies: 10, shows: 2, seasonsPerShow: 1, episodesPerSeason: 3 });
const KEY = 'dummy-unreachable-key';
const plexUsers = {
	alice: { id: '1', name: 'alice', token: 'dummy-plex-owner' },
	bob: { id: '3001', name: 'bob', token: 'dummy-plex-server-bob', libraries: ['movies' as const] },
	kid: { id: '3002', name: 'kid', token: 'dummy-plex-server-kid' },
	pin: { id: '3003', name: 'gran', token: 'dummy-plex-server-gran' },
	fred: { id: '3004', name: 'fred', token: 'dummy-plex-server-fred' },
};
const plex = new PlexEmulator({ library, users: Object.values(plexUsers), machineIdentifier: 'bbbbccccddddeeeeffff00001111222233334444', staleAccounts: [{ id: '3005', name: 'olduser' }] });
const plexTv = new PlexTvEmulator({
	server: plex,
	accounts: [
		{ id: 9001, username: 'alice', title: 'alice', token: plexUsers.alice.token, kind: 'owner' },
		{ id: 3001, username: 'bob', title: 'bob', token: 'dummy-tv-bob', kind: 'friend', serverUser: plexUsers.bob },
		{ id: 3002, username: '', title: 'kid', token: 'dummy-tv-kid', kind: 'home', serverUser: plexUsers.kid },
		{ id: 3003, username: '', title: 'gran', token: 'dummy-tv-gran', kind: 'home', pin: '4321', serverUser: plexUsers.pin },
		{ id: 3004, username: 'fred', title: 'fred', token: 'dummy-tv-fred', kind: 'friend', serverUser: plexUsers.fred, withholdToken: true },
	],
});
const jfUser = (n: number, name: string) => ({ id: `${n}`.padStart(32, 'a'), name, token: `dummy-jf-${name}`, admin: n === 1 });
const jfUsers = { alice: jfUser(1, 'alice'), bob: jfUser(2, 'bob'), kid: jfUser(3, 'kid'), gran: jfUser(4, 'gran'), fred: jfUser(5, 'fred'), olduser: jfUser(6, 'olduser') };
const jellyfin = new JellyfinEmulator({ library, users: Object.values(jfUsers), apiKey: KEY });
const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

beforeAll(async () => await Promise.all([plex.start(), plexTv.start(), jellyfin.start()]));
afterAll(async () => await Promise.all([plex.stop(), plexTv.stop(), jellyfin.stop()]));
beforeEach(() => {
	for (const s of [plex, plexTv, jellyfin]) {
		s.clearFaults();
		s.resetCounters();
		s.writes.length = 0;
	}
	plex.state.clear();
	jellyfin.state.clear();
	plexTv.sharedServerRequests = 0;
});

const plexCredential = () => ({ baseUrl: plex.url, token: plexUsers.alice.token, clientIdentifier: 'unreachable-test', plexTvUrl: plexTv.url, ignoreSslIssues: false });

async function sync(staticData: IDataObject, snapshot: IDataObject[] = [], options: IDataObject = {}): Promise<INodeExecutionData[][]> {
	return await runNodeOutputs(new WatchState(), {
		credentialType: new PlexApi(),
		credentials: plexCredential(),
		moreCredentials: [[new JellyfinApi(), { baseUrl: jellyfin.url, token: KEY, ignoreSslIssues: false }]],
		otherCredentials: { watchStateHouseholdApi: { mapping: '', matchByName: true } },
		params: { operation: 'syncServers', servers: ['plex', 'jellyfin'], whose: 'household', sources: '', targets: '', propagateUnplayed: false, dryRun: false, options, requestOptions: { retries: 0 } },
		input: snapshot.length > 0 ? snapshot : [{}],
		staticData,
	});
}

/** Every person played one film on Jellyfin. */
function seedPlays(): SeedItem[] {
	const films = library.movies.slice(0, 6);
	Object.values(jfUsers).forEach((u, i) => jellyfin.seedState(u.id, films[i], { played: true, playCount: 1, lastPlayedAt: T0 + i * DAY, updatedAt: T0 + i * DAY }));
	return films;
}

const plexPlayed = (user: { id: string }, item: SeedItem) => plex.stateOf(user.id, item).played;

describe('Sync Servers with people who cannot be acted for on Plex', () => {
	it('syncs everyone else and names who was skipped and why; the tokens it got are kept, unreadable in the static data', async () => {
		const films = seedPlays();
		const staticData: IDataObject = {};
		const [, rows, [summary]] = await sync(staticData);
		expect([plexPlayed(plexUsers.alice, films[0]), plexPlayed(plexUsers.bob, films[1]), plexPlayed(plexUsers.kid, films[2])]).toEqual([true, true, true]);
		expect([plexPlayed(plexUsers.pin, films[3]), plexPlayed(plexUsers.fred, films[4])]).toEqual([false, false]);
		expect(summary.json.skippedUsers).toEqual([
			{ server: 'plex', person: 'gran', user: 'gran', reason: expect.stringMatching(/gran.*protected by a PIN/) },
			{ server: 'plex', person: 'fred', user: 'fred', reason: expect.stringMatching(/no token for "fred"/) },
			{ server: 'plex', person: 'olduser', user: 'olduser', reason: expect.stringMatching(/plex\.tv knows no friend or home user 3005/) },
		]);
		// One shared-servers request for the whole run, however many friends.
		expect(plexTv.sharedServerRequests).toBe(1);
		// The skipped people's Plex snapshot is not written as "nothing listed" for them.
		expect(rows.map((r) => `${String(r.json.person)}/${String(r.json.backend)}`).sort()).toEqual(
			['alice/jellyfin', 'alice/plex', 'bob/jellyfin', 'bob/plex', 'fred/jellyfin', 'gran/jellyfin', 'kid/jellyfin', 'kid/plex', 'olduser/jellyfin'].sort(),
		);
		const kept = JSON.stringify(staticData);
		expect(kept).toContain('watchstatePlexTokens');
		for (const token of Object.values(plexUsers).map((u) => u.token)) expect(kept).not.toContain(token);
		expect(JSON.stringify(summary.json)).not.toMatch(/dummy-plex-server/);
	});

	it('a person who left the household (their Jellyfin user deleted) is no failed listing: the others sync, the hint names them', async () => {
		const films = seedPlays();
		const staticData: IDataObject = {};
		const [, rows] = await sync(staticData);
		const users = jellyfin.options.users;
		const kid = users.findIndex((u) => u.name === 'kid');
		const [gone] = users.splice(kid, 1);
		try {
			jellyfin.seedState(jfUsers.bob.id, films[5], { played: true, playCount: 1, lastPlayedAt: T0 + 40 * DAY, updatedAt: T0 + 40 * DAY });
			const hints: Array<{ message: string }> = [];
			const [, next] = await runNodeOutputs(new WatchState(), {
				credentialType: new PlexApi(),
				credentials: plexCredential(),
				moreCredentials: [[new JellyfinApi(), { baseUrl: jellyfin.url, token: KEY, ignoreSslIssues: false }]],
				otherCredentials: { watchStateHouseholdApi: { mapping: '', matchByName: true } },
				params: { operation: 'syncServers', servers: ['plex', 'jellyfin'], whose: 'household', sources: '', targets: '', propagateUnplayed: false, dryRun: false, options: {}, requestOptions: { retries: 0 } },
				input: rows.map((r) => r.json),
				staticData,
				hints,
			});
			expect(plexPlayed(plexUsers.bob, films[5])).toBe(true);
			expect(hints.map((h) => h.message)).toEqual(['Left the household since the last run, so no longer synced or guarded: kid on jellyfin']);
			// kid is still on Plex: that part of the snapshot stays.
			expect(next.map((r) => `${String(r.json.person)}/${String(r.json.backend)}`)).toContain('kid/plex');
			expect(next.map((r) => `${String(r.json.person)}/${String(r.json.backend)}`)).not.toContain('kid/jellyfin');
		} finally {
			users.splice(kid, 0, gone);
		}
	});

	it('Fail When a Person Is Unreachable stops the run before any write', async () => {
		seedPlays();
		await expect(sync({}, [], { failOnSkipped: true })).rejects.toThrow(/Could not act for gran on plex, fred on plex, olduser on plex/);
		expect([plex.writes, jellyfin.writes]).toEqual([[], []]);
	});

	it('with plex.tv answering 429, the kept tokens carry the run; a kept token the server refuses is renewed', async () => {
		const films = seedPlays();
		const staticData: IDataObject = {};
		await sync(staticData);
		// A new play by kid, while plex.tv throttles every call.
		jellyfin.seedState(jfUsers.kid.id, films[5], { played: true, playCount: 1, lastPlayedAt: T0 + 30 * DAY, updatedAt: T0 + 30 * DAY });
		plexTv.addFault({ status: 429, retryAfter: 0, times: Infinity });
		plexTv.resetCounters();
		const [, , [summary]] = await sync(staticData);
		expect(plexPlayed(plexUsers.kid, films[5])).toBe(true);
		expect((summary.json.skippedUsers as IDataObject[]).map((s) => s.person)).toEqual(['gran', 'fred', 'olduser']);

		// kid's token changes on the server (the share was recreated): the kept one is refused once.
		plexTv.clearFaults();
		const old = plexUsers.kid.token;
		plexUsers.kid.token = 'dummy-plex-server-kid-2';
		try {
			jellyfin.seedState(jfUsers.kid.id, films[4], { played: true, playCount: 1, lastPlayedAt: T0 + 31 * DAY, updatedAt: T0 + 31 * DAY });
			await sync(staticData);
			expect(plexPlayed(plexUsers.kid, films[4])).toBe(true);
		} finally {
			plexUsers.kid.token = old;
		}
	});
});

describe('Apply Watch State for a household member who cannot be acted for', () => {
	it('skips that person with the reason and still writes for the next one', async () => {
		const movie = library.movies[7];
		const event = (userName: string): IDataObject => ({ backend: 'jellyfin', userName, type: 'movie', id: 'x', title: movie.title, year: movie.year, guids: { ...movie.guids }, played: true, event: 'scrobble', tainted: false, updatedAt: '2026-03-01T10:00:00.000Z' });
		const out = await runNode(new Plex(), {
			credentialType: new PlexApi(),
			credentials: plexCredential(),
			otherCredentials: { watchStateHouseholdApi: { mapping: '', matchByName: true } },
			params: { resource: 'item', operation: 'apply', whose: 'household', applyOptions: {}, requestOptions: { retries: 0 } },
			input: [event('gran'), event('bob')],
		});
		expect(out.map((o) => [o.json.action, o.json.reason])).toEqual([
			['skipped', expect.stringMatching(/protected by a PIN.*nothing written for this person/)],
			['marked-played', expect.any(String)],
		]);
		expect(plex.writes.map((w) => w.userId)).toEqual([plexUsers.bob.id]);
	});
});

describe('Get Watch State for a household with people who cannot be acted for', () => {
	it('reads everyone else, and says over the output who was left out and why', async () => {
		const at = Date.now() - 60_000;
		for (const user of [plexUsers.alice, plexUsers.bob, plexUsers.pin]) plex.seedState(user.id, library.movies[2], { played: true, playCount: 1, lastPlayedAt: at, updatedAt: at });
		const hints: Array<{ message: string; type?: string }> = [];
		const out = await runNode(new Plex(), {
			credentialType: new PlexApi(),
			credentials: plexCredential(),
			otherCredentials: { watchStateHouseholdApi: { mapping: '', matchByName: true } },
			params: { resource: 'library', operation: 'getWatchState', whose: 'household', filters: { changedSince: new Date(at - 60_000).toISOString() }, requestOptions: { retries: 0 } },
			hints,
		});
		expect(out.map((o) => o.json.person).sort()).toEqual(['alice', 'bob']);
		expect(hints.map((h) => [h.type, h.message])).toEqual(
			expect.arrayContaining([
				['warning', expect.stringMatching(/^gran \(plex user gran\) was left out: .*PIN/)],
				['warning', expect.stringMatching(/^fred \(plex user fred\) was left out/)],
			]),
		);
	});
});

describe('Get Watch State for a household with a Libraries filter', () => {
	const run = (libraries: string[]) =>
		runNode(new Jellyfin(), {
			credentialType: new JellyfinApi(),
			credentials: { baseUrl: jellyfin.url, token: KEY, ignoreSslIssues: false },
			otherCredentials: { watchStateHouseholdApi: { mapping: '', matchByName: true } },
			params: { resource: 'library', operation: 'getWatchState', whose: 'household', filters: { libraries }, requestOptions: { retries: 0 } },
		});

	it('reads the shows of everyone who can see them; a person who cannot is not an error', async () => {
		jellyfin.options.users.find((u) => u.name === 'bob')!.libraries = ['movies'];
		try {
			const out = await run(['Shows']);
			const people = new Set(out.map((o) => o.json.person));
			expect(people.has('bob')).toBe(false);
			expect(people.has('alice')).toBe(true);
			expect(out.every((o) => o.json.type === 'episode')).toBe(true);
		} finally {
			delete jellyfin.options.users.find((u) => u.name === 'bob')!.libraries;
		}
	});

	it('a library nobody has is still an error', async () => {
		await expect(run(['Cartoons'])).rejects.toThrow(/no library "Cartoons" on this server for any user of the household/);
	});
});
