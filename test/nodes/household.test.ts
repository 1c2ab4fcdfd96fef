/**
 * Households through the nodes' execute(): three people on three servers, named differently on
 * each, one restricted to the movies, one a managed Plex user (no PIN), one with no Emby user.
 * Plex acts for each person with the token the owner's plex.tv hands out for them.
 */
import type { ICredentialType, IDataObject, INodeType } from 'n8n-workflow';
import { EmbyApi } from '../../credentials/EmbyApi.credentials';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { Emby } from '../../nodes/Emby/Emby.node';
import { Jellyfin } from '../../nodes/Jellyfin/Jellyfin.node';
import { Plex } from '../../nodes/Plex/Plex.node';
import { seedLibrary, type SeedItem } from '../../dev/emulators/library';
import { EmbyEmulator, JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator } from '../../dev/emulators/plex';
import { PlexTvEmulator } from '../../dev/emulators/plextv';
import { runNode } from '../support/execute';

const library = seedLibrary({ movies: 12, shows: 2, seasonsPerShow: 1, episodesPerSeason: 3 });
const KEY = 'dummy-household-key';
const plexUsers = {
	alice: { id: '1', name: 'alice', token: 'dummy-plex-alice' },
	bob: { id: '2001', name: 'bob_p', token: 'dummy-plex-server-bob', libraries: ['movies' as const] },
	kid: { id: '2002', name: 'kid', token: 'dummy-plex-server-kid' },
	guest: { id: '2003', name: 'guest', token: 'dummy-plex-server-guest' },
};
const plex = new PlexEmulator({ library, users: Object.values(plexUsers), machineIdentifier: 'aaaabbbbccccddddeeeeffff0000111122223333' });
const plexTv = new PlexTvEmulator({
	server: plex,
	accounts: [
		{ id: 9001, username: 'alice', title: 'alice', token: plexUsers.alice.token, kind: 'owner' },
		{ id: 2001, username: 'bob_p', title: 'bob_p', token: 'dummy-tv-bob', kind: 'friend', serverUser: plexUsers.bob },
		{ id: 2002, username: '', title: 'kid', token: 'dummy-tv-kid', kind: 'home', serverUser: plexUsers.kid },
		{ id: 2003, username: 'guest', title: 'guest', token: 'dummy-tv-guest', kind: 'friend', serverUser: plexUsers.guest },
	],
});
const jfUsers = {
	alice: { id: 'a1000000000000000000000000000001', name: 'alice', token: 'dummy-jf-alice', admin: true },
	bob: { id: 'b2000000000000000000000000000002', name: 'Bob', token: 'dummy-jf-bob', libraries: ['movies' as const] },
	kid: { id: 'c3000000000000000000000000000003', name: 'Kiddo', token: 'dummy-jf-kid' },
};
const jellyfin = new JellyfinEmulator({ library, users: Object.values(jfUsers), apiKey: KEY });
const embyUsers = {
	alice: { id: 'e1000000000000000000000000000001', name: 'alice', token: 'dummy-emby-alice', admin: true },
	bob: { id: 'e2000000000000000000000000000002', name: 'robert', token: 'dummy-emby-bob', libraries: ['movies' as const] },
};
const emby = new EmbyEmulator({ library, users: Object.values(embyUsers), apiKey: KEY });
const MAPPING = 'bob: plex=bob_p, jellyfin=Bob, emby=robert\nkid: plex=kid, jellyfin=Kiddo, emby=-\nignore: plex=guest';

type Target = 'plex' | 'jellyfin' | 'emby';
const NODES: Record<Target, { node: INodeType; credentialType: ICredentialType; credentials: () => IDataObject }> = {
	plex: { node: new Plex(), credentialType: new PlexApi(), credentials: () => ({ baseUrl: plex.url, token: plexUsers.alice.token, clientIdentifier: 'household-test', plexTvUrl: plexTv.url, ignoreSslIssues: false }) },
	jellyfin: { node: new Jellyfin(), credentialType: new JellyfinApi(), credentials: () => ({ baseUrl: jellyfin.url, token: KEY, ignoreSslIssues: false }) },
	emby: { node: new Emby(), credentialType: new EmbyApi(), credentials: () => ({ baseUrl: emby.url, apiKey: KEY, ignoreSslIssues: false }) },
};

