/**
 * Apply Watch State: what one target item must get so that it agrees with a source item or event
 * from another server. Pure: the node reads the target, calls this, then writes (or not).
 */
import type { WatchEvent, WatchItem } from '../model';
import { MIN_POSITION_MS, POSITION_TOLERANCE_MS, REWATCH_AFTER_MS, WATCHED_PERCENT } from './rules';

export type ApplyStep = 'mark-played' | 'mark-unplayed' | 'set-position' | 'skip';

export interface ApplyDecision {
	step: ApplyStep;
	reason: string;
	positionMs?: number;
	playedAt?: string;
	/** mark-played onto a target with a newer resume point (a rewatch under way): written back after the mark. */
	keepPositionMs?: number;
}

export interface ApplyOptions {
	/** Make explicit un-marks (Jellyfin TogglePlayed=false, Emby item.markunplayed) un-mark here too. */
	propagateUnplayed: boolean;
	/** Copy resume positions. */
	setPositions: boolean;
}

export type Source = WatchItem & Partial<Pick<WatchEvent, 'event' | 'tainted'>>;

const time = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);

export function decideApply(source: Source, target: WatchItem, options: ApplyOptions): ApplyDecision {
	if (source.backend === target.backend && source.id === target.id && (!source.serverId || source.serverId === target.serverId)) {
		return { step: 'skip', reason: 'source and target are the same item' };
	}
	// A played flag counts only when nothing taints it (play/pause/stop events carry no decision).
	if (source.played === true && source.tainted !== true) {
		if (target.played === true) return { step: 'skip', reason: 'already played' };
		const playedAt = source.playedAt ?? source.updatedAt;
		const decision: ApplyDecision = { step: 'mark-played', reason: `played on ${source.backend}`, playedAt };
		// Marking resets the target's position (the servers do); a newer one is put back after it.
		const own = target.positionMs ?? 0;
		const rewatch = own >= MIN_POSITION_MS && !(target.durationMs && (own / target.durationMs) * 100 >= WATCHED_PERCENT) && time(target.updatedAt) > time(playedAt);
		if (rewatch) Object.assign(decision, { keepPositionMs: own, reason: `${decision.reason}; keeps the newer resume point here` });
		return decision;
	}
	const explicitUnmark = source.event === 'unplayed' && source.tainted === false && source.played === false;
	if (explicitUnmark) {
		if (!options.propagateUnplayed) return { step: 'skip', reason: 'un-marks are not propagated (enable Propagate Un-Marks)' };
		if (target.played === false) return { step: 'skip', reason: 'already unplayed' };
		if (target.played === null) return { step: 'skip', reason: 'target state is unknown' };
		if (time(target.updatedAt) > time(source.updatedAt)) return { step: 'skip', reason: 'target changed after the un-mark' };
		return { step: 'mark-unplayed', reason: `marked unplayed on ${source.backend}` };
	}
	return decidePosition(source, target, options);
}

function decidePosition(source: Source, target: WatchItem, options: ApplyOptions): ApplyDecision {
	const position = source.positionMs;
	if (position === undefined) {
		return { step: 'skip', reason: source.played === null ? 'played state unknown and no position' : 'nothing to apply' };
	}
	if (!options.setPositions) return { step: 'skip', reason: 'positions are not synced (Set Positions is off)' };
	if (position < MIN_POSITION_MS) return { step: 'skip', reason: 'position under 60 s is not synced' };
	const duration = target.durationMs ?? source.durationMs;
	if (duration && (position / duration) * 100 >= WATCHED_PERCENT) {
		return { step: 'skip', reason: `position past ${WATCHED_PERCENT} % would count as watched; the watched event decides` };
	}
	if (target.played === true && !(time(source.updatedAt) - time(target.playedAt ?? target.updatedAt) >= REWATCH_AFTER_MS)) {
		return { step: 'skip', reason: 'target is played; a position only lands on it for a later rewatch' };
	}
	if (Math.abs((target.positionMs ?? 0) - position) < POSITION_TOLERANCE_MS) return { step: 'skip', reason: 'position already in step' };
	return { step: 'set-position', reason: `position from ${source.backend}`, positionMs: position };
}
