/**
 * One planned write on its target (Sync Servers, Restore Backup, and Apply Watch State fed with
 * Plan Sync's writes). The target is read again first, so a write that is no longer needed, or an
 * item that changed since it was listed, is skipped rather than forced; a write that would destroy
 * something the plan did not mean to change is held:
 * - a mark-played that carries the target's newer resume point writes it back after the mark (the
 *   servers reset the position when they mark: PMS /:/scrobble, Jellyfin MarkPlayed with
 *   resetPosition, jellyfin/jellyfin v10.10.7 MediaBrowser.Controller/Entities/BaseItem.cs); a
 *   server that cannot write a position (Jellyfin 10.8) gets no mark rather than a lost point;
 * - a position at or past the server's own played threshold (Plex LibraryVideoPlayedThreshold)
 *   would mark the item played, so it is not sent;
 * - an item the user is playing right now is left for the next run (watchstate's Push does the same).
 */
import type { IDataObject } from 'n8n-workflow';
import type { MediaClient } from '../backends/client';
import type { WatchItem } from '../model';
import type { PlannedWrite } from '../sync/plan';
import { POSITION_TOLERANCE_MS } from '../sync/rules';

export type ApplyAction = 'marked-played' | 'marked-unplayed' | 'progress' | 'skipped' | 'not-found';

export interface AppliedWrite {
	action: ApplyAction;
	reason: string;
	/** The target is in the state the write wanted: written now, or already so. */
	landed: boolean;
	/** n8n's clock just before the first call and after the last, when something was written. */
	sentAt?: { from: number; to: number };
	/** What the node hands on. */
	json: IDataObject;
}

export interface ApplyWriteOptions {
	dryRun: boolean;
	/** `userId|itemId` of what is being played on this server right now (undefined: not known). */
	playing?: Set<string>;
	/** The target as re-read moments ago with others in one request (readStates); else it is read here. */
	current?: WatchItem;
}

export const playingKey = (userId: string | undefined, itemId: string) => `${userId ?? ''}|${itemId}`;

export async function applyPlanned(client: MediaClient, write: PlannedWrite, options: ApplyWriteOptions | boolean): Promise<AppliedWrite> {
	const { dryRun, playing, current } = typeof options === 'boolean' ? { dryRun: options, playing: undefined, current: undefined } : options;
	// A batch re-read carries no show ids: the listing's are the same show's.
	const target = current ? { ...current, show: write.target.show ?? current.show } : await client.getItem(write.target.id);
	let action: ApplyAction = 'skipped';
	let reason = write.reason;
	let landed = false;
	let keep = write.op === 'mark-played' ? write.keepPositionMs : undefined;
	if (playing?.has(playingKey(write.target.userId, write.target.id))) {
		reason = 'being played right now; the next run writes it if it is still needed';
	} else if (write.op === 'mark-played') {
		if (target.played === true) [reason, landed] = ['already played', true];
		else {
			action = 'marked-played';
			// The resume point as it is now (it may have moved since the listing, or gone).
			if (keep !== undefined) keep = target.positionMs || undefined;
			const unsupported = keep !== undefined ? await client.positionsUnsupported() : undefined;
			if (unsupported) [action, reason] = ['skipped', `held: marking it would lose the newer resume point here (${unsupported})`];
		}
	} else if (write.op === 'mark-unplayed') {
		if (target.played !== true) [reason, landed] = target.played === false ? ['already unplayed', true] : ['target state is unknown', false];
		else if (Date.parse(target.updatedAt) > Date.parse(write.target.updatedAt)) reason = 'target changed after it was listed';
		else action = 'marked-unplayed';
	} else if (write.op === 'set-position' && write.positionMs !== undefined) {
		const unsupported = await client.positionsUnsupported();
		const threshold = await client.playedThresholdPercent();
		const duration = target.durationMs ?? write.target.durationMs;
		if (target.played === true) reason = 'target is played now';
		else if (Math.abs((target.positionMs ?? 0) - write.positionMs) < POSITION_TOLERANCE_MS) [reason, landed] = ['position already in step', true];
		else if (unsupported) reason = unsupported;
		else if (duration && (write.positionMs / duration) * 100 >= threshold) reason = `the position is past this server's played threshold (${threshold} %): writing it would mark the item played`;
		else action = 'progress';
	}
	let sentAt: AppliedWrite['sentAt'];
	if (!dryRun && action !== 'skipped') {
		const from = Date.now();
		if (action === 'marked-played') {
			await client.markPlayed(target, write.playedAt);
			if (keep !== undefined) await client.setPosition({ ...target, played: true }, keep);
		}
		if (action === 'marked-unplayed') await client.markUnplayed(target);
		if (action === 'progress') await client.setPosition(target, write.positionMs!);
		sentAt = { from, to: Date.now() };
		landed = true;
	}
	const json: IDataObject = {
		action,
		reason,
		...(action === 'progress' ? { positionMs: write.positionMs } : {}),
		...(action === 'marked-played' && keep !== undefined ? { keptPositionMs: keep } : {}),
		source: write.source,
		target: target as unknown as IDataObject,
		dryRun,
	};
	return { action, reason, landed: landed && !dryRun, sentAt, json };
}
