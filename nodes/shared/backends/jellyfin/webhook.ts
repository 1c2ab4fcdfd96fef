/**
 * Jellyfin webhook plugin payload ("Send All Properties" or a template using the same keys)
 * -> WatchEvent. The payload is one flat PascalCase object (backend-apis.md §2.1). With the
 * "Generic Form" destination every value arrives as a string, so all readers accept both.
 */
import { guidsFromProviderKeys, isPlainObject } from '../../media/guids';
import type { MediaType, WatchEventName } from '../../model';
import { parseTime, ticksToMs, toBool, toCount, toNumber } from '../../media/units';
import { normalizeDotNetGuid, optionalId, optionalText, requiredId } from '../../webhook/fields';
import { finishEvent, type ParseContext } from '../../webhook/event';
import { ignored, invalid, invalidFrom, type ParseOutcome } from '../../webhook/outcome';
import { lookup } from '../../media/lookup';
import { ratingFromServer } from '../../media/ratings';

const ITEM_TYPES: Readonly<Record<string, MediaType>> = { Movie: 'movie', Episode: 'episode' };

interface Decision {
	event: WatchEventName;
	played: boolean | null;
	tainted: boolean;
	rating?: number;
	ratingRemoved?: boolean;
}

/**
 * NotificationType (+ SaveReason for UserDataSaved) -> normalized event, or a reason to drop it.
 * Only a completed stop, a TogglePlayed or a finished playback may change `played`.
 */
function decide(p: Record<string, unknown>, type: string, ctx: ParseContext): Decision | string {
	const tainted = (event: WatchEventName, played: boolean | null = null): Decision => ({ event, played, tainted: true });
	switch (type) {
		case 'PlaybackStart':
			return tainted('play');
		case 'PlaybackProgress':
			if (!ctx.progressEvents) return 'PlaybackProgress is dropped (enable the Progress Events option to keep it)';
			return tainted(toBool(p.IsPaused) === true ? 'pause' : 'progress');
		case 'PlaybackStop':
			return toBool(p.PlayedToCompletion) === true
				? { event: 'scrobble', played: true, tainted: false }
				: tainted('stop');
		case 'ItemAdded':
			return tainted('added');
		case 'UserDataSaved':
			return decideUserData(p, ctx);
		default:
			return `${type.slice(0, 64)} is not a watch-state event`;
	}
}

function decideUserData(p: Record<string, unknown>, ctx: ParseContext): Decision | string {
	const reason = typeof p.SaveReason === 'string' ? p.SaveReason : '';
	const played = toBool(p.Played);
	switch (reason) {
		case 'TogglePlayed':
			if (played === undefined) return 'UserDataSaved/TogglePlayed without a Played value';
			return { event: played ? 'played' : 'unplayed', played, tainted: false };
		case 'PlaybackFinished':
			// Written on every stop; Played is only set when the server counted the item as watched.
			return played === true
				? { event: 'scrobble', played: true, tainted: false }
				: { event: 'stop', played: played ?? null, tainted: true };
		case 'PlaybackStart':
		case 'PlaybackProgress':
			if (!ctx.progressEvents) return `UserDataSaved/${reason} is dropped (enable the Progress Events option to keep it)`;
			return { event: 'progress', played: played ?? null, tainted: true };
		case 'UpdateUserRating': {
			// The plugin sends `Rating = userItemData.Rating ?? 0` (jellyfin-plugin-webhook
			// DataObjectHelpers.AddUserItemData), so a removed rating arrives as 0; no first-party
			// client stores a 0, so 0 reads as removed.
			const value = toNumber(p.Rating);
			if (value === undefined) return { event: 'rate', played: played ?? null, tainted: true };
			const rating = value > 0 ? ratingFromServer(value, 'jellyfin') : undefined;
			return { event: 'rate', played: played ?? null, tainted: true, ...(rating !== undefined ? { rating } : value === 0 ? { ratingRemoved: true } : {}) };
		}
		case 'UpdateUserData':
			// Written through the API (by sync tools, ours included): position only, never a mark.
			return { event: 'progress', played: played ?? null, tainted: true };
		default:
			return `UserDataSaved/${reason.slice(0, 32) || 'without SaveReason'} is not a watch-state change`;
	}
}

