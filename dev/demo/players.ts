/**
 * What a person does on a server, as that server's own players and apps send it (for the Watcher's
 * tests and benchmark): a Plex player's timeline reports, a Jellyfin / Emby client's playback
 * reports, and a mark or un-mark from the web app. Each call is one request with the user's token.
 */
import type { EmulatedUser, SeedItem } from '../emulators/library';
import type { EmbyEmulator, JellyfinEmulator } from '../emulators/mediabrowser';
import type { PlexEmulator } from '../emulators/plex';

export type Server = 'plex' | 'jellyfin' | 'emby';
export interface Servers {
	plex: PlexEmulator;
	jellyfin: JellyfinEmulator;
	emby: EmbyEmulator;
}

export type PlayState = 'playing' | 'paused' | 'stopped';

const TICKS = 10_000;

async function ok(what: string, response: Promise<Response>): Promise<void> {
	const r = await response;
	if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${await r.text()}`);
}

function mediaBrowserHeaders(server: Server, user: EmulatedUser, device: string): Record<string, string> {
	const auth = `MediaBrowser Client="Player", Device="Player", DeviceId="${device}", Version="1", Token="${user.token}"`;
	return server === 'emby' ? { 'X-Emby-Authorization': auth, 'X-Emby-Token': user.token, 'content-type': 'application/json' } : { Authorization: auth, 'content-type': 'application/json' };
}

/** One report of a player: Plex /:/timeline with a state; Jellyfin / Emby /Sessions/Playing[/Progress|/Stopped]. */
export async function report(servers: Servers, server: Server, user: EmulatedUser, item: SeedItem, state: PlayState | 'start', positionMs: number, device = `player-${user.id}`): Promise<void> {
	if (server === 'plex') {
		const key = servers.plex.keyOf(item);
		const query = new URLSearchParams({ ratingKey: key, key: `/library/metadata/${key}`, state: state === 'start' ? 'playing' : state, time: String(Math.round(positionMs)), duration: String(item.durationMs), identifier: 'com.plexapp.plugins.library' });
		await ok('plex timeline', fetch(`${servers.plex.url}/:/timeline?${query}`, { method: 'POST', headers: { 'X-Plex-Token': user.token, 'X-Plex-Client-Identifier': device } }));
		return;
	}
	const emulator = servers[server];
	const path = state === 'start' ? '/Sessions/Playing' : state === 'stopped' ? '/Sessions/Playing/Stopped' : '/Sessions/Playing/Progress';
	const body = { ItemId: emulator.idOf(item), PositionTicks: Math.round(positionMs) * TICKS, IsPaused: state === 'paused', PlayMethod: 'DirectPlay' };
	await ok(`${server} ${path}`, fetch(emulator.url + path, { method: 'POST', headers: mediaBrowserHeaders(server, user, device), body: JSON.stringify(body) }));
}

/** Marks an item played or unplayed as the user does in the server's app. */
export async function mark(servers: Servers, server: Server, user: EmulatedUser, item: SeedItem, played: boolean): Promise<void> {
	if (server === 'plex') {
		const query = new URLSearchParams({ key: servers.plex.keyOf(item), identifier: 'com.plexapp.plugins.library' });
		await ok('plex mark', fetch(`${servers.plex.url}/:/${played ? 'scrobble' : 'unscrobble'}?${query}`, { method: 'GET', headers: { 'X-Plex-Token': user.token } }));
		return;
	}
	const emulator = servers[server];
	await ok(`${server} mark`, fetch(`${emulator.url}/Users/${user.id}/PlayedItems/${emulator.idOf(item)}`, { method: played ? 'POST' : 'DELETE', headers: mediaBrowserHeaders(server, user, 'web-app') }));
}

/** A whole play to the end: start, a report at 50 %, a stop at 95 % (past every server's threshold). */
export async function playThrough(servers: Servers, server: Server, user: EmulatedUser, item: SeedItem, device?: string): Promise<void> {
	await report(servers, server, user, item, 'start', 0, device);
	await report(servers, server, user, item, 'playing', item.durationMs * 0.5, device);
	await report(servers, server, user, item, 'stopped', item.durationMs * 0.95, device);
}
