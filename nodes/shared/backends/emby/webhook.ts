/**
 * Emby Server webhook payload -> WatchEvent.
 * Shape: `{ Title, Description, Date, Event, User, Item, Server, Session, PlaybackInfo }`
 * (backend-apis.md §3.1). Emby sends no UserData in playback events, so their played state is
 * unknown (null); only a completed stop or a manual mark says anything about it.
 */
import { guidsFromProviderIds, isPlainObject } from '../../media/guids';
import type { MediaType, WatchEventName } from '../../model';
import { parseTime, ticksToMs, toBool, toCount } from '../../media/units';
import { optionalId, optionalObject, optionalText, requiredId, requiredObject } from '../../webhook/fields';
import { finishEvent, type ParseContext } from '../../webhook/event';
import { ignored, invalid, invalidFrom, type ParseOutcome } from '../../webhook/outcome';
import { lookup } from '../../media/lookup';

const ITEM_TYPES: Readonly<Record<string, MediaType>> = { Movie: 'movie', Episode: 'episode' };

interface Decision {
	event: WatchEventName;
	played: boolean | null;
	tainted: boolean;
}

const TAINTED: Readonly<Record<string, WatchEventName>> = {
	'playback.start': 'play',
	'playback.pause': 'pause',
	'playback.unpause': 'resume',
	'item.rate': 'rate',
	'library.new': 'added',
};

function decide(name: string, p: Record<string, unknown>, ctx: ParseContext): Decision | string {
	const tainted = lookup(TAINTED, name);
	if (tainted) return { event: tainted, played: null, tainted: true };
	switch (name) {
		case 'playback.stop': {
			const info = optionalObject(p, 'PlaybackInfo');
			return toBool(info?.PlayedToCompletion) === true
				? { event: 'scrobble', played: true, tainted: false }
				: { event: 'stop', played: null, tainted: true };
		}
		case 'playback.progress':
			if (!ctx.progressEvents) return 'playback.progress is dropped (enable the Progress Events option to keep it)';
			return { event: 'progress', played: null, tainted: true };
		case 'playback.scrobble':
			return { event: 'scrobble', played: true, tainted: false };
		case 'item.markplayed':
			return { event: 'played', played: true, tainted: false };
		case 'item.markunplayed':
			return { event: 'unplayed', played: false, tainted: false };
		case 'system.notificationtest':
			return 'Emby test notification received; the trigger is reachable and the token is right';
		default:
			return `${name.slice(0, 64)} is not a watch-state event`;
	}
}

export function parseEmbyWebhook(payload: unknown, ctx: ParseContext): ParseOutcome {
	if (!isPlainObject(payload)) return invalid('payload must be a JSON object: not an Emby webhook');
	const name = payload.Event;
	if (typeof name !== 'string' || name === '') return invalid('`Event` is missing: not an Emby webhook payload');
	try {
		const decision = decide(name, payload, ctx);
		if (typeof decision === 'string') return ignored(decision);
		return readEmbyEvent(payload, name, decision, ctx);
	} catch (error) {
		return invalidFrom(error, `Emby ${name}`);
	}
}

function readEmbyEvent(p: Record<string, unknown>, sourceEvent: string, d: Decision, ctx: ParseContext): ParseOutcome {
	const item = requiredObject(p, 'Item');
	const itemType = lookup(ITEM_TYPES, String(item.Type));
	if (!itemType) {
		if (item.Type === undefined) return invalid(`\`Item.Type\` is missing (Emby ${sourceEvent})`);
		return ignored(`item type "${String(item.Type).slice(0, 32)}" is not synced (movies and episodes only)`);
	}
	const user = optionalObject(p, 'User');
	const userId = user && optionalId(user, 'Id');
	if (userId === undefined && !ctx.allowWithoutUser) {
		return ignored(`${sourceEvent} names no user (enable Accept Events Without User to keep it)`);
	}
	const server = optionalObject(p, 'Server');
	const session = optionalObject(p, 'Session');
	const info = optionalObject(p, 'PlaybackInfo');
	const userData = optionalObject(item, 'UserData');
	const isEpisode = itemType === 'episode';
	const eventTime = parseTime(p.Date) ?? ctx.receivedAt;
	// UserData is absent in captured payloads; when a server does send it, it is the item's state.
	const played = d.tainted && userData ? (toBool(userData.Played) ?? null) : d.played;

	return {
		kind: 'event',
		event: finishEvent({
			backend: 'emby',
			serverId: (server && optionalId(server, 'Id')) ?? optionalId(item, 'ServerId'),
			serverName: optionalText(server, 'Name'),
			userId,
			userName: optionalText(user, 'Name'),
			type: itemType,
			id: requiredId(item, 'Id'),
			title: optionalText(item, 'Name') ?? '',
			year: toCount(item.ProductionYear) || undefined,
			show: isEpisode
				? { id: optionalId(item, 'SeriesId'), title: optionalText(item, 'SeriesName') ?? '', guids: {} }
				: undefined,
			season: isEpisode ? toCount(item.ParentIndexNumber) : undefined,
			episode: isEpisode ? toCount(item.IndexNumber) : undefined,
			seasonId: isEpisode ? optionalId(item, 'SeasonId') : undefined,
			seasonTitle: isEpisode ? optionalText(item, 'SeasonName') : undefined,
			guids: guidsFromProviderIds(item.ProviderIds),
			played,
			positionMs: ticksToMs(info?.PositionTicks ?? userData?.PlaybackPositionTicks),
			durationMs: ticksToMs(item.RunTimeTicks) || undefined,
			playedAt: played === true ? (parseTime(userData?.LastPlayedDate) ?? eventTime) : undefined,
			addedAt: parseTime(item.DateCreated),
			updatedAt: eventTime,
			event: d.event,
			sourceEvent,
			tainted: d.tainted,
			receivedAt: ctx.receivedAt,
			player: session && {
				title: optionalText(session, 'DeviceName') ?? optionalText(session, 'Client'),
				id: optionalText(session, 'DeviceId'),
				address: optionalText(session, 'RemoteEndPoint'),
			},
		}),
	};
}
