/**
 * A playback event as a metrics point, for a playback history store (a Data Table, InfluxDB).
 *
 * Plex (and Tautulli, whose template carries the same Plex fields) use the field set of
 * Telegraf's "plex webhooks" input (measurement `plex_webhooks`; telegraf
 * plugins/inputs/webhooks/plex), so existing dashboards read it unchanged: the tags are strings,
 * rating_count / added_at / updated_at / index / library_selection_id integers, the other fields
 * strings. Jellyfin and Emby carry the equivalents they have under the same names (measurements
 * `jellyfin_webhooks`, `emby_webhooks`). A value the event does not carry is left out, never
 * written as 0 or "".
 */
import { isPlainObject } from '../media/guids';
import type { WatchEvent } from '../model';
import { toBool, toInt, toText } from '../media/units';
import { toLine, type FieldType, type FieldValue } from './lineprotocol';

export interface Metrics {
	measurement: string;
	tags: Record<string, string>;
	fields: Record<string, FieldValue>;
	/** When the event arrived (ISO-8601 UTC); the point's time, in ms. */
	time: string;
	/** The point in InfluxDB line protocol (precision ms). */
	line: string;
}

type Source = Record<string, unknown> | undefined;

/** Every tag, with where Plex puts it. */
const PLEX_TAGS: Array<[string, (p: Source, a: Source, s: Source, pl: Source, m: Source) => unknown]> = [
	['event', (p) => p?.event],
	['is_user_webhook', (p) => toBool(p?.user)],
	['is_owner_webhook', (p) => toBool(p?.owner)],
	['user_id', (_p, a) => a?.id],
	['user_thumb', (_p, a) => a?.thumb],
	['user_name', (_p, a) => a?.title],
	['server_title', (_p, _a, s) => s?.title],
	['server_uuid', (_p, _a, s) => s?.uuid],
	['is_player_local', (_p, _a, _s, pl) => toBool(pl?.local)],
	['player_public_ip', (_p, _a, _s, pl) => pl?.publicAddress],
	['player_title', (_p, _a, _s, pl) => pl?.title],
	['player_uuid', (_p, _a, _s, pl) => pl?.uuid],
	['library_selection_type', (...x) => x[4]?.librarySectionType],
	['media_type', (...x) => x[4]?.type],
	['grandparent_key', (...x) => x[4]?.grandparentKey],
	['parent_key', (...x) => x[4]?.parentKey],
	['grandparent_title', (...x) => x[4]?.grandparentTitle],
	['parent_title', (...x) => x[4]?.parentTitle],
	['parent_index', (...x) => x[4]?.parentIndex],
	['parent_thumb', (...x) => x[4]?.parentThumb],
	['grandparent_thumb', (...x) => x[4]?.grandparentThumb],
	['grandparent_art', (...x) => x[4]?.grandparentArt],
];

/** Every field with its type, from Plex's Metadata. */
const PLEX_FIELDS: Array<[string, string, FieldType]> = [
	['rating_count', 'ratingCount', 'int'],
	['added_at', 'addedAt', 'int'],
	['updated_at', 'updatedAt', 'int'],
	['summary', 'summary', 'string'],
	['thumb', 'thumb', 'string'],
	['art', 'art', 'string'],
	['title', 'title', 'string'],
	['index', 'index', 'int'],
	['library_selection_id', 'librarySectionID', 'int'],
	['guid', 'guid', 'string'],
];

/** Every column a history table needs for any server, with its type (tags are strings). */
export const METRIC_COLUMNS: Array<[string, 'string' | 'number']> = [
	['measurement', 'string'],
	['time', 'string'],
	...PLEX_TAGS.map(([name]): [string, 'string'] => [name, 'string']),
	...PLEX_FIELDS.map(([name, , type]): [string, 'string' | 'number'] => [name, type === 'int' ? 'number' : 'string']),
];

const object = (parent: Source, key: string): Source => (isPlainObject(parent?.[key]) ? (parent![key] as Record<string, unknown>) : undefined);

function text(value: unknown): string | undefined {
	if (typeof value === 'boolean') return String(value);
	if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
	return toText(value);
}

function typed(value: unknown, type: FieldType): FieldValue | undefined {
	if (type === 'int') return toInt(value);
	if (type === 'bool') return toBool(value);
	return text(value);
}

function point(measurement: string, tags: Record<string, string | undefined>, fields: Array<[string, FieldValue | undefined, FieldType]>, time: string): Metrics {
	const cleanTags: Record<string, string> = {};
	for (const [key, value] of Object.entries(tags)) if (value !== undefined && value.trim() !== '') cleanTags[key] = value;
	const kept = fields.filter((f): f is [string, FieldValue, FieldType] => f[1] !== undefined);
	// A point needs one field: an event with none of them still records that it happened.
	if (kept.length === 0) kept.push(['title', '', 'string']);
	const timeMs = Date.parse(time);
	return {
		measurement,
		tags: cleanTags,
		fields: Object.fromEntries(kept.map(([k, v]) => [k, v])),
		time,
		line: toLine({ measurement, tags: cleanTags, fields: kept, timeMs }),
	};
}

/** Plex's payload (or Tautulli's Plex-shaped one), as Telegraf's plex webhooks input stores it. */
export function plexMetrics(payload: unknown, event: WatchEvent): Metrics {
	const p = isPlainObject(payload) ? payload : undefined;
	const [account, server, player, meta] = [object(p, 'Account'), object(p, 'Server'), object(p, 'Player'), object(p, 'Metadata')];
	const tags = Object.fromEntries(PLEX_TAGS.map(([name, read]) => [name, text(read(p, account, server, player, meta))]));
	const fields = PLEX_FIELDS.map(([name, key, type]): [string, FieldValue | undefined, FieldType] => [name, typed(meta?.[key], type), type]);
	return point('plex_webhooks', tags, fields, event.receivedAt);
}

const seconds = (iso: string | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : undefined);

/** Jellyfin and Emby: the equivalents their webhooks carry, from the normalized event. */
export function eventMetrics(event: WatchEvent): Metrics {
	const episode = event.type === 'episode';
	const tags: Record<string, string | undefined> = {
		event: event.sourceEvent,
		user_id: event.userId,
		user_name: event.userName,
		server_title: event.serverName,
		server_uuid: event.serverId,
		is_player_local: event.player?.local === undefined ? undefined : String(event.player.local),
		player_public_ip: event.player?.address,
		player_title: event.player?.title,
		player_uuid: event.player?.id,
		library_selection_type: event.library?.type,
		media_type: event.type,
		grandparent_key: episode ? event.show?.id : undefined,
		parent_key: episode ? event.seasonId : undefined,
		grandparent_title: episode ? event.show?.title : undefined,
		parent_title: episode ? event.seasonTitle : undefined,
		parent_index: episode && event.season !== undefined ? String(event.season) : undefined,
	};
	const fields: Array<[string, FieldValue | undefined, FieldType]> = [
		['added_at', seconds(event.addedAt), 'int'],
		['updated_at', seconds(event.metadataUpdatedAt), 'int'],
		['title', event.title, 'string'],
		['index', episode ? event.episode : undefined, 'int'],
		['library_selection_id', toInt(event.library?.id), 'int'],
		['guid', event.sourceGuid, 'string'],
	];
	return point(`${event.backend}_webhooks`, tags, fields, event.receivedAt);
}
