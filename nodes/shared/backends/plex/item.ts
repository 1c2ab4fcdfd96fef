/**
 * Plex API metadata (JSON, `includeGuids=1`) -> WatchItem. In listings PMS omits zero values, so
 * a missing viewCount is a known "never watched" (false), unlike in webhooks.
 */
import { fileNameFor, guidsFromPlex, isPlainObject } from '../../media/guids';
import type { Guids, WatchItem } from '../../model';
import { parseTime, toCount, toPercent, toText } from '../../media/units';
import { compact } from '../../webhook/fields';
import { ratingFromServer } from '../../media/ratings';

export interface PlexItemContext {
	serverId?: string;
	/** Show ratingKey -> show ids, from the show listing. */
	showGuids?: Map<string, Guids>;
	/** When the item has no time of its own. */
	fallbackTime: string;
	/** Keep the file name of id-less items (WatchStateQuery.fileNames). */
	fileNames?: boolean;
}

/** The first part's file, as listings and metadata carry it (Media[0].Part[0].file). */
function firstFile(meta: Record<string, unknown>): unknown {
	const media = Array.isArray(meta.Media) ? meta.Media[0] : undefined;
	const part = isPlainObject(media) && Array.isArray(media.Part) ? media.Part[0] : undefined;
	return isPlainObject(part) ? part.file : undefined;
}

export function plexItemToWatchItem(meta: unknown, ctx: PlexItemContext): WatchItem | undefined {
	if (!isPlainObject(meta)) return undefined;
	const type = meta.type;
	const id = toText(meta.ratingKey);
	if ((type !== 'movie' && type !== 'episode') || !id) return undefined;
	const ids = guidsFromPlex(meta.Guid, meta.guid);
	const viewCount = toCount(meta.viewCount) ?? 0;
	const lastViewedAt = parseTime(toCount(meta.lastViewedAt));
	const addedAt = parseTime(toCount(meta.addedAt));
	const positionMs = toCount(meta.viewOffset) ?? 0;
	const durationMs = toCount(meta.duration) || undefined;
	const isEpisode = type === 'episode';
	const showId = toText(meta.grandparentRatingKey);
	const showGuids = isEpisode ? (showId && ctx.showGuids?.get(showId)) || ids.showGuids || {} : undefined;
	const item: WatchItem = {
		backend: 'plex',
		serverId: ctx.serverId,
		type,
		id,
		title: toText(meta.title) ?? '',
		year: toCount(meta.year) || undefined,
		show: isEpisode
			? compact({
					id: showId,
					title: toText(meta.grandparentTitle) ?? '',
					guids: showGuids ?? {},
				})
			: undefined,
		season: isEpisode ? (toCount(meta.parentIndex) ?? ids.season) : undefined,
		episode: isEpisode ? (toCount(meta.index) ?? ids.episode) : undefined,
		seasonId: isEpisode ? toText(meta.parentRatingKey) : undefined,
		library: compact({ id: toText(meta.librarySectionID), title: toText(meta.librarySectionTitle) }),
		guids: ids.guids,
		sourceGuid: toText(meta.guid),
		file: fileNameFor(ctx.fileNames, firstFile(meta), ids.guids, showGuids),
		played: viewCount > 0,
		positionMs,
		durationMs,
		progress: toPercent(positionMs, durationMs),
		playedAt: viewCount > 0 ? lastViewedAt : undefined,
		rating: ratingFromServer(meta.userRating, 'plex'),
		ratedAt: meta.userRating !== undefined ? parseTime(toCount(meta.lastRatedAt)) : undefined,
		addedAt,
		updatedAt: lastViewedAt ?? addedAt ?? ctx.fallbackTime,
	};
	return compact(item);
}
