/**
 * Which scrobble call (if any) a WatchEvent becomes. Defaults from backend-apis.md §5.2 and the
 * servers' own lines: Trakt ignores < 1 % and scrobbles a stop above 80 %, while Plex counts an
 * item watched at 90 %; a stop between 80 % and that line is held as a pause so Trakt does not
 * record a play the media server did not.
 */
import type { WatchEvent } from '../../model';

export interface ScrobbleRules {
	/** Below this progress nothing is sent (Trakt answers 422). */
	minProgress: number;
	/** A start at or above this is ignored (credits, auto-play of the next item). */
	ignoreStartAbove: number;
	/** Stops from here up to the watched line are sent as pauses unless the server said watched. */
	holdStopsFrom: number;
	/** The media server's watched line. */
	watchedLine: number;
	/** A stop at or above this is trusted as watched even if the server did not say so. */
	trustStopAbove: number;
}

export const DEFAULT_RULES: ScrobbleRules = { minProgress: 1, ignoreStartAbove: 99, holdStopsFrom: 80, watchedLine: 90, trustStopAbove: 95 };

export type ScrobbleAction = 'start' | 'pause' | 'stop';

export type ScrobbleDecision = { action: ScrobbleAction; progress: number; reason: string } | { action: 'skip'; reason: string };

function progressOf(event: WatchEvent): number | undefined {
	if (event.progress !== undefined) return event.progress;
	if (event.positionMs !== undefined && event.durationMs) return Math.min(100, (event.positionMs / event.durationMs) * 100);
	return undefined;
}

export function decideScrobble(event: WatchEvent, rules: ScrobbleRules = DEFAULT_RULES): ScrobbleDecision {
	const watched = event.event === 'scrobble' && event.tainted === false;
	if (event.event === 'played' || event.event === 'unplayed') {
		return { action: 'skip', reason: 'manual marks are not playback; use History: Add / Remove' };
	}
	if (!['play', 'resume', 'pause', 'progress', 'stop', 'scrobble'].includes(event.event)) {
		return { action: 'skip', reason: `"${event.event}" is not a playback event` };
	}
	let progress = progressOf(event);
	// A server's "watched" without a position (Plex media.scrobble) is at least its watched line.
	if (watched) progress = Math.max(progress ?? 0, rules.watchedLine);
	if (progress === undefined) return { action: 'skip', reason: 'the event carries no position or progress' };
	progress = Math.round(progress * 100) / 100;
	if (progress < rules.minProgress) return { action: 'skip', reason: `progress under ${rules.minProgress} %` };
	if (watched) return { action: 'stop', progress, reason: 'watched on the server' };

	switch (event.event) {
		case 'play':
		case 'resume':
			if (progress >= rules.ignoreStartAbove) return { action: 'skip', reason: `a start at ${progress} % (>= ${rules.ignoreStartAbove} %) is not scrobbled` };
			return { action: 'start', progress, reason: 'playback started' };
		case 'pause':
		case 'progress':
			return { action: 'pause', progress, reason: 'playback paused' };
		default:
			if (progress >= rules.trustStopAbove) return { action: 'stop', progress, reason: `stopped at ${progress} % (>= ${rules.trustStopAbove} %)` };
			if (progress >= rules.holdStopsFrom) {
				return { action: 'pause', progress, reason: `stopped at ${progress} %, below the ${rules.watchedLine} % watched line: held as a pause` };
			}
			return { action: 'stop', progress, reason: 'playback stopped' };
	}
}
