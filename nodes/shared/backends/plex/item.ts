/**
 * Plex API metadata (JSON, `includeGuids=1`) -> WatchItem. In listings PMS omits zero values, so
 * a missing viewCount is a known "never watched" (false), unlike in webhooks.
 */
import { guidsFromPlex, isPlainObject } from '../../media/guids';
import type { Guids, WatchItem } from '../../model';
import { parseTime, toCount, toPercent, toText } from '../../media/units';
import { compact } from '../../webhook/fields';

export interface PlexItemContext {
	serverId?: string;
	/** Show ratingKey -> show ids, from the show listing. */
	showGuids?: Map<string, Guids>;
	/** When the item has no time of its own. */
	fallbackTime: string;
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
					guids: (showId && ctx.showGuids?.get(showId)) || ids.showGuids || {},
				})
			: undefined,
		season: isEpisode ? (toCount(meta.parentIndex) ?? ids.season) : undefined,
		episode: isEpisode ? (toCount(meta.index) ?? ids.episode) : undefined,
		seasonId: isEpisode ? toText(meta.parentRatingKey) : undefined,
		library: compact({ id: toText(meta.librarySectionID), title: toText(meta.librarySectionTitle) }),
		guids: ids.guids,
		sourceGuid: toText(meta.guid),
		played: viewCount > 0,
		positionMs,
		durationMs,
		progress: toPercent(positionMs, durationMs),
		playedAt: viewCount > 0 ? lastViewedAt : undefined,
		addedAt,
		updatedAt: lastViewedAt ?? addedAt ?? ctx.fallbackTime,
	};
	return compact(item);
}
