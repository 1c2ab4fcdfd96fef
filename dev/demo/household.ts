/**
 * A household on three servers, for the end-to-end tests: alice (the owner; the same name
 * everywhere), bob (a Plex friend "bob_p", "Bob" on Jellyfin, "robert" on Emby, who sees only the
 * movies) and kid (a managed Plex user without a PIN, "Kiddo" on Jellyfin, no Emby user). Each
 * starts with plays of their own, on different servers, so a sync has each person's work to do
 * and every chance to mix people up.
 */
import { EmbyEmulator, JellyfinEmulator } from '../emulators/mediabrowser';
import { seedLibrary, type EmulatedUser, type SeedItem } from '../emulators/library';
import { PlexEmulator } from '../emulators/plex';
import { PlexTvEmulator } from '../emulators/plextv';
import { TraktEmulator } from '../emulators/trakt';
import { DEMO, type DemoServers } from './world';

type Server = 'plex' | 'jellyfin' | 'emby';
export type Person = 'alice' | 'bob' | 'kid';

const movies = ['movies' as const];

/** Each person's user on each server (null: none). */
export const PEOPLE: Record<Person, Record<Server, EmulatedUser | null>> = {
	alice: {
		plex: { id: '1', name: 'alice', token: DEMO.plexToken, admin: true },
		jellyfin: { id: DEMO.user.jellyfinId, name: 'alice', token: 'dummy-demo-jellyfin-alice', admin: true },
		emby: { id: DEMO.user.embyId, name: 'alice', token: 'dummy-demo-emby-alice', admin: true },
	},
	bob: {
		plex: { id: '3001', name: 'bob_p', token: 'dummy-demo-plex-server-bob', libraries: movies },
		jellyfin: { id: '7b0b2c3d4e5f40718293a4b5c6d7e8f1', name: 'Bob', token: 'dummy-demo-jellyfin-bob', libraries: movies },
		emby: { id: 'b0b2d3c4b5a6968778695a4b3c2d1e0f', name: 'robert', token: 'dummy-demo-emby-bob', libraries: movies },
	},
	kid: {
		plex: { id: '3002', name: 'kid', token: 'dummy-demo-plex-server-kid' },
		jellyfin: { id: '8c1c2d3e4f5a41829304b5c6d7e8f9a2', name: 'Kiddo', token: 'dummy-demo-jellyfin-kid' },
		emby: null,
	},
};

export const HOUSEHOLD_MAPPING = 'bob: plex=bob_p, jellyfin=Bob, emby=robert\nkid: plex=kid, jellyfin=Kiddo, emby=-';

/**
 * Two more people Plex cannot be acted for (with `unreachable`): gran, a home user with a PIN, and
 * fred, a friend whose share plex.tv lists without its token. Both have a Plex and a Jellyfin user.
 */
export type Unreachable = 'gran' | 'fred';
export const UNREACHABLE: Record<Unreachable, { plex: EmulatedUser; jellyfin: EmulatedUser }> = {
	gran: { plex: { id: '3003', name: 'gran', token: 'dummy-demo-plex-server-gran' }, jellyfin: { id: '9d2d3e4f5a6b42930415c6d7e8f9a0b3', name: 'gran', token: 'dummy-demo-jellyfin-gran' } },
	fred: { plex: { id: '3004', name: 'fred', token: 'dummy-demo-plex-server-fred' }, jellyfin: { id: 'ae3e4f5a6b7c43a41526d7e8f9a0b1c4', name: 'fred', token: 'dummy-demo-jellyfin-fred' } },
};

const users = (server: Server) => (Object.values(PEOPLE).map((p) => p[server]).filter(Boolean) as EmulatedUser[]);
const T0 = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;

/** Who played what where at the start: person -> server -> items. */
export function initialPlays(library: DemoServers['library']): Record<Person, Partial<Record<Server, SeedItem[]>>> {
	const m = library.movies;
	const e = library.episodes;
	return {
		alice: { plex: m.filter((_, i) => i % 5 === 0), jellyfin: m.filter((_, i) => i % 7 === 3), emby: e.filter((_, i) => i % 4 === 0) },
		bob: { jellyfin: m.filter((_, i) => i % 3 === 1), emby: m.filter((_, i) => i % 8 === 2) },
		kid: { plex: [...m.filter((_, i) => i % 6 === 2), ...e.filter((_, i) => i % 5 === 1)], jellyfin: e.filter((_, i) => i % 9 === 4) },
	};
}

