/**
 * Back Up and Restore Backup (Watch State node): the servers are read with the same readers as
 * Sync Servers (household person by person, or one user), and a restore's writes go through the
 * same applyPlanned as every other write: each re-read on its server first.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { toRecord, writeBackup, type Backup, type BackupHeader, type BackupRecord } from '../backup/backup';
import { readWatchState } from '../backends/trakt/watched';
import type { PlanItem } from '../sync/plan';
import { planRestore, type RestoreOptions } from '../backup/restore';
import type { MediaBackend } from './description';
import type { ApplyAction } from './applywrite';
import type { SkippedUser } from './household';
import { applyOnServers, readerFor, slimmer, type SyncServersSettings } from './syncservers';
import { traktClient } from './trakt';

type Reading = Pick<SyncServersSettings, 'household' | 'users' | 'request'> & { servers: MediaBackend[] };

/** `skipped`: people who could not be read (e.g. no Plex token for them), left out of the file. */
export async function backUp(ctx: IExecuteFunctions, s: Reading & { trakt: boolean; traktPerson: string }): Promise<{ text: string; header: BackupHeader; skipped: SkippedUser[] }> {
	const takenAt = new Date().toISOString();
	const records: BackupRecord[] = [];
	const skipped: SkippedUser[] = [];
	// One server at a time, as Sync Servers reads: its pages are what the machine holds at once.
	for (const backend of s.servers) {
		const reader = await readerFor(ctx, backend, s);
		for (const item of await reader.list(skipped)) records.push(toRecord(item));
	}
	if (s.trakt) for (const item of await readWatchState(await traktClient(ctx), s.traktPerson)) records.push(toRecord(item));
	return { ...writeBackup(records, takenAt), skipped };
}

export interface RestoreResult {
	summary: IDataObject;
	writes: IDataObject[];
}

export async function restoreBackup(
	ctx: IExecuteFunctions,
	backup: Backup,
	s: Reading & Omit<RestoreOptions, 'household' | 'now'> & { dryRun: boolean; outputWrites: boolean },
): Promise<RestoreResult> {
	const started = Date.now();
	const readers = await Promise.all(s.servers.map(async (backend) => await readerFor(ctx, backend, s)));
	const live: PlanItem[] = [];
	const slim = slimmer();
	const read: Record<string, number> = {};
	const skipped: SkippedUser[] = [];
	for (const reader of readers) {
		const listed = await reader.list(skipped);
		read[reader.backend] = listed.length;
		for (const item of listed) live.push(slim(item));
	}
	const restore = planRestore(backup, live, { ...s, household: s.household, now: new Date().toISOString() });
	live.length = 0;

	const applied: Record<string, Partial<Record<ApplyAction, number>>> = {};
	const writes: IDataObject[] = [];
	if (!s.dryRun) {
		await applyOnServers(readers, restore.writes, s.request.concurrency ?? 4, (backend, _write, result) => {
			const counts = (applied[backend] ??= {});
			counts[result.action] = (counts[result.action] ?? 0) + 1;
			if (s.outputWrites) writes.push({ backend, ...result.json });
		});
	}
	const summary: IDataObject = {
		dryRun: s.dryRun,
		backup: { takenAt: backup.header.takenAt, records: backup.header.count, servers: backup.header.servers, restored: restore.records },
		read,
		matched: restore.matched,
		notFound: restore.notFound,
		planned: restore.writes.length,
		...(s.dryRun ? { plan: restore.writes as unknown as IDataObject[] } : { applied: applied as IDataObject }),
		notFoundItems: restore.notFoundItems as unknown as IDataObject[],
		...(skipped.length > 0 ? { skippedUsers: skipped as unknown as IDataObject[] } : {}),
		seconds: Math.round((Date.now() - started) / 100) / 10,
	};
	return { summary, writes };
}
