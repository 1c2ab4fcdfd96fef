/**
 * Jellyfin / Emby BaseItemDto -> WatchItem. Both servers use the same DTO; Emby may leave out
 * UserData of items a user never touched, which then means "not played" only when the listing
 * asked for user data (an untouched item is unplayed), never when the field is just absent from
 * an object we cannot vouch for.
 */
import { fileNameFor, guidsFromProviderIds, isPlainObject } from '../../media/guids';
import type { Guids, WatchItem } from '../../model';
import { parseTime, ticksToMs, toBool, toCount, toPercent, toText } from '../../media/units';
import { compact } from '../../webhook/fields';
import { ratingFromServer } from '../../media/ratings';

export interface MediaBrowserItemContext {
	backend: 'jellyfin' | 'emby';
	userId?: string;
	/** Series id -> series ids. */
	seriesGuids?: Map<string, Guids>;
	/** The request asked for user data, so a missing UserData means an untouched item. */
	userDataRequested: boolean;
	fallbackTime: string;
	/** Keep the file name of id-less items (WatchStateQuery.fileNames; the listing asked for Path). */
	fileNames?: boolean;
}

export function mediaBrowserItemToWatchItem(dto: unknown, ctx: MediaBrowserItemContext): WatchItem | undefined {
	if (!isPlainObject(dto)) return undefined;
	const type = dto.Type === 'Movie' ? 'movie' : dto.Type === 'Episode' ? 'episode' : undefined;
	const id = toText(dto.Id);
	if (!type || !id) return undefined;
	const data = isPlainObject(dto.UserData) ? dto.UserData : undefined;
	const playedFlag = data ? toBool(data.Played) : undefined;
	const played = playedFlag ?? (ctx.userDataRequested && !data ? false : null);
	const positionMs = data ? (ticksToMs(data.PlaybackPositionTicks) ?? 0) : played === false ? 0 : undefined;
	const durationMs = ticksToMs(dto.RunTimeTicks) || undefined;
	const lastPlayed = data ? parseTime(data.LastPlayedDate) : undefined;
	const created = parseTime(dto.DateCreated);
	const isEpisode = type === 'episode';
	const seriesId = toText(dto.SeriesId);
	const guids = guidsFromProviderIds(dto.ProviderIds);
	const showGuids = isEpisode ? (seriesId && ctx.seriesGuids?.get(seriesId)) || {} : undefined;
	return compact({
		backend: ctx.backend,
		serverId: toText(dto.ServerId),
		userId: ctx.userId,
		type,
		id,
		title: toText(dto.Name) ?? '',
		year: isEpisode ? undefined : toCount(dto.ProductionYear) || undefined,
		show: isEpisode
			? compact({ id: seriesId, title: toText(dto.SeriesName) ?? '', guids: showGuids ?? {} })
			: undefined,
		season: isEpisode ? toCount(dto.ParentIndexNumber) : undefined,
		episode: isEpisode ? toCount(dto.IndexNumber) : undefined,
		seasonId: isEpisode ? toText(dto.SeasonId) : undefined,
		guids,
		file: fileNameFor(ctx.fileNames, dto.Path, guids, showGuids),
		played,
		positionMs,
		durationMs,
		progress: toPercent(positionMs, durationMs),
		playedAt: played === true ? lastPlayed : undefined,
		// The servers keep no date of a rating.
		rating: data ? ratingFromServer(data.Rating, ctx.backend) : undefined,
		addedAt: created,
		updatedAt: lastPlayed ?? created ?? ctx.fallbackTime,
	} as WatchItem);
}
