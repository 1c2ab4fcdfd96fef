/**
 * Plex Media Server webhook payload -> WatchEvent.
 * Shape: `{ event, user, owner, Account, Server, Player, Metadata }` (backend-apis.md §1.1).
 */
import { guidsFromPlex, isPlainObject } from '../../media/guids';
import type { MediaType, WatchEvent, WatchEventName } from '../../model';
import { ratingFromServer } from '../../media/ratings';
import { parseTime, toBool, toCount, toNumber } from '../../media/units';
import { optionalId, optionalObject, optionalText, requiredId, requiredObject } from '../../webhook/fields';
import { finishEvent, type ParseContext } from '../../webhook/event';
import { ignored, invalid, invalidFrom, type ParseOutcome } from '../../webhook/outcome';
import { lookup } from '../../media/lookup';

export const PLEX_EVENTS: Readonly<Record<string, WatchEventName>> = {
	'media.play': 'play',
	'media.pause': 'pause',
	'media.resume': 'resume',
	'media.stop': 'stop',
	'media.scrobble': 'scrobble',
	'media.rate': 'rate',
	'library.new': 'added',
};

/** Events Plex sends that say nothing about a user's watch state, with the reason we drop them. */
const DROPPED: Readonly<Record<string, string>> = {
	'library.on.deck': 'library.on.deck only reports an On Deck change',
	'playback.started': "playback.started is the owner's copy of a shared user's media.play",
	'device.new': 'device.new is a device event, not a watch-state change',
	'admin.database.backup': 'admin.database.backup is a server admin event',
	'admin.database.corrupted': 'admin.database.corrupted is a server admin event',
};

export function parsePlexWebhook(payload: unknown, ctx: ParseContext): ParseOutcome {
	if (!isPlainObject(payload)) return invalid('payload must be a JSON object: not a Plex webhook');
	const sourceEvent = payload.event;
	if (typeof sourceEvent !== 'string' || sourceEvent === '') {
		return invalid('`event` is missing: not a Plex webhook payload');
	}
	const dropped = lookup(DROPPED, sourceEvent);
	if (dropped) return ignored(dropped);
	const event = lookup(PLEX_EVENTS, sourceEvent);
	if (!event) return ignored(`unknown Plex event "${sourceEvent.slice(0, 64)}"`);
	try {
		return readPlexEvent(payload, sourceEvent, event, ctx);
	} catch (error) {
		return invalidFrom(error, `Plex ${sourceEvent}`);
	}
}

function readPlexEvent(
	payload: Record<string, unknown>,
	sourceEvent: string,
	event: WatchEventName,
	ctx: ParseContext,
): ParseOutcome {
	const meta = requiredObject(payload, 'Metadata');
	const type = meta.type;
	if (type !== 'movie' && type !== 'episode') {
		return ignored(`item type "${String(type).slice(0, 32)}" is not synced (movies and episodes only)`);
	}
	const account = optionalObject(payload, 'Account');
	const server = optionalObject(payload, 'Server');
	const player = optionalObject(payload, 'Player');
	const ids = guidsFromPlex(meta.Guid, meta.guid);
	const viewCount = toCount(meta.viewCount) ?? 0;
	const lastViewedAt = parseTime(toNumber(meta.lastViewedAt));
	const scrobbled = event === 'scrobble';
	const rated = event === 'rate' ? plexRating(payload, meta) : {};

	const mediaType: MediaType = type;
	const isEpisode = mediaType === 'episode';
	return {
		kind: 'event',
		event: finishEvent({
			backend: 'plex',
			serverId: server && optionalId(server, 'uuid'),
			serverName: optionalText(server, 'title'),
			userId: account && optionalId(account, 'id'),
			userName: optionalText(account, 'title'),
			type: mediaType,
			id: requiredId(meta, 'ratingKey'),
			title: optionalText(meta, 'title') ?? '',
			year: toCount(meta.year),
			show: isEpisode
				? {
						id: optionalId(meta, 'grandparentRatingKey'),
						title: optionalText(meta, 'grandparentTitle') ?? '',
						guids: ids.showGuids ?? {},
					}
				: undefined,
			season: isEpisode ? (toCount(meta.parentIndex) ?? ids.season) : undefined,
			episode: isEpisode ? (toCount(meta.index) ?? ids.episode) : undefined,
			seasonId: isEpisode ? optionalId(meta, 'parentRatingKey') : undefined,
			seasonTitle: isEpisode ? optionalText(meta, 'parentTitle') : undefined,
			library: {
				id: optionalId(meta, 'librarySectionID'),
				title: optionalText(meta, 'librarySectionTitle'),
				type: optionalText(meta, 'librarySectionType'),
			},
			guids: ids.guids,
			sourceGuid: optionalText(meta, 'guid'),
			// Plex omits viewCount when it is 0, but a webhook for a shared user may carry the owner's
			// view; so only a positive count or a scrobble is taken as known state.
			played: scrobbled || viewCount > 0 ? true : null,
			positionMs: toCount(meta.viewOffset),
			durationMs: toCount(meta.duration) || undefined,
			playedAt: scrobbled ? (lastViewedAt ?? ctx.receivedAt) : viewCount > 0 ? lastViewedAt : undefined,
			...rated,
			addedAt: parseTime(toNumber(meta.addedAt)),
			metadataUpdatedAt: parseTime(toNumber(meta.updatedAt)),
			updatedAt: ctx.receivedAt,
			event,
			sourceEvent,
			tainted: !scrobbled,
			receivedAt: ctx.receivedAt,
			player: player && {
				title: optionalText(player, 'title'),
				id: optionalText(player, 'uuid'),
				local: toBool(player.local),
				address: optionalText(player, 'publicAddress'),
			},
		}),
	};
}

/**
 * media.rate carries the new rating at the top (`"rating": 8.0`) beside Metadata.userRating and
 * lastRatedAt (payloads quoted in dannyvfilms/Floppy#56 and #1214); a cleared rating is -1, as
 * `/:/rate` takes it (python-plexapi mixins.py `rate`), or no rating at all.
 */
function plexRating(payload: Record<string, unknown>, meta: Record<string, unknown>): Pick<WatchEvent, 'rating' | 'ratedAt' | 'ratingRemoved'> {
	const top = toNumber(payload.rating);
	const rating = ratingFromServer(top ?? meta.userRating, 'plex');
	if (rating !== undefined) return { rating, ratedAt: parseTime(toNumber(meta.lastRatedAt)) };
	return top !== undefined && top <= 0 ? { ratingRemoved: true } : {};
}