function run(target: Target, params: IDataObject, input?: IDataObject[], mapping = MAPPING) {
	return runNode(NODES[target].node, {
		credentialType: NODES[target].credentialType,
		credentials: NODES[target].credentials(),
		otherCredentials: { watchStateHouseholdApi: { mapping, matchByName: true } },
		params: { whose: 'household', requestOptions: { retries: 0 }, ...params },
		input,
	});
}

/** A "watched" event from a user of a server. */
function watched(from: Target, userName: string, item: SeedItem): IDataObject {
	const base = { backend: from, userName, id: 'src', guids: { ...item.guids }, played: true, event: 'scrobble', tainted: false, updatedAt: '2026-03-01T10:00:00.000Z', playedAt: '2026-03-01T10:00:00.000Z' };
	return item.kind === 'movie' ? { ...base, type: 'movie', title: item.title } : { ...base, type: 'episode', title: item.title, show: { title: item.show.title, guids: { ...item.show.guids } }, season: item.season, episode: item.episode };
}

const movie = library.movies[1];
const episode = library.episodes[1];

beforeAll(async () => {
	await Promise.all([plex.start(), plexTv.start(), jellyfin.start(), emby.start()]);
});
afterAll(async () => {
	await Promise.all([plex.stop(), plexTv.stop(), jellyfin.stop(), emby.stop()]);
});
beforeEach(() => {
	for (const s of [plex, plexTv, jellyfin, emby]) s.resetCounters();
	for (const s of [plex, jellyfin, emby]) s.state.clear();
	plexTv.switches.length = 0;
});

describe('Apply Watch State for a household', () => {
	it("writes each person's Plex plays to that person's Jellyfin user only", async () => {
		const out = await run('jellyfin', { resource: 'item', operation: 'apply', applyOptions: {} }, [watched('plex', 'alice', movie), watched('plex', 'bob_p', movie), watched('plex', 'kid', episode)]);
		expect(out.map((o) => [o.json.action, (o.json.user as IDataObject).person])).toEqual([
			['marked-played', 'alice'],
			['marked-played', 'bob'],
			['marked-played', 'kid'],
		]);
		expect(jellyfin.writes.map((w) => [w.userId, w.itemId])).toEqual([
			[jfUsers.alice.id, jellyfin.idOf(movie)],
			[jfUsers.bob.id, jellyfin.idOf(movie)],
			[jfUsers.kid.id, jellyfin.idOf(episode)],
		]);
	});

	it('writes nothing, and says why, for a user left out, a person with no user here, or an item outside their libraries', async () => {
		const out = await run('emby', { resource: 'item', operation: 'apply', applyOptions: {} }, [watched('plex', 'guest', movie), watched('plex', 'kid', movie), watched('plex', 'bob_p', episode)]);
		expect(out.map((o) => [o.json.action, o.json.reason])).toEqual([
			['skipped', 'plex user "guest" is left out of the household; nothing written'],
			['skipped', 'kid has no emby user; nothing written'],
			['not-found', expect.stringContaining('no episode with these ids on emby')],
		]);
		expect(emby.writes).toEqual([]);
	});

	it('acts on Plex as each person: the owner with the credential, a friend and a managed user with their own server tokens', async () => {
		const out = await run('plex', { resource: 'item', operation: 'apply', applyOptions: {} }, [watched('jellyfin', 'alice', movie), watched('jellyfin', 'Bob', movie), watched('jellyfin', 'Kiddo', episode)]);
		expect(out.map((o) => o.json.action)).toEqual(['marked-played', 'marked-played', 'marked-played']);
		expect(plex.writes.map((w) => [w.userId, w.itemId])).toEqual([
			[plexUsers.alice.id, plex.keyOf(movie)],
			[plexUsers.bob.id, plex.keyOf(movie)],
			[plexUsers.kid.id, plex.keyOf(episode)],
		]);
		// The managed user was switched to (no PIN); the friend's token came from the shared-server list.
		expect(plexTv.switches).toEqual([2002]);
		expect(plex.stateOf(plexUsers.kid.id, movie).played).toBe(false);
		// Inside the published spec (and python-plexapi's routes) on both, answers included.
		expect(plexTv.violations.map((v) => `${v.kind}: ${v.detail}`)).toEqual([]);
		expect(plex.violations.map((v) => `${v.kind}: ${v.detail}`)).toEqual([]);
	});

	it('refuses a mapping that names a user this server does not have, before any write', async () => {
		const failure = await run('jellyfin', { resource: 'item', operation: 'apply', applyOptions: {} }, [watched('plex', 'alice', movie)], 'bob: plex=bob_p, jellyfin=Bobby').catch((e: Error) => e);
		expect((failure as Error).message).toBe('Watch State Household: the household maps bob to jellyfin user "Bobby", which this server does not have (users: alice, Bob, Kiddo)');
		expect(jellyfin.writes).toEqual([]);
	});

	it('refuses a mapping with a mistake, naming the line', async () => {
		const failure = await run('emby', { resource: 'item', operation: 'apply', applyOptions: {} }, [watched('plex', 'alice', movie)], 'bob: plex=bob_p\ndad: plex=BOB_P').catch((e: Error) => e);
		expect((failure as Error).message).toBe('Watch State Household: household line 2 ("dad: plex=BOB_P"): plex user "BOB_P" is already mapped to bob; a user belongs to one person');
	});
});

