/**
 * Tautulli webhook in the seed template format (a Plex-like JSON, see backend-apis.md §4.2)
 * -> WatchEvent. Tautulli renders every placeholder as a string, dates as `YYYY-MM-DD`, and for
 * episodes its imdb/tmdb/tvdb ids belong to the show, never to the episode.
 */
import { guidsFromTautulli, isPlainObject, makeGuids, parsePlexGuid } from '../../media/guids';
import type { MediaType, WatchEventName } from '../../model';
import { parseTime, toBool, toCount } from '../../media/units';
import { optionalId, optionalObject, optionalText, requiredId, requiredObject } from '../../webhook/fields';
import { finishEvent, type ParseContext } from '../../webhook/event';
import { ignored, invalid, invalidFrom, type ParseOutcome } from '../../webhook/outcome';
import { lookup } from '../../media/lookup';

export const TAUTULLI_EVENTS: Readonly<Record<string, WatchEventName>> = {
	'tautulli.play': 'play',
	'tautulli.pause': 'pause',
	'tautulli.resume': 'resume',
	'tautulli.stop': 'stop',
	'tautulli.watched': 'scrobble',
	'tautulli.created': 'added',
};

export function parseTautulliWebhook(payload: unknown, ctx: ParseContext): ParseOutcome {
	if (!isPlainObject(payload)) return invalid('payload must be a JSON object: not a Tautulli webhook');
	const sourceEvent = payload.event;
	if (typeof sourceEvent !== 'string' || !sourceEvent.startsWith('tautulli.')) {
		return invalid('`event` must be "tautulli.{action}": not a Tautulli seed-template payload');
	}
	const event = lookup(TAUTULLI_EVENTS, sourceEvent);
	if (!event) return ignored(`${sourceEvent.slice(0, 64)} is not a watch-state event`);
	try {
		return readTautulliEvent(payload, sourceEvent, event, ctx);
	} catch (error) {
		return invalidFrom(error, `Tautulli ${sourceEvent}`);
	}
}

function readTautulliEvent(
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
	const mediaType: MediaType = type;
	const isEpisode = mediaType === 'episode';
	const account = optionalObject(payload, 'Account');
	const server = optionalObject(payload, 'Server');
	const player = optionalObject(payload, 'Player');
	const tautulliIds = guidsFromTautulli(meta.Guids);
	const plexGuid = parsePlexGuid(meta.guid);
	const scrobbled = event === 'scrobble';
	// `{show_year}` is the show's year for episodes and empty for movies.
	const year = toCount(meta.year) || undefined;

	return {
		kind: 'event',
		event: finishEvent({
			backend: 'tautulli',
			serverId: server && optionalId(server, 'uuid'),
			serverName: optionalText(server, 'title'),
			userId: account && optionalId(account, 'id'),
			userName: optionalText(account, 'title'),
			type: mediaType,
			id: requiredId(meta, 'ratingKey'),
			title: optionalText(meta, 'title') ?? '',
			year: isEpisode ? undefined : year,
			show: isEpisode
				? {
						id: optionalId(meta, 'grandparentRatingKey'),
						title: optionalText(meta, 'grandparentTitle') ?? '',
						year,
						guids: makeGuids([
							...Object.entries(tautulliIds),
							...Object.entries(plexGuid.showGuids ?? {}),
						]),
					}
				: undefined,
			season: isEpisode ? (toCount(meta.parentIndex) ?? plexGuid.season) : undefined,
			episode: isEpisode ? (toCount(meta.index) ?? plexGuid.episode) : undefined,
			seasonId: isEpisode ? optionalId(meta, 'parentRatingKey') : undefined,
			seasonTitle: isEpisode ? optionalText(meta, 'parentTitle') : undefined,
			library: {
				id: optionalId(meta, 'librarySectionID'),
				title: optionalText(meta, 'librarySectionTitle'),
			},
			guids: isEpisode ? plexGuid.guids : makeGuids([...Object.entries(tautulliIds), ...Object.entries(plexGuid.guids)]),
			sourceGuid: optionalText(meta, 'guid'),
			played: scrobbled ? true : null,
			positionMs: toCount(meta.viewOffset),
			durationMs: toCount(meta.duration) || undefined,
			// Tautulli dates have no time of day; the moment of the webhook is the better watch time.
			playedAt: scrobbled ? ctx.receivedAt : undefined,
			addedAt: parseTime(meta.addedAt),
			metadataUpdatedAt: parseTime(meta.updatedAt),
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
