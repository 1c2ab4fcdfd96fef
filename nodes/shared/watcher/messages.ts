/**
 * The live channels' messages, read strictly (#24's Watcher). Anything malformed or foreign is
 * `ignored` with a reason the trigger logs; it never becomes an event.
 * - Plex `/:/websockets/notifications`: `{ NotificationContainer: { type, … } }`; `playing` carries
 *   PlaySessionStateNotification rows (sessionKey, ratingKey, viewOffset, state), `activity` an
 *   ActivityNotification whose ended `library.refresh.items` names an item whose watch state a user
 *   changed (Context.key, Activity.userID; PlexTraktSync's watch reads played / unplayed from it,
 *   Taxel/PlexTraktSync#499). Every other type (timeline, status, progress…) says nothing of watch state.
 * - Jellyfin / Emby socket: `{ MessageType, Data }`: `Sessions` (the list; only sessions with a
 *   NowPlayingItem play), `UserDataChanged` (UserId, UserDataList), `ForceKeepAlive` (Data: the
 *   timeout in seconds) and `KeepAlive` (jellyfin/jellyfin SessionWebSocketListener, UserDataChangeNotifier).
 */
import { isPlainObject } from '../media/guids';
import { ticksToMs, toCount, toText } from '../media/units';
import type { SessionSnapshot } from './playback';

export type PlexSignal =
	| { kind: 'session'; key: string; itemId: string; positionMs: number; state: 'playing' | 'paused' | 'buffering' | 'stopped' }
	/** A user's watch state of an item changed: read it again as that account. */
	| { kind: 'changed'; itemId: string; accountId: string };

export type Ignored = { kind: 'ignored'; reason: string };

function json(text: unknown): unknown {
	if (typeof text !== 'string') return undefined;
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}

const METADATA_KEY = /^\/library\/metadata\/(\d+)$/;
const PLEX_STATES = new Set(['playing', 'paused', 'buffering', 'stopped']);

/** One Plex notification: the signals in it, or why there are none. */
export function readPlexNotification(text: unknown): PlexSignal[] | Ignored {
	const message = json(text);
	if (!isPlainObject(message) || !isPlainObject(message.NotificationContainer)) return { kind: 'ignored', reason: 'not a Plex notification (no NotificationContainer)' };
	const container = message.NotificationContainer;
	if (container.type === 'playing') {
		const rows = Array.isArray(container.PlaySessionStateNotification) ? container.PlaySessionStateNotification : undefined;
		if (!rows) return { kind: 'ignored', reason: 'a playing notification without PlaySessionStateNotification' };
		const out: PlexSignal[] = [];
		for (const row of rows) {
			if (!isPlainObject(row)) return { kind: 'ignored', reason: 'a malformed PlaySessionStateNotification row' };
			const key = toText(row.sessionKey);
			const itemId = toText(row.ratingKey) ?? METADATA_KEY.exec(String(row.key ?? ''))?.[1];
			const positionMs = toCount(row.viewOffset);
			const state = String(row.state);
			if (!key || !itemId || positionMs === undefined || !PLEX_STATES.has(state)) return { kind: 'ignored', reason: 'a PlaySessionStateNotification without sessionKey, ratingKey, viewOffset or a known state' };
			out.push({ kind: 'session', key, itemId, positionMs, state: state as 'playing' });
		}
		return out;
	}
	if (container.type === 'activity') {
		const rows = Array.isArray(container.ActivityNotification) ? container.ActivityNotification : [];
		const out: PlexSignal[] = [];
		for (const row of rows) {
			if (!isPlainObject(row) || row.event !== 'ended' || !isPlainObject(row.Activity)) continue;
			const activity = row.Activity;
			if (activity.type !== 'library.refresh.items' || !isPlainObject(activity.Context)) continue;
			const itemId = METADATA_KEY.exec(String(activity.Context.key ?? ''))?.[1];
			const accountId = toText(activity.userID);
			if (itemId && accountId) out.push({ kind: 'changed', itemId, accountId });
		}
		return out.length > 0 ? out : { kind: 'ignored', reason: 'an activity that changes no watch state' };
	}
	return { kind: 'ignored', reason: `a ${String(container.type).slice(0, 32)} notification says nothing of watch state` };
}

export interface UserDataChange {
	userId: string;
	itemId: string;
	played?: boolean;
	positionMs?: number;
}

export type MediaBrowserSignal =
	| { kind: 'sessions'; sessions: SessionSnapshot[] }
	| { kind: 'userData'; changes: UserDataChange[] }
	| { kind: 'forceKeepAlive'; seconds: number }
	| { kind: 'keepAlive' };

/** One Jellyfin / Emby socket message. */
export function readMediaBrowserMessage(text: unknown): MediaBrowserSignal | Ignored {
	const message = json(text);
	if (!isPlainObject(message) || typeof message.MessageType !== 'string') return { kind: 'ignored', reason: 'not a Jellyfin / Emby socket message (no MessageType)' };
	const data = message.Data;
	switch (message.MessageType) {
		case 'KeepAlive':
			return { kind: 'keepAlive' };
		case 'ForceKeepAlive': {
			const seconds = toCount(data);
			return seconds && seconds > 0 ? { kind: 'forceKeepAlive', seconds } : { kind: 'ignored', reason: 'a ForceKeepAlive without a timeout' };
		}
		case 'Sessions': {
			if (!Array.isArray(data)) return { kind: 'ignored', reason: 'a Sessions message without a list' };
			const sessions: SessionSnapshot[] = [];
			for (const s of data) {
				if (!isPlainObject(s)) return { kind: 'ignored', reason: 'a malformed session' };
				if (!isPlainObject(s.NowPlayingItem)) continue;
				const key = toText(s.Id);
				const userId = toText(s.UserId);
				const itemId = toText(s.NowPlayingItem.Id);
				const state = isPlainObject(s.PlayState) ? s.PlayState : {};
				if (!key || !userId || !itemId) return { kind: 'ignored', reason: 'a playing session without Id, UserId or NowPlayingItem.Id' };
				sessions.push({ key, userId, itemId, positionMs: ticksToMs(state.PositionTicks) ?? 0, durationMs: ticksToMs(s.NowPlayingItem.RunTimeTicks), paused: state.IsPaused === true });
			}
			return { kind: 'sessions', sessions };
		}
		case 'UserDataChanged': {
			if (!isPlainObject(data) || !Array.isArray(data.UserDataList)) return { kind: 'ignored', reason: 'a UserDataChanged without UserDataList' };
			const userId = toText(data.UserId);
			if (!userId) return { kind: 'ignored', reason: 'a UserDataChanged without UserId' };
			const changes: UserDataChange[] = [];
			for (const row of data.UserDataList) {
				const itemId = isPlainObject(row) ? toText(row.ItemId) : undefined;
				if (!itemId) return { kind: 'ignored', reason: 'a UserDataChanged row without ItemId' };
				const r = row as Record<string, unknown>;
				changes.push({ userId, itemId, played: typeof r.Played === 'boolean' ? r.Played : undefined, positionMs: ticksToMs(r.PlaybackPositionTicks) });
			}
			return { kind: 'userData', changes };
		}
		default:
			return { kind: 'ignored', reason: `a ${message.MessageType.slice(0, 32)} message says nothing of watch state` };
	}
}
