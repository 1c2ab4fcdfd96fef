/** The backup file format and the restore planner, without servers. */
import { BackupRefused, readBackup, toRecord, writeBackup } from '../../nodes/shared/backup/backup';
import type { WatchItem } from '../../nodes/shared/model';
import { planRestore } from '../../nodes/shared/backup/restore';

const T = '2026-06-01T00:00:00.000Z';
const item = (over: Partial<WatchItem>): WatchItem => ({ backend: 'plex', id: '1', type: 'movie', title: 'Heat, "the film"\n', guids: { imdb: 'tt0113277' }, played: true, playedAt: T, updatedAt: T, ...over });

describe('backup file', () => {
	const records = [
		item({ person: 'alice', userName: 'Alice' }),
		item({ id: '2', played: false, positionMs: 600_000, durationMs: 6_000_000, guids: { tmdb: '949' }, person: 'bob' }),
		item({ id: '3', type: 'episode', title: 'Pilot', show: { title: 'Show', guids: { tvdb: '7' } }, season: 1, episode: 1, guids: {}, played: null, person: 'alice' }),
	].map(toRecord);

	it('reads back exactly what it wrote, odd titles included', () => {
		const { text, header } = writeBackup(records, T);
		expect(header).toEqual({ kind: 'watchstate-backup', version: 1, takenAt: T, servers: { plex: 3 }, people: ['alice', 'bob'], count: 3 });
		expect(readBackup(text)).toEqual({ header: { ...header, records }, records });
		// One record per line, so a file can be read and diffed by hand.
		expect(text.split('\n').length).toBe(records.length + 3);
	});

	it('refuses the file cut at any point', () => {
		const { text } = writeBackup(records, T);
		for (let cut = 0; cut < text.trimEnd().length; cut++) expect(() => readBackup(text.slice(0, cut))).toThrow(BackupRefused);
	});
});

describe('restore planning', () => {
	const backup = readBackup(writeBackup([item({ person: 'alice' }), item({ id: '9', person: 'bob', guids: { imdb: 'tt0000009' } })].map(toRecord), T).text);
	const target = (over: Partial<WatchItem>) => item({ backend: 'jellyfin', id: 'j1', played: false, playedAt: undefined, updatedAt: '2026-09-01T00:00:00.000Z', ...over });

	it("writes each person's plays to that person's user only", () => {
		const plan = planRestore(backup, [target({ person: 'alice', userId: 'a' }), target({ person: 'bob', userId: 'b' })], { fromServers: [], person: '', household: true, unmark: false, now: T });
		expect(plan.writes.map((w) => [w.op, w.target.userId])).toEqual([['mark-played', 'a']]);
		expect(plan.notFound).toEqual({ jellyfin: 1 });
		expect(plan.notFoundItems).toEqual([{ server: 'jellyfin', person: 'bob', type: 'movie', title: item({}).title, guids: { imdb: 'tt0000009' } }]);
	});

	it('refuses a household backup for one user without a person, and a one-user backup for the household', () => {
		const one = { fromServers: [], person: '', household: false, unmark: false, now: T };
		expect(() => planRestore(backup, [target({})], one)).toThrow(/several people \(alice, bob\): set Backup Person/);
		expect(planRestore(backup, [target({})], { ...one, person: 'ALICE' }).writes).toHaveLength(1);
		const single = readBackup(writeBackup([toRecord(item({}))], T).text);
		expect(() => planRestore(single, [target({ person: 'alice' })], { ...one, household: true })).toThrow(/taken for one user/);
	});
});

describe('what a backup file may hold', () => {
	const text = (over: Partial<WatchItem>, takenAt = T) => writeBackup([toRecord(item(over))], takenAt).text;

	it('refuses a backup from the future, and numbers no film has', () => {
		expect(() => readBackup(text({}, '2099-01-01T00:00:00.000Z'), Date.parse(T))).toThrow(/in the future/);
		expect(() => readBackup(text({ played: false, positionMs: 1e300, durationMs: 6_000_000 }), Date.parse(T))).toThrow(/positionMs/);
		expect(() => readBackup(text({ year: 1e9 }), Date.parse(T))).toThrow(/year/);
		expect(() => readBackup(text({ updatedAt: '2099-01-01T00:00:00.000Z' }), Date.parse(T))).toThrow(/updatedAt/);
	});

	it("keeps a person's ratings (1–10, with the date where the server keeps one), and refuses one no side can hold", () => {
		const { records } = readBackup(text({ rating: 8, ratedAt: T }), Date.parse(T));
		expect(records.map((r) => [r.rating, r.ratedAt])).toEqual([[8, T]]);
		expect(() => readBackup(text({ rating: 11 }), Date.parse(T))).toThrow(/rating is not a whole number from 1 to 10/);
		expect(() => readBackup(text({ rating: 7, ratedAt: '2099-01-01T00:00:00.000Z' }), Date.parse(T))).toThrow(/ratedAt/);
	});

	it('reads ids as the servers normalize them, and drops ones no server has', () => {
		const backup = readBackup(text({ guids: { imdb: ' TT0113277 ', tmdb: '000949', tvdb: 'x' } as never }), Date.parse(T));
		expect(backup.records[0].guids).toEqual({ imdb: 'tt0113277', tmdb: '949' });
	});
});

describe('restore with Un-Mark Too', () => {
	const target = (over: Partial<WatchItem>) => item({ backend: 'jellyfin', id: 'j1', played: true, playedAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', ...over });
	const opts = { fromServers: [], person: '', household: false, unmark: true, now: T };

	it("never un-marks a play the backup has, because of the backup's own unplayed copy (a 4K copy never watched)", () => {
		const backup = readBackup(writeBackup([item({ id: 'hd', played: true, playedAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z' }), item({ id: '4k', played: false, playedAt: undefined })].map(toRecord), T).text);
		expect(planRestore(backup, [target({})], opts).writes).toEqual([]);
		// Without the played copy, the unplayed record is an un-mark as of the backup.
		const only = readBackup(writeBackup([toRecord(item({ id: '4k', played: false, playedAt: undefined }))], T).text);
		expect(planRestore(only, [target({})], opts).writes.map((w) => w.op)).toEqual(['mark-unplayed']);
	});

	it('marks the episode whose ids agree, not the one a DVD order numbers the same', () => {
		const episode = (over: Partial<WatchItem>) => item({ type: 'episode', show: { title: 'Show', guids: { tvdb: '77' } }, season: 1, ...over });
		const backup = readBackup(writeBackup([toRecord(episode({ id: 'b1', episode: 1, guids: { tvdb: '5001' } }))], T).text);
		const live = [
			target({ ...episode({}), id: 'dvd1', episode: 1, guids: { tvdb: '5002' }, played: false, playedAt: undefined }),
			target({ ...episode({}), id: 'dvd2', episode: 2, guids: { tvdb: '5001' }, played: false, playedAt: undefined }),
		];
		expect(planRestore(backup, live, { ...opts, unmark: false }).writes.map((w) => [w.target.id, w.op])).toEqual([['dvd2', 'mark-played']]);
	});
});
