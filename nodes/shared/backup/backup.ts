/**
 * The backup file: every listed item's watch state, one record per item and user, with what it
 * takes to find the item again on any server (external ids; show, season and number for
 * episodes). JSON with one record per line, so a backup of 300,000 items can still be read and
 * diffed by hand. A file is checked whole before anything is restored: a foreign, truncated or
 * damaged file is refused with the reason, never half-applied.
 */
import { isPlainObject, makeGuids } from '../media/guids';
import type { Guids, MediaType, WatchItem } from '../model';
import { ratingFromTrakt } from '../media/ratings';

export const BACKUP_KIND = 'watchstate-backup';
export const BACKUP_VERSION = 1;

export interface BackupRecord {
	/** The server the state was read from, as Sync Servers names it (plex, jellyfin, emby, trakt). */
	server: string;
	/** The server's own item id (informative: ids do not carry over to another server). */
	id: string;
	type: MediaType;
	title: string;
	year?: number;
	show?: { title: string; year?: number; guids: Guids };
	season?: number;
	episode?: number;
	guids: Guids;
	/** null: the server did not say (restored as nothing, never as unplayed). */
	played: boolean | null;
	playedAt?: string;
	positionMs?: number;
	durationMs?: number;
	updatedAt: string;
	userId?: string;
	userName?: string;
	/** The household person (household backups); absent for a one-user backup. */
	person?: string;
	/** The person's own rating, 1–10 (media/ratings.ts), and when it was given where the server dates it. */
	rating?: number;
	ratedAt?: string;
}

export interface BackupHeader {
	kind: typeof BACKUP_KIND;
	version: typeof BACKUP_VERSION;
	takenAt: string;
	/** Records per server. */
	servers: Record<string, number>;
	people: string[];
	count: number;
}

export interface Backup {
	header: BackupHeader;
	records: BackupRecord[];
}

/** A file that cannot be restored from; nothing was read from any server yet. */
export class BackupRefused extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'BackupRefused';
	}
}

export function toRecord(item: WatchItem): BackupRecord {
	const record: BackupRecord = { server: item.backendName ?? item.backend, id: item.id, type: item.type, title: item.title, guids: item.guids, played: item.played, updatedAt: item.updatedAt };
	if (item.year !== undefined) record.year = item.year;
	if (item.show) record.show = { title: item.show.title, guids: item.show.guids, ...(item.show.year !== undefined ? { year: item.show.year } : {}) };
	if (item.season !== undefined) record.season = item.season;
	if (item.episode !== undefined) record.episode = item.episode;
	if (item.playedAt !== undefined) record.playedAt = item.playedAt;
	if (item.positionMs) record.positionMs = item.positionMs;
	if (item.durationMs !== undefined) record.durationMs = item.durationMs;
	if (item.userId !== undefined) record.userId = item.userId;
	if (item.userName !== undefined) record.userName = item.userName;
	if (item.person !== undefined) record.person = item.person;
	if (item.rating !== undefined) record.rating = item.rating;
	if (item.ratedAt !== undefined) record.ratedAt = item.ratedAt;
	return record;
}

/** The file's text: the header's fields, then "records" with one record per line. */
export function writeBackup(records: BackupRecord[], takenAt: string): { text: string; header: BackupHeader } {
	const servers: Record<string, number> = {};
	const people = new Set<string>();
	for (const r of records) {
		servers[r.server] = (servers[r.server] ?? 0) + 1;
		if (r.person !== undefined) people.add(r.person);
	}
	const header: BackupHeader = { kind: BACKUP_KIND, version: BACKUP_VERSION, takenAt, servers, people: [...people].sort(), count: records.length };
	const head = JSON.stringify(header);
	const lines = records.map((r) => JSON.stringify(r));
	return { text: `${head.slice(0, -1)},"records":[\n${lines.join(',\n')}\n]}\n`, header };
}

const GUID_VALUE = (v: unknown) => typeof v === 'string' && v.length > 0;

/** How far a file's dates may run past now (clocks differ); beyond it the file is from the future. */
const CLOCK_SLACK_MS = 86_400_000;
const EARLIEST = Date.UTC(1900, 0, 1);
/** Bounds of the numbers a record may hold: no film or episode runs 30 days, no year is 2200. */
const LIMITS: Record<'year' | 'season' | 'episode' | 'positionMs' | 'durationMs', number> = { year: 2200, season: 100_000, episode: 100_000_000, positionMs: 30 * 86_400_000, durationMs: 30 * 86_400_000 };

/** A date a record or header may carry: readable, not before 1900, not after `latest`. */
function inRange(value: unknown, latest: number): boolean {
	if (typeof value !== 'string') return false;
	const t = Date.parse(value);
	return Number.isFinite(t) && t >= EARLIEST && t <= latest;
}

