import type { WatchEvent } from '../model';
import { toPercent } from '../units';
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

/** Fills derived fields (progress) and drops empty ones, so equal events compare equal. */
export function finishEvent(e: WatchEvent): WatchEvent {
	if (e.progress === undefined) e.progress = toPercent(e.positionMs, e.durationMs);
	if (e.show) compact(e.show);
	for (const key of ['player', 'library'] as const) {
		const v = e[key];
		if (v && Object.keys(compact(v)).length === 0) delete e[key];
	}
	return compact(e);
}
