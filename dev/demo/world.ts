/**
 * The demo world: one library served by emulated Plex, Jellyfin and Emby, with one user each,
 * and states that disagree the way real servers drift apart (played on one server only, a resume
 * position on another, an item one server lacks ids for), so a full sync has real work to do.
 */
import { EmbyEmulator, JellyfinEmulator } from '../emulators/mediabrowser';
import { seedLibrary, type SeedItem, type SeedLibrary } from '../emulators/library';
import { PlexEmulator } from '../emulators/plex';
import type { PlexTvEmulator } from '../emulators/plextv';
import { TraktEmulator } from '../emulators/trakt';

export const DEMO = {
	plexToken: 'dummy-demo-plex-token',
	jellyfinApiKey: 'dummy-demo-jellyfin-key',
	embyApiKey: 'dummy-demo-emby-key',
	traktClientId: 'dummy-demo-trakt-client-id',
	traktClientSecret: 'dummy-demo-trakt-client-secret',
	/** The secret the demo's webhook triggers expect. */
	webhookToken: 'dummy-demo-webhook-token',
	user: { name: 'alice', plexId: '1', jellyfinId: '5a0b1c2d3e4f40718293a4b5c6d7e8f9', embyId: 'f0e1d2c3b4a5968778695a4b3c2d1e0f' },
};

export interface DemoServers {
	library: SeedLibrary;
	plex: PlexEmulator;
	jellyfin: JellyfinEmulator;
	emby: EmbyEmulator;
	trakt: TraktEmulator;
	/** plex.tv, for a household whose Plex users are not all the owner. */
	plexTv?: PlexTvEmulator;
	/** The household mapping the demo's credential holds. */
	household?: string;
}

export interface DemoOptions {
	movies?: number;
	shows?: number;
	/** A library to serve instead of the seeded demo one (benchmarks). */
	library?: SeedLibrary;
	/** Let each server name some titles its own way (library.ts titleOnServer). */
	titleVariants?: boolean;
	ports?: { plex?: number; jellyfin?: number; emby?: number; trakt?: number };
	/** Seed disagreeing states (default true). */
	drift?: boolean;
}

export async function startDemoServers(options: DemoOptions = {}): Promise<DemoServers> {
	const library = options.library ?? seedLibrary({ movies: options.movies ?? 120, shows: options.shows ?? 8, seasonsPerShow: 2, episodesPerSeason: 6 });
	const u = DEMO.user;
	const titleVariants = options.titleVariants;
	const plex = new PlexEmulator({ library, users: [{ id: u.plexId, name: u.name, token: DEMO.plexToken, admin: true }], name: 'demo-plex', titleVariants });
	const jellyfin = new JellyfinEmulator({
		library,
		users: [{ id: u.jellyfinId, name: u.name, token: 'dummy-demo-jellyfin-alice', admin: true }],
		apiKey: DEMO.jellyfinApiKey,
		name: 'demo-jellyfin',
		serverId: '6f1f2a3b4c5d4e6f8a9b0c1d2e3f4a5b',
		titleVariants,
	});
	const emby = new EmbyEmulator({
		library,
		users: [{ id: u.embyId, name: u.name, token: 'dummy-demo-emby-alice', admin: true }],
		apiKey: DEMO.embyApiKey,
		name: 'demo-emby',
		titleVariants,
	});
	const trakt = new TraktEmulator({ library, clientId: DEMO.traktClientId, clientSecret: DEMO.traktClientSecret });
	await Promise.all([plex.start(options.ports?.plex), jellyfin.start(options.ports?.jellyfin), emby.start(options.ports?.emby), trakt.start(options.ports?.trakt)]);
	const servers = { library, plex, jellyfin, emby, trakt };
	if (options.drift !== false) seedDrift(servers);
	return servers;
}

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

/** Every 5th movie played on Plex only, every 7th on Jellyfin only, every 11th half-watched on Emby, some episodes played on Emby. */
export function seedDrift({ library, plex, jellyfin, emby }: DemoServers): void {
	const u = DEMO.user;
	const played = (n: number) => ({ played: true, playCount: 1, lastPlayedAt: T0 + n * DAY, updatedAt: T0 + n * DAY, positionMs: 0 });
	library.movies.forEach((m, i) => {
		if (i % 5 === 0) plex.seedState(u.plexId, m, played(i));
		else if (i % 7 === 0) jellyfin.seedState(u.jellyfinId, m, played(i));
		// A partial play sets the last-played date too, as on the real servers.
		else if (i % 11 === 0) emby.seedState(u.embyId, m, { positionMs: Math.round(m.durationMs * 0.4), lastPlayedAt: T0 + i * DAY, updatedAt: T0 + i * DAY });
	});
	library.episodes.forEach((e: SeedItem, i) => {
		if (i % 4 === 0) emby.seedState(u.embyId, e, played(i));
	});
}

export async function stopDemoServers(servers: DemoServers): Promise<void> {
	await Promise.all([servers.plex.stop(), servers.jellyfin.stop(), servers.emby.stop(), servers.trakt.stop(), servers.plexTv?.stop()]);
}

/**
 * Commands that show what each emulated server holds for the demo user, in the servers' own API
 * (Plex: viewCount = played, viewOffset = resume point, userRating; Jellyfin / Emby: UserData).
 */
export function stateCommands(servers: DemoServers): string[] {
	const u = DEMO.user;
	return [
		`Plex films:     curl -s -H 'Accept: application/json' '${servers.plex.url}/library/sections/1/all?X-Plex-Token=${DEMO.plexToken}'`,
		`Plex episodes:  curl -s -H 'Accept: application/json' '${servers.plex.url}/library/sections/2/allLeaves?X-Plex-Token=${DEMO.plexToken}'`,
		`Jellyfin:       curl -s '${servers.jellyfin.url}/Items?userId=${u.jellyfinId}&Recursive=true&IncludeItemTypes=Movie,Episode&ApiKey=${DEMO.jellyfinApiKey}'`,
		`Emby:           curl -s '${servers.emby.url}/Users/${u.embyId}/Items?Recursive=true&IncludeItemTypes=Movie,Episode&api_key=${DEMO.embyApiKey}'`,
	];
}