export async function startHouseholdServers(library = seedLibrary({ movies: 60, shows: 4, seasonsPerShow: 2, episodesPerSeason: 5 }), options: { unreachable?: boolean } = {}): Promise<DemoServers> {
	const extra = options.unreachable ? Object.values(UNREACHABLE) : [];
	const plex = new PlexEmulator({ library, users: [...users('plex'), ...extra.map((p) => p.plex)], name: 'household-plex' });
	const plexTv = new PlexTvEmulator({
		server: plex,
		accounts: [
			{ id: 9001, username: 'alice', title: 'alice', token: DEMO.plexToken, kind: 'owner' },
			{ id: 3001, username: 'bob_p', title: 'bob_p', token: 'dummy-demo-plextv-bob', kind: 'friend', serverUser: PEOPLE.bob.plex! },
			{ id: 3002, username: '', title: 'kid', token: 'dummy-demo-plextv-kid', kind: 'home', serverUser: PEOPLE.kid.plex! },
			...(options.unreachable
				? [
						{ id: 3003, username: '', title: 'gran', token: 'dummy-demo-plextv-gran', kind: 'home' as const, pin: '2468', serverUser: UNREACHABLE.gran.plex },
						{ id: 3004, username: 'fred', title: 'fred', token: 'dummy-demo-plextv-fred', kind: 'friend' as const, serverUser: UNREACHABLE.fred.plex, withholdToken: true },
					]
				: []),
		],
	});
	const jellyfin = new JellyfinEmulator({ library, users: [...users('jellyfin'), ...extra.map((p) => p.jellyfin)], apiKey: DEMO.jellyfinApiKey, name: 'household-jellyfin', serverId: '6f1f2a3b4c5d4e6f8a9b0c1d2e3f4a5b' });
	const emby = new EmbyEmulator({ library, users: users('emby'), apiKey: DEMO.embyApiKey, name: 'household-emby' });
	const trakt = new TraktEmulator({ library, clientId: DEMO.traktClientId, clientSecret: DEMO.traktClientSecret });
	await Promise.all([plex.start(), plexTv.start(), jellyfin.start(), emby.start(), trakt.start()]);
	const servers: DemoServers = { library, plex, jellyfin, emby, trakt, plexTv, household: HOUSEHOLD_MAPPING };
	const plays = initialPlays(library);
	for (const person of Object.keys(plays) as Person[]) {
		for (const [server, items] of Object.entries(plays[person]) as Array<[Server, SeedItem[]]>) {
			const user = PEOPLE[person][server]!;
			items.forEach((item, i) => servers[server].seedState(user.id, item, { played: true, playCount: 1, lastPlayedAt: T0 + i * DAY, updatedAt: T0 + i * DAY }));
		}
	}
	if (options.unreachable) {
		// gran and fred each played a few films on Jellyfin: nothing can carry them to Plex.
		library.movies.slice(50, 53).forEach((m, i) => jellyfin.seedState(UNREACHABLE.gran.jellyfin.id, m, { played: true, playCount: 1, lastPlayedAt: T0 + i * DAY, updatedAt: T0 + i * DAY }));
		library.movies.slice(53, 56).forEach((m, i) => jellyfin.seedState(UNREACHABLE.fred.jellyfin.id, m, { played: true, playCount: 1, lastPlayedAt: T0 + i * DAY, updatedAt: T0 + i * DAY }));
	}
	return servers;
}

/** Whether a person's user on a server can see an item (exists, and the item is in their libraries). */
export function sees(person: Person, server: Server, item: SeedItem): boolean {
	const user = PEOPLE[person][server];
	return !!user && (!user.libraries || user.libraries.includes(item.kind === 'movie' ? 'movies' : 'shows'));
}
