/**
 * The Watcher's playback tracker: the channels' session reports become the webhook triggers'
 * events, each once (nodes/shared/watcher/playback.ts).
 */
import { readMediaBrowserMessage, readPlexNotification } from '../../nodes/shared/watcher/messages';
import { PlaybackTracker, type SessionSnapshot } from '../../nodes/shared/watcher/playback';

const MIN = 60_000;
const at = (positionMs: number, extra: Partial<SessionSnapshot> = {}): SessionSnapshot => ({ key: 's1', userId: 'u1', itemId: 'm1', positionMs, durationMs: 100 * MIN, paused: false, ...extra });
const names = (t: Array<{ event: string }>) => t.map((x) => x.event);

describe('PlaybackTracker (Plex: one session per notification)', () => {
	it('play, pause, resume, then a scrobble once at 90 % however many reports follow, and no stop after it', () => {
		const t = new PlaybackTracker();
		expect(names(t.update(at(MIN)))).toEqual(['play']);
		expect(names(t.update(at(2 * MIN)))).toEqual([]);
		expect(names(t.update(at(3 * MIN, { paused: true })))).toEqual(['pause']);
		expect(names(t.update(at(3 * MIN)))).toEqual(['resume']);
		expect(t.update(at(90 * MIN))).toEqual([{ event: 'scrobble', session: at(90 * MIN) }]);
		expect(names(t.update(at(95 * MIN)))).toEqual([]);
		expect(t.end('s1', { positionMs: 97 * MIN })).toEqual([]);
		expect(t.size).toBe(0);
	});

	it('a stop before the played share is a stop at its position; a stop at 95 % is one scrobble', () => {
		const t = new PlaybackTracker();
		t.update(at(MIN));
		expect(t.end('s1', { positionMs: 40 * MIN })).toEqual([{ event: 'stop', session: at(40 * MIN) }]);
		t.update(at(MIN, { key: 's2' }));
		expect(names(t.end('s2', { positionMs: 95 * MIN }))).toEqual(['scrobble']);
		expect(t.end('s2')).toEqual([]);
	});

	it('a session that moves to another item ended the first one; the threshold follows the server', () => {
		const t = new PlaybackTracker(80);
		t.update(at(10 * MIN));
		const moved = t.update(at(0, { itemId: 'm2' }));
		expect(moved.map((x) => [x.event, x.session.itemId])).toEqual([
			['stop', 'm1'],
			['play', 'm2'],
		]);
		expect(names(t.update(at(85 * MIN, { itemId: 'm2' })))).toEqual(['scrobble']);
	});

	it('a session first seen paused, or past the threshold (a reconnect mid-play), says so once', () => {
		const t = new PlaybackTracker();
		expect(names(t.update(at(MIN, { paused: true })))).toEqual(['pause']);
		expect(names(t.update(at(92 * MIN, { key: 's2' })))).toEqual(['play', 'scrobble']);
	});

	it('without a duration nothing is ever taken for played', () => {
		const t = new PlaybackTracker();
		t.update(at(99 * MIN, { durationMs: undefined }));
		expect(names(t.end('s1'))).toEqual(['stop']);
	});
});

describe('PlaybackTracker (Jellyfin / Emby: the whole session list)', () => {
	it('sessions that leave the list end; two people playing at once are kept apart', () => {
		const t = new PlaybackTracker();
		const alice = at(MIN);
		const bob = at(5 * MIN, { key: 's2', userId: 'u2', itemId: 'e7' });
		expect(names(t.replaceAll([alice, bob]))).toEqual(['play', 'play']);
		expect(names(t.replaceAll([at(MIN, { paused: true }), bob]))).toEqual(['pause']);
		const stopped = t.replaceAll([at(96 * MIN)]);
		expect(stopped.map((x) => [x.event, x.session.userId, x.session.itemId])).toEqual([
			['stop', 'u2', 'e7'],
			['resume', 'u1', 'm1'],
			['scrobble', 'u1', 'm1'],
		]);
		expect(t.replaceAll([])).toEqual([]);
		expect(t.size).toBe(0);
	});

	it('a repeated list changes nothing', () => {
		const t = new PlaybackTracker();
		t.replaceAll([at(MIN)]);
		expect(t.replaceAll([at(MIN)])).toEqual([]);
		t.clear();
		expect(names(t.replaceAll([at(MIN)]))).toEqual(['play']);
	});
});