export function parseJellyfinWebhook(payload: unknown, ctx: ParseContext): ParseOutcome {
	if (!isPlainObject(payload)) return invalid('payload must be a JSON object: not a Jellyfin webhook');
	const type = payload.NotificationType;
	if (typeof type !== 'string' || type === '') {
		return invalid('`NotificationType` is missing: not a Jellyfin webhook payload');
	}
	try {
		return readJellyfinEvent(payload, type, ctx);
	} catch (error) {
		return invalidFrom(error, `Jellyfin ${type}`);
	}
}

function readJellyfinEvent(p: Record<string, unknown>, type: string, ctx: ParseContext): ParseOutcome {
	const decision = decide(p, type, ctx);
	if (typeof decision === 'string') return ignored(decision);
	const sourceEvent = type === 'UserDataSaved' ? `UserDataSaved/${String(p.SaveReason)}` : type;

	const itemType = lookup(ITEM_TYPES, String(p.ItemType));
	if (!itemType) {
		if (p.ItemType === undefined) return invalid(`\`ItemType\` is missing (Jellyfin ${type})`);
		return ignored(`item type "${String(p.ItemType).slice(0, 32)}" is not synced (movies and episodes only)`);
	}
	const userId = normalizeDotNetGuid(optionalId(p, 'UserId'));
	if (userId === undefined && !ctx.allowWithoutUser) {
		return ignored(`${sourceEvent} names no user (enable Accept Events Without User to keep it)`);
	}
	const isEpisode = itemType === 'episode';
	const eventTime = parseTime(p.UtcTimestamp) ?? ctx.receivedAt;
	const year = toCount(p.Year) || undefined;
	const lastPlayed = parseTime(p.LastPlayedDate);

	return {
		kind: 'event',
		event: finishEvent({
			backend: 'jellyfin',
			serverId: normalizeDotNetGuid(optionalId(p, 'ServerId')),
			serverName: optionalText(p, 'ServerName'),
			userId,
			userName: optionalText(p, 'NotificationUsername'),
			type: itemType,
			id: normalizeDotNetGuid(requiredId(p, 'ItemId')) as string,
			title: optionalText(p, 'Name') ?? '',
			// For episodes Jellyfin's `Year` is the series' production year.
			year: isEpisode ? undefined : year,
			show: isEpisode
				? {
						id: normalizeDotNetGuid(optionalId(p, 'SeriesId')),
						title: optionalText(p, 'SeriesName') ?? '',
						year,
						guids: {},
					}
				: undefined,
			season: isEpisode ? toCount(p.SeasonNumber) : undefined,
			episode: isEpisode ? toCount(p.EpisodeNumber) : undefined,
			seasonId: isEpisode ? normalizeDotNetGuid(optionalId(p, 'SeasonId')) : undefined,
			guids: guidsFromProviderKeys(p),
			played: decision.played,
			rating: decision.rating,
			ratingRemoved: decision.ratingRemoved,
			positionMs: ticksToMs(p.PlaybackPositionTicks),
			durationMs: ticksToMs(p.RunTimeTicks) || undefined,
			playedAt: decision.played === true ? (lastPlayed ?? eventTime) : undefined,
			updatedAt: eventTime,
			event: decision.event,
			sourceEvent,
			tainted: decision.tainted,
			receivedAt: ctx.receivedAt,
			player: {
				title: optionalText(p, 'DeviceName') ?? optionalText(p, 'ClientName'),
				id: optionalText(p, 'DeviceId'),
				address: optionalText(p, 'RemoteEndPoint'),
			},
		}),
	};
}
