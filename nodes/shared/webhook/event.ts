import type { WatchEvent } from '../model';
import { toPercent } from '../media/units';
import { compact } from './fields';

/** What a parser gets besides the payload. */
export interface ParseContext {
	/** When the request arrived (ISO-8601 UTC); the event time for payloads that carry none. */
	receivedAt: string;
	/** Keep the chatty progress events (Jellyfin PlaybackProgress, Emby playback.progress). */
	progressEvents?: boolean;
	/** Accept events that name no user (Jellyfin ItemAdded, templates without a user id). */
	allowWithoutUser?: boolean;
}

function nonEmpty<T extends object>(obj: T): T | undefined {
	for (const _ in obj) return obj;
	return undefined;
}

/** Fills derived fields (progress) and drops empty ones, so equal events compare equal. */
export function finishEvent(e: WatchEvent): WatchEvent {
	if (e.progress === undefined) e.progress = toPercent(e.positionMs, e.durationMs);
	if (e.show) e.show = compact(e.show);
	if (e.player) e.player = nonEmpty(compact(e.player));
	if (e.library) e.library = nonEmpty(compact(e.library));
	return compact(e);
}
