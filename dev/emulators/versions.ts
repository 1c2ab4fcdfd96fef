/**
 * The server versions the emulators play, each bound to its published spec (README in
 * ../shared/fixtures/specs/openapi), and what each server serves beyond its spec.
 */
import { SpecGate, type GateOptions, type ServedRoute } from './spec/gate';
import { loadSpec } from './spec/files';

/** Jellyfin releases with a published spec here: 10.8.13, 10.9.11, 10.10.7, 10.11.11 and 12.0 (pre-release). */
export const JELLYFIN_VERSIONS = ['10.8.13', '10.9.11', '10.10.7', '10.11.11', '12.0.0'] as const;
/** Emby 4.8.11.0 and the 4.9.0.41 beta (no stable 4.9 spec was published). */
export const EMBY_VERSIONS = ['4.8.11.0', '4.9.0.41'] as const;
export const PLEX_VERSION = '1.41.3.9314-a0bfb8370';

export function versionAtLeast(version: string, major: number, minor: number): boolean {
	const [a, b] = version.split('.').map(Number);
	return a > major || (a === major && b >= minor);
}

const majorMinor = (version: string) => version.split('.').slice(0, 2).join('.');

const JELLYFIN_SOURCE = 'jellyfin/jellyfin Jellyfin.Api/Controllers (v10.9.11, v10.10.7, v10.11.11, v12.0-rc5): [Obsolete("Kept for backwards compatibility")] [ApiExplorerSettings(IgnoreApi = true)]';

/**
 * Jellyfin 10.9+ still serves the `/Users/{userId}/…` routes its spec hid: old clients keep
 * working, but a client should use the documented route of each.
 */
function jellyfinHiddenRoutes(): ServedRoute[] {
	const hidden = (method: string, path: string, documented: string): ServedRoute => ({
		method,
		path,
		like: { method, path: documented },
		replacedBy: `${method} ${documented}?userId=`,
		source: JELLYFIN_SOURCE,
	});
	return [
		hidden('GET', '/Users/{userId}/Items', '/Items'),
		hidden('GET', '/Users/{userId}/Items/{itemId}', '/Items/{itemId}'),
		hidden('GET', '/Users/{userId}/Views', '/UserViews'),
		hidden('POST', '/Users/{userId}/PlayedItems/{itemId}', '/UserPlayedItems/{itemId}'),
		hidden('DELETE', '/Users/{userId}/PlayedItems/{itemId}', '/UserPlayedItems/{itemId}'),
		hidden('GET', '/Users/{userId}/Items/{itemId}/UserData', '/UserItems/{itemId}/UserData'),
		hidden('POST', '/Users/{userId}/Items/{itemId}/UserData', '/UserItems/{itemId}/UserData'),
		hidden('POST', '/Users/{userId}/FavoriteItems/{itemId}', '/UserFavoriteItems/{itemId}'),
		hidden('DELETE', '/Users/{userId}/FavoriteItems/{itemId}', '/UserFavoriteItems/{itemId}'),
	];
}

/** The gate for a Jellyfin version: ASP.NET Core routing and model binding. */
export function jellyfinGate(version: string): SpecGate | undefined {
	const spec = loadSpec(`jellyfin-${majorMinor(version)}.json`);
	if (!spec) return undefined;
	const options: GateOptions = {
		spec,
		label: `Jellyfin ${version}`,
		caseInsensitive: true,
		served: versionAtLeast(version, 10, 9) ? jellyfinHiddenRoutes() : [],
		// Authentication is read from these on every route (AuthorizationContext).
		ambientQuery: ['ApiKey', 'api_key'],
		dropBadListItems: true,
		refuseBadScalars: true,
		wrongMethodStatus: 405,
		refuseMissingHeaders: true,
		// PlaystateController binds datePlayed with LegacyDateTimeModelBinder: yyyyMMddHHmmss too.
		binderAccepts: { dateplayed: /^\d{14}$/ },
	};
	return new SpecGate(options);
}

/** The gate for an Emby version: ServiceStack, which matches a route by path and verb together. */
export function embyGate(version: string): SpecGate | undefined {
	const spec = loadSpec(`emby-${majorMinor(version)}.json`);
	if (!spec) return undefined;
	return new SpecGate({
		spec,
		label: `Emby ${version}`,
		caseInsensitive: true,
		ambientQuery: ['api_key', 'X-Emby-Token'],
		dropBadListItems: false,
		refuseBadScalars: true,
		wrongMethodStatus: 404,
		refuseMissingHeaders: true,
		optionsFromDescriptions: true,
		defaultsMissingValueTypes: true,
		served: EMBY_SERVED,
	});
}

/**
 * What Emby serves beyond its 4.8 / 4.9 OpenAPI files. GET /Users (every user, for an API key) is
 * in Emby's own API description of 4.1.1.0 (shipped as arabcoders/watchstate
 * src/Backends/Emby/emby-openapi-stable.json, parameters IsHidden and IsDisabled) and is what
 * watchstate and luigi311/JellyPlex-Watched (src/jellyfin_emby.py get_users) call on Emby today.
 */
const EMBY_SERVED: ServedRoute[] = [
	{
		method: 'GET',
		path: '/Users',
		source: 'Emby API description 4.1.1.0 (arabcoders/watchstate src/Backends/Emby/emby-openapi-stable.json); luigi311/JellyPlex-Watched src/jellyfin_emby.py get_users()',
		params: [
			{ name: 'IsHidden', in: 'query', schema: { type: 'boolean' } },
			{ name: 'IsDisabled', in: 'query', schema: { type: 'boolean' } },
		],
	},
];

