/**
 * Webhook bodies as each real server sends them, for an item of the demo library: used by the
 * end-to-end tests, the load run and anyone poking the demo by hand.
 */
import FormData from 'form-data';
import type { SeedItem } from '../emulators/library';
import { plexKeys } from '../emulators/plex';
import { DEMO, type DemoServers } from './world';

export interface WebhookRequest {
	/** Which trigger of the templates receives it. */
	trigger: 'Plex Trigger' | 'Jellyfin Trigger' | 'Emby Trigger' | 'Tautulli Trigger';
	method: string;
	body: Buffer | string;
	headers: Record<string, string>;
}

const guidList = (item: SeedItem) => Object.entries(item.guids).map(([k, v]) => ({ id: `${k}://${v}` }));
const plexKey = (item: SeedItem) => (item.kind === 'movie' ? plexKeys.movie(item.n) : plexKeys.episode(item.n));

/** Who an event is from: the demo user unless a household member is named. */
export interface EventUser {
	id: string;
	name: string;
}

/** The `payload` part Plex Media Server posts, for a movie or an episode. */
export function plexPayload(servers: DemoServers, item: SeedItem, event: string, extra: object = {}, user: EventUser = { id: DEMO.user.plexId, name: DEMO.user.name }): object {
	const common = { ratingKey: plexKey(item), title: servers.plex.titleOf(item), duration: item.durationMs, Guid: guidList(item) };
	const metadata =
		item.kind === 'movie'
			? { librarySectionType: 'movie', type: 'movie', year: item.year, ...common }
			: { librarySectionType: 'show', type: 'episode', grandparentTitle: servers.plex.titleOf(item.show), parentIndex: item.season, index: item.episode, ...common };
	return {
		event,
		user: true,
		owner: true,
		Account: { id: Number(user.id), title: user.name },
		Server: { title: 'demo-plex', uuid: servers.plex.machineIdentifier },
		Player: { local: true, title: 'Chrome', uuid: 'player-1' },
		Metadata: { ...metadata, ...extra },
	};
}

/** Plex posts multipart/form-data: the JSON as a file part (what PMS does) or as a plain field. */
export function plexMultipart(payload: object, asFilePart: boolean, thumb?: Buffer): { body: Buffer; headers: Record<string, string> } {
	const form = new FormData();
	const json = JSON.stringify(payload);
	if (asFilePart) form.append('payload', json, { contentType: 'application/json' });
	else form.append('payload', json);
	if (thumb) form.append('thumb', thumb, { filename: 'thumb.jpg', contentType: 'image/jpeg' });
	return { body: form.getBuffer(), headers: { ...form.getHeaders(), 'user-agent': 'PlexMediaServer/1.43.0.10492-121068a07' } };
}

/** Emby's multipart variant: the JSON in a `data` field. */
export function embyMultipart(payload: object): { body: Buffer; headers: Record<string, string> } {
	const form = new FormData();
	form.append('data', JSON.stringify(payload));
	return { body: form.getBuffer(), headers: { ...form.getHeaders(), 'user-agent': 'Emby Server/4.9.3.0' } };
}

/** The Jellyfin webhook plugin's default template fields for a finished play (sent as text/plain). */
export function jellyfinStopPayload(servers: DemoServers, item: SeedItem, at: string, user: EventUser = { id: DEMO.user.jellyfinId, name: DEMO.user.name }): object {
	const episode = item.kind === 'episode' ? { SeriesName: servers.jellyfin.titleOf(item.show), SeasonNumber: item.season, EpisodeNumber: item.episode } : { Year: item.year };
	const ids = Object.fromEntries(Object.entries(item.guids).map(([k, v]) => [`Provider_${k}`, v]));
	return {
		ServerId: servers.jellyfin.serverId,
		ServerName: 'demo-jellyfin',
		NotificationType: 'PlaybackStop',
		UtcTimestamp: at,
		Name: servers.jellyfin.titleOf(item),
		ItemId: servers.jellyfin.idOf(item),
		ItemType: item.kind === 'movie' ? 'Movie' : 'Episode',
		RunTimeTicks: item.durationMs * 10_000,
		PlaybackPositionTicks: item.durationMs * 9_600,
		PlayedToCompletion: true,
		UserId: user.id,
		NotificationUsername: user.name,
		...episode,
		...ids,
	};
}

/** Emby's `item.markplayed` JSON for an item. */
export function embyMarkPlayedPayload(servers: DemoServers, item: SeedItem, at: string, user: EventUser = { id: DEMO.user.embyId, name: DEMO.user.name }): object {
	const ids = Object.fromEntries(Object.entries(item.guids).map(([k, v]) => [k[0].toUpperCase() + k.slice(1), v]));
	const episode = item.kind === 'episode' ? { SeriesName: servers.emby.titleOf(item.show), ParentIndexNumber: item.season, IndexNumber: item.episode } : {};
	return {
		Title: 'marked played',
		Date: at,
		Event: 'item.markplayed',
		User: { Name: user.name, Id: user.id },
		Item: { Name: servers.emby.titleOf(item), Id: servers.emby.idOf(item), Type: item.kind === 'movie' ? 'Movie' : 'Episode', ProviderIds: ids, RunTimeTicks: item.durationMs * 10_000, ...episode },
		Server: { Name: 'demo-emby', Id: 'a1b2c3d4e5f64718293a4b5c6d7e8f90', Version: '4.8.11.0' },
	};
}

/** "This item was watched" from one of the three servers, as that server would post it. */
export function watchedRequest(servers: DemoServers, item: SeedItem, from: 'plex' | 'jellyfin' | 'emby', user?: EventUser): WebhookRequest {
	const at = new Date().toISOString();
	if (from === 'plex') {
		const req = plexMultipart(plexPayload(servers, item, 'media.scrobble', { viewCount: 1 }, user), true);
		return { trigger: 'Plex Trigger', method: 'POST', ...req };
	}
	if (from === 'jellyfin') {
		return { trigger: 'Jellyfin Trigger', method: 'POST', body: JSON.stringify(jellyfinStopPayload(servers, item, at, user)), headers: { 'content-type': 'text/plain; charset=utf-8', 'user-agent': 'Jellyfin-Server/10.11.8' } };
	}
	return { trigger: 'Emby Trigger', method: 'POST', body: JSON.stringify(embyMarkPlayedPayload(servers, item, at, user)), headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Emby Server/4.9.3.0' } };
}