describe('Get Watch State for a household', () => {
	it("reads every placed Plex user with their own token; items carry the user and the person; a restricted user's library is theirs", async () => {
		plex.seedState(plexUsers.kid.id, movie, { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 0, 1) });
		const out = (await run('plex', { resource: 'library', operation: 'getWatchState', filters: {} })).map((o) => o.json);
		const byPerson = (p: string) => out.filter((i) => i.person === p);
		expect(byPerson('alice')).toHaveLength(12 + 6);
		expect(byPerson('bob')).toHaveLength(12);
		expect(byPerson('kid')).toHaveLength(12 + 6);
		expect(byPerson('guest')).toHaveLength(0);
		expect(byPerson('kid').find((i) => i.id === plex.keyOf(movie))).toMatchObject({ played: true, userId: plexUsers.kid.id, userName: 'kid' });
		expect(byPerson('alice').find((i) => i.id === plex.keyOf(movie))).toMatchObject({ played: false });
	});

	it('Jellyfin: every mapped user by id with the admin key', async () => {
		const out = (await run('jellyfin', { resource: 'library', operation: 'getWatchState', filters: {} })).map((o) => o.json);
		expect([...new Set(out.map((i) => `${i.person}/${i.userName}`))]).toEqual(['alice/alice', 'bob/Bob', 'kid/Kiddo']);
		expect(out.filter((i) => i.person === 'bob').every((i) => i.type === 'movie')).toBe(true);
	});
});

describe('planned writes', () => {
	it('act as the user the write names, on every server', async () => {
		const listed = (await run('emby', { resource: 'library', operation: 'getWatchState', filters: {} })).map((o) => o.json).find((i) => i.person === 'bob' && i.id === emby.idOf(movie))!;
		const write = { kind: 'watchstate-write', backend: 'emby', op: 'mark-played', target: listed, playedAt: '2026-01-01T00:00:00.000Z', reason: 'played on plex', source: {} };
		await run('emby', { resource: 'item', operation: 'apply', applyOptions: {} }, [write]);
		expect(emby.writes.map((w) => [w.userId, w.itemId])).toEqual([[embyUsers.bob.id, emby.idOf(movie)]]);
	});
});

describe('credentials a household needs', () => {
	it("Plex: a token that is not the owner's cannot list the accounts: a clear error, nothing written", async () => {
		const failure = await runNode(NODES.plex.node, {
			credentialType: NODES.plex.credentialType,
			credentials: { ...NODES.plex.credentials(), token: plexUsers.kid.token },
			params: { whose: 'household', resource: 'item', operation: 'apply', applyOptions: {}, requestOptions: { retries: 0 } },
			input: [watched('jellyfin', 'alice', movie)],
		}).catch((e: Error) => e);
		expect((failure as Error).message).toBe("For: Household needs the server owner's token in the Plex credential: the server refused to list its users");
		expect(plex.writes).toEqual([]);
	});
});