const PYTHON_PLEXAPI = 'pkkid/python-plexapi 4.16.1';

/**
 * What PMS serves beyond the community spec, each seen in a widely used client. PMS answers GET
 * on its write endpoints (python-plexapi sends GET, the spec says PUT / POST).
 */
export const PLEX_SERVED: ServedRoute[] = [
	{ method: 'GET', path: '/library', source: `${PYTHON_PLEXAPI} plexapi/library.py Library (key "/library")` },
	{ method: 'GET', path: '/library/sections', source: `${PYTHON_PLEXAPI} plexapi/library.py Library.sections()` },
	{ method: 'GET', path: '/accounts', source: `${PYTHON_PLEXAPI} plexapi/server.py PlexServer.systemAccounts()` },
	{ method: 'GET', path: '/library/metadata/{ids}/children', source: `${PYTHON_PLEXAPI} plexapi/video.py Show.seasons(), Season.episodes()`, freeQuery: true },
	{ method: 'GET', path: '/:/scrobble', like: { method: 'PUT', path: '/:/scrobble' }, source: `${PYTHON_PLEXAPI} plexapi/mixins.py PlayedUnplayedMixin.markPlayed()` },
	{ method: 'GET', path: '/:/unscrobble', like: { method: 'PUT', path: '/:/unscrobble' }, source: `${PYTHON_PLEXAPI} plexapi/mixins.py PlayedUnplayedMixin.markUnplayed()` },
	{ method: 'GET', path: '/:/timeline', like: { method: 'POST', path: '/:/timeline' }, source: `${PYTHON_PLEXAPI} plexapi/base.py Playable.updateTimeline()` },
	{
		method: 'GET',
		path: '/:/progress',
		source: `${PYTHON_PLEXAPI} plexapi/base.py Playable.updateProgress()`,
		params: [
			{ name: 'key', in: 'query', required: true },
			{ name: 'identifier', in: 'query', required: true },
			{ name: 'time', in: 'query', required: true, schema: { type: 'integer' } },
			{ name: 'state', in: 'query' },
		],
	},
];

/** Parameters PMS reads on documented routes that the community spec does not list there. */
export const PLEX_AMENDED = [
	{
		method: 'POST',
		path: '/:/timeline',
		params: [{ name: 'identifier' }],
		source: `${PYTHON_PLEXAPI} plexapi/base.py Playable.updateTimeline(); arabcoders/watchstate src/Backends/Plex/Action/Progress.php`,
	},
	{
		method: 'GET',
		path: '/library/metadata/{ids}/allLeaves',
		params: [{ name: 'includeGuids', schema: { type: 'integer', enum: [0, 1] } }],
		source: 'PMS takes includeGuids on its metadata listings (the spec documents it on /library/sections/{sectionId}/all)',
	},
];

/** The gate for PMS: the community spec, the routes above, and plex.tv's operations left out. */
export function plexGate(): SpecGate | undefined {
	const spec = loadSpec('plex.yaml');
	if (!spec) return undefined;
	return new SpecGate({
		spec,
		label: `Plex Media Server ${PLEX_VERSION}`,
		caseInsensitive: false,
		served: PLEX_SERVED,
		amend: PLEX_AMENDED,
		ambientQuery: ['X-Plex-Token'],
		dropBadListItems: false,
		refuseBadScalars: false,
		wrongMethodStatus: 404,
		// The spec marks X-Plex-Client-Identifier required everywhere; PMS serves requests without it.
		refuseMissingHeaders: false,
		belongsHere: (servers) => !onPlexTv(servers),
	});
}

function onPlexTv(servers: unknown): boolean {
	return Array.isArray(servers) && servers.length > 0 && servers.every((s) => /plex\.tv/.test(String((s as { url?: unknown }).url ?? '')));
}

/** What plex.tv serves beyond the community spec, as python-plexapi uses it. */
export const PLEX_TV_SERVED: ServedRoute[] = [
	{ method: 'POST', path: '/api/home/users/{id}/switch', source: `${PYTHON_PLEXAPI} plexapi/myplex.py MyPlexAccount.switchHomeUser()`, params: [{ name: 'pin', in: 'query' }] },
	{ method: 'GET', path: '/api/servers/{machineIdentifier}/shared_servers', source: `${PYTHON_PLEXAPI} plexapi/myplex.py MyPlexUser.get_token()` },
];

/** The gate for plex.tv: the community spec's plex.tv operations (under /api and /api/v2) and the routes above. */
export function plexTvGate(): SpecGate | undefined {
	const spec = loadSpec('plex.yaml');
	if (!spec) return undefined;
	return new SpecGate({
		spec,
		label: 'plex.tv',
		caseInsensitive: false,
		served: PLEX_TV_SERVED,
		ambientQuery: ['X-Plex-Token'],
		dropBadListItems: false,
		refuseBadScalars: false,
		wrongMethodStatus: 404,
		refuseMissingHeaders: false,
		belongsHere: onPlexTv,
		prefixFor: (servers) => new URL(String((servers as Array<{ url: string }>)[0].url)).pathname.replace(/\/+$/, ''),
	});
}