function checkRecord(r: unknown, i: number, latest: number): BackupRecord {
	const bad = (what: string) => new BackupRefused(`Record ${i + 1} of the backup is damaged (${what}); nothing was restored`);
	if (!isPlainObject(r)) throw bad('not an object');
	if (typeof r.server !== 'string' || r.server === '') throw bad('no server');
	if (typeof r.id !== 'string') throw bad('no id');
	if (r.type !== 'movie' && r.type !== 'episode') throw bad(`type "${String(r.type)}"`);
	if (typeof r.title !== 'string') throw bad('no title');
	if (!isPlainObject(r.guids) || !Object.values(r.guids).every(GUID_VALUE)) throw bad('guids');
	if (r.played !== true && r.played !== false && r.played !== null) throw bad('played is not true, false or null');
	if (!inRange(r.updatedAt, latest)) throw bad('updatedAt');
	if (r.playedAt !== undefined && !inRange(r.playedAt, latest)) throw bad('playedAt');
	if (r.rating !== undefined && ratingFromTrakt(r.rating) === undefined) throw bad('rating is not a whole number from 1 to 10');
	if (r.ratedAt !== undefined && !inRange(r.ratedAt, latest)) throw bad('ratedAt');
	for (const key of ['year', 'season', 'episode', 'positionMs', 'durationMs'] as const) {
		const v = r[key];
		const whole = key === 'year' || key === 'season' || key === 'episode';
		if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || (whole && !Number.isInteger(v)) || v < 0 || v > LIMITS[key])) throw bad(key);
	}
	if (r.show !== undefined && (!isPlainObject(r.show) || typeof r.show.title !== 'string' || !isPlainObject(r.show.guids))) throw bad('show');
	for (const key of ['userId', 'userName', 'person'] as const) if (r[key] !== undefined && typeof r[key] !== 'string') throw bad(key);
	// Ids as every server's parser normalizes them (an edited " TT0113277" is tt0113277); ones no server has are dropped.
	const record = { ...r, guids: makeGuids(Object.entries(r.guids)) } as unknown as BackupRecord;
	if (record.show) record.show = { ...record.show, guids: makeGuids(Object.entries(record.show.guids)) };
	return record;
}

function parseJson(text: string): unknown {
	let failure: Error;
	try {
		return JSON.parse(text);
	} catch (error) {
		failure = error as Error;
	}
	const truncated = /end of (JSON|data) input|Unterminated|Expected/.test(failure.message);
	throw new BackupRefused(
		truncated
			? `The file is not a complete backup: its JSON ends early or is damaged (${failure.message}); it was probably cut off while being written or copied. Nothing was restored.`
			: `The file is not JSON (${failure.message}); nothing was restored`,
	);
}

/** Reads and checks a whole backup file, or says why it cannot be restored from. */
export function readBackup(text: string, now = Date.now()): Backup {
	const parsed = parseJson(text);
	if (!isPlainObject(parsed) || parsed.kind !== BACKUP_KIND) {
		throw new BackupRefused(`The file is not a Watch State backup (it has no "kind": "${BACKUP_KIND}"); nothing was restored`);
	}
	if (parsed.version !== BACKUP_VERSION) {
		throw new BackupRefused(`The backup is format version ${String(parsed.version)}; this package reads version ${BACKUP_VERSION}. Update the package; nothing was restored.`);
	}
	if (typeof parsed.takenAt !== 'string' || Number.isNaN(Date.parse(parsed.takenAt))) throw new BackupRefused('The backup has no valid takenAt; nothing was restored');
	if (!inRange(parsed.takenAt, now + CLOCK_SLACK_MS)) {
		throw new BackupRefused(`The backup says it was taken ${parsed.takenAt}, which is in the future (or before 1900): the file was edited or written by a machine with a wrong clock. Nothing was restored.`);
	}
	if (!Array.isArray(parsed.records)) throw new BackupRefused('The backup has no records list; nothing was restored');
	if (parsed.count !== parsed.records.length) {
		throw new BackupRefused(`The backup holds ${parsed.records.length} records but its header says ${String(parsed.count)}: it is incomplete or was edited. Nothing was restored.`);
	}
	// No record is newer than the backup (allowing for the time it took to read the servers).
	const latest = Date.parse(parsed.takenAt) + CLOCK_SLACK_MS;
	const records = parsed.records.map((r, i) => checkRecord(r, i, latest));
	return { header: parsed as unknown as BackupHeader, records };
}

/** A record as the planner takes it: an item of the server "backup:<server>", never a live one. */
export function recordToItem(record: BackupRecord): WatchItem {
	const item: WatchItem = {
		backend: record.server as WatchItem['backend'],
		backendName: `backup:${record.server}`,
		id: record.id,
		type: record.type,
		title: record.title,
		guids: record.guids,
		played: record.played,
		updatedAt: record.updatedAt,
	};
	if (record.year !== undefined) item.year = record.year;
	if (record.show) item.show = record.show;
	if (record.season !== undefined) item.season = record.season;
	if (record.episode !== undefined) item.episode = record.episode;
	if (record.playedAt !== undefined) item.playedAt = record.playedAt;
	if (record.positionMs !== undefined) item.positionMs = record.positionMs;
	if (record.durationMs !== undefined) item.durationMs = record.durationMs;
	if (record.userId !== undefined) item.userId = record.userId;
	if (record.userName !== undefined) item.userName = record.userName;
	if (record.person !== undefined) item.person = record.person;
	return item;
}