describe('the channels\' messages, read strictly', () => {
	it('Plex: sessions and watch-state changes; malformed or foreign notifications are ignored with a reason', () => {
		const metadata = '/library/metadata/100001';
		const playing = JSON.stringify({ NotificationContainer: { type: 'playing', size: 1, PlaySessionStateNotification: [{ sessionKey: '3', ratingKey: '100001', key: metadata, viewOffset: 5000, state: 'paused' }] } });
		expect(readPlexNotification(playing)).toEqual([{ kind: 'session', key: '3', itemId: '100001', positionMs: 5000, state: 'paused' }]);
		const ended = (event: string, type = 'library.refresh.items', key = '/library/metadata/42') =>
			JSON.stringify({ NotificationContainer: { type: 'activity', ActivityNotification: [{ event, Activity: { type, userID: 7, progress: 100, Context: { key } } }] } });
		expect(readPlexNotification(ended('ended'))).toEqual([{ kind: 'changed', itemId: '42', accountId: '7' }]);
		for (const foreign of [
			ended('started'),
			ended('ended', 'library.update.section'),
			ended('ended', 'library.refresh.items', '/library/metadata/42/children'),
			'not json',
			JSON.stringify({ MessageType: 'Sessions', Data: [] }),
			JSON.stringify({ NotificationContainer: { type: 'playing', PlaySessionStateNotification: [{ sessionKey: '3', ratingKey: '1', state: 'exploding', viewOffset: 1 }] } }),
			JSON.stringify({ NotificationContainer: { type: 'playing', PlaySessionStateNotification: [{ sessionKey: '3', state: 'playing', viewOffset: 1 }] } }),
			JSON.stringify({ NotificationContainer: { type: 'timeline', TimelineEntry: [] } }),
		]) {
			const read = readPlexNotification(foreign);
			expect(read).toMatchObject({ kind: 'ignored' });
			expect((read as { reason: string }).reason.length).toBeGreaterThan(10);
		}
	});

	it('Jellyfin / Emby: playing sessions only, user-data changes, keep-alives; anything else ignored', () => {
		const sessions = JSON.stringify({
			MessageType: 'Sessions',
			Data: [
				{ Id: 'a', UserId: 'u1', NowPlayingItem: { Id: 'i1', RunTimeTicks: 60_000 * 10_000 }, PlayState: { PositionTicks: 30_000 * 10_000, IsPaused: true } },
				{ Id: 'b', UserId: 'u2' },
			],
		});
		expect(readMediaBrowserMessage(sessions)).toEqual({ kind: 'sessions', sessions: [{ key: 'a', userId: 'u1', itemId: 'i1', positionMs: 30_000, durationMs: 60_000, paused: true }] });
		expect(readMediaBrowserMessage(JSON.stringify({ MessageType: 'UserDataChanged', Data: { UserId: 'u1', UserDataList: [{ ItemId: 'i1', Played: false, PlaybackPositionTicks: 0 }] } }))).toEqual({
			kind: 'userData',
			changes: [{ userId: 'u1', itemId: 'i1', played: false, positionMs: 0 }],
		});
		expect(readMediaBrowserMessage(JSON.stringify({ MessageType: 'ForceKeepAlive', Data: 60 }))).toEqual({ kind: 'forceKeepAlive', seconds: 60 });
		for (const foreign of ['{', JSON.stringify({ Data: [] }), JSON.stringify({ MessageType: 'Sessions', Data: {} }), JSON.stringify({ MessageType: 'Sessions', Data: [{ Id: 'a', NowPlayingItem: { Id: 'i' } }] }), JSON.stringify({ MessageType: 'UserDataChanged', Data: { UserDataList: [] } }), JSON.stringify({ MessageType: 'LibraryChanged', Data: {} })]) {
			expect(readMediaBrowserMessage(foreign)).toMatchObject({ kind: 'ignored' });
		}
	});
});
