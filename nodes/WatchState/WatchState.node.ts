import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { BackupRefused, readBackup, type Backup } from '../shared/backup/backup';
import { isPlainObject } from '../shared/media/guids';
import { backUp, restoreBackup } from '../shared/node/backuprestore';
import { redeliver } from '../shared/node/redelivery';
import { REQUEST_OPTIONS, type MediaBackend } from '../shared/node/description';
import { toNodeError } from '../shared/node/errors';
import { householdMapping } from '../shared/node/household';
import { traktConnection } from '../shared/node/trakt';
import { syncServers } from '../shared/node/syncservers';
import { checkTraktPerson, planPerPerson, PlanAbort, serverName, TraktPersonMismatch, type PlanItem, type PlanOptions, type Snapshot } from '../shared/sync/plan';
import { isSnapshotInput, rowsToSnapshots, snapshotToRows } from '../shared/sync/snapshot';
import { splitList } from '../shared/webhook/filters';

export class WatchState implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Watch State',
		name: 'watchState',
		icon: { light: 'file:../../icons/watchstate.svg', dark: 'file:../../icons/watchstate.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ {"syncServers": "Sync Servers", "backUp": "Back Up", "restoreBackup": "Restore Backup", "redeliverFailedRuns": "Redeliver Failed Runs"}[$parameter["operation"]] || "Plan Sync" }}',
		description: 'Plan the writes that bring the watch state of several servers in step',
		defaults: { name: 'Plan Sync' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Writes', 'Snapshot', 'Summary'],
		// Shown by Operation only. n8n's editor treats every field a credential's displayOptions name
		// as an authentication field: one whose every value picks a credential (Servers did) becomes the
		// node's "main auth field" and is drawn as a single credential-type picker, and the fields those
		// depend on (Operation) are hidden (n8n-editor-ui nodeTypesUtils getNodeAuthFields,
		// getMainAuthField / findAlternativeAuthField, isAuthRelatedParameter). Which of these the run
		// uses is what Servers says; a chosen server without its credential fails saying so.
		credentials: [
			{ name: 'plexApi', required: false, displayOptions: { show: { operation: ['syncServers', 'backUp', 'restoreBackup'] } } },
			{ name: 'jellyfinApi', required: false, displayOptions: { show: { operation: ['syncServers', 'backUp', 'restoreBackup'] } } },
			{ name: 'embyApi', required: false, displayOptions: { show: { operation: ['syncServers', 'backUp', 'restoreBackup'] } } },
			{ name: 'traktApi', required: false, displayOptions: { show: { operation: ['syncServers', 'backUp'] } }, testedBy: 'traktConnection' },
			{ name: 'watchStateHouseholdApi', required: false, displayOptions: { show: { operation: ['syncServers', 'backUp', 'restoreBackup'] } }, testedBy: 'householdMapping' },
			{ name: 'watchStateN8nApi', required: true, displayOptions: { show: { operation: ['redeliverFailedRuns'] } } },
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Back Up',
						value: 'backUp',
						description: "Read every chosen server's watch state into one backup file (JSON, one record per item and user)",
						action: 'Back up watch state to file',
					},
					{
						name: 'Plan Sync',
						value: 'planSync',
						description: 'From the watch state of two or more servers, the writes each needs',
						action: 'Plan watch state sync',
					},
					{
						name: 'Redeliver Failed Runs',
						value: 'redeliverFailedRuns',
						description: "Retry this workflow's runs that failed or crashed (a worker died, n8n restarted) through n8n's API, so no accepted event is lost",
						action: 'Redeliver failed runs',
					},
					{
						name: 'Restore Backup',
						value: 'restoreBackup',
						description: 'Write a backup file onto live servers, matched by external IDs: restore after a loss, or migrate to a new server',
						action: 'Restore backup onto servers',
					},
					{
						name: 'Sync Servers',
						value: 'syncServers',
						description: 'Read every server, plan and write inside this node: for big libraries (only the snapshot and a summary cross n8n)',
						action: 'Sync servers',
					},
				],
				default: 'planSync',
			},
			{
				displayName:
					'Reads each chosen server (every person of the household, or one user), plans like Plan Sync against the snapshot rows given as input, and applies the writes, each re-read on its server first. Outputs: the writes done (with Output Writes), the new snapshot rows (save them), a summary. A run that finds another run of it still going does nothing and says so.',
				name: 'syncNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['syncServers'] } },
			},
			{
				displayName: 'Servers',
				name: 'servers',
				type: 'multiOptions',
				options: [
					{ name: 'Emby', value: 'emby' },
					{ name: 'Jellyfin', value: 'jellyfin' },
					{ name: 'Plex', value: 'plex' },
					{ name: 'Trakt', value: 'trakt' },
				],
				default: ['plex', 'jellyfin', 'emby'],
				displayOptions: { show: { operation: ['syncServers', 'backUp'] } },
				description: 'The servers to read (and for Sync Servers write), each with its credential',
			},
			{
				displayName:
					'Input: one item with the backup file as binary data (Read/Write Files from Disk, or Back Up straight before this node to migrate). The file is checked whole before any server is read: a foreign, truncated or damaged file stops here. Outputs: Summary (matched, not found with each title, what was written); Writes with Output Writes.',
				name: 'restoreNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['restoreBackup'] } },
			},
			{
				displayName:
					"Lists the runs of the workflows below that failed or crashed in the window, and retries each through n8n's API (it re-runs from where it failed, with the event it had), waiting twice as long before every further attempt. A run that kept no event to retry (a queue-mode worker died under it) and a pause of n8n itself become one item with action catch-up and a since / until window: connect it to Get Watch State (Changed Since / Before) and Apply Watch State, as the real-time template does. Writes are idempotent: only what is still missing is written. Outputs: Writes = each run retried, given up (once) or caught up now, Summary = counts. Needs n8n to keep failed production runs (the workflow setting's default).",
				name: 'redeliverNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['redeliverFailedRuns'] } },
			},
			{
				displayName: 'Workflow IDs',
				name: 'workflowIds',
				type: 'string',
				default: '={{ $workflow.id }}',
				required: true,
				displayOptions: { show: { operation: ['redeliverFailedRuns'] } },
				description: 'Comma-separated IDs of the workflows whose runs to redeliver (default: this one)',
			},
			{
				displayName: 'Within (Hours)',
				name: 'windowHours',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 24,
				displayOptions: { show: { operation: ['redeliverFailedRuns'] } },
				description: 'Runs started longer ago are left alone',
			},
			{
				displayName: 'Max Attempts',
				name: 'maxAttempts',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 5,
				displayOptions: { show: { operation: ['redeliverFailedRuns'] } },
				description: 'Retries of one run before it is given up (and reported)',
			},
			{
				displayName: 'First Wait (Seconds)',
				name: 'firstWaitSeconds',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 60,
				displayOptions: { show: { operation: ['redeliverFailedRuns'] } },
				description: 'How long after a failure the first retry comes; each further one waits twice as long',
			},
			{
				displayName: 'Catch-Up Margin (Seconds)',
				name: 'catchUpMarginSeconds',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 120,
				displayOptions: { show: { operation: ['redeliverFailedRuns'] } },
				description:
					"A run that kept no data to retry (its worker died) is caught up from the servers: their plays from this long before the run started to this long after. Covers the servers' clocks running apart from n8n's.",
			},
			{
				displayName: 'Catch Up After a Pause Of (Minutes)',
				name: 'catchUpAfterGapMinutes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 5,
				displayOptions: { show: { operation: ['redeliverFailedRuns'] } },
				description:
					'When this node last ran longer ago than this (n8n was stopped or down), the servers\' plays since then are caught up too. 0 turns it off. Keep it above the schedule\'s interval.',
			},
			{
				displayName: 'Restore Into',
				name: 'servers',
				type: 'multiOptions',
				options: [
					{ name: 'Emby', value: 'emby' },
					{ name: 'Jellyfin', value: 'jellyfin' },
					{ name: 'Plex', value: 'plex' },
				],
				default: [],
				required: true,
				displayOptions: { show: { operation: ['restoreBackup'] } },
				description: 'The servers to write the backup onto, each with its credential (the server it came from, or a new one)',
			},
			{
				displayName: 'Input Binary Field',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'data',
				required: true,
				displayOptions: { show: { operation: ['restoreBackup'] } },
				description: 'The binary field of the input item that holds the backup file',
			},
			{
				displayName: 'Restore From Servers',
				name: 'fromServers',
				type: 'string',
				default: '',
				placeholder: 'e.g. plex',
				displayOptions: { show: { operation: ['restoreBackup'] } },
				description: 'Comma-separated servers of the backup whose records are restored (as the backup names them). Empty: all (the newest state of each item wins).',
			},
			{
				displayName: 'Backup Person',
				name: 'backupPerson',
				type: 'string',
				default: '',
				placeholder: 'e.g. alice',
				displayOptions: { show: { operation: ['restoreBackup'] } },
				description: "Only this person's records (household name, or the user name in the backup). Needed to restore one person of a household backup For: One User.",
			},
			{
				displayName: 'Un-Mark Too',
				name: 'unmark',
				type: 'boolean',
				default: false,
				displayOptions: { show: { operation: ['restoreBackup'] } },
				description: 'Whether items unplayed in the backup are un-marked where they were played before the backup was taken. Off: a restore only adds plays and positions. Plays newer than the backup are never undone.',
			},
			{
				displayName: 'For',
				name: 'whose',
				type: 'options',
				options: [
					{ name: 'Household', value: 'household', description: 'Every person, each as their own user on each server' },
					{ name: 'One User', value: 'one', description: "The credentials' user (Plex), the user IDs below (Jellyfin, Emby)" },
				],
				default: 'household',
				displayOptions: { show: { operation: ['syncServers', 'backUp', 'restoreBackup'] } },
			},
			{
				displayName: 'Jellyfin User ID',
				name: 'jellyfinUserId',
				type: 'string',
				default: '',
				displayOptions: { show: { operation: ['syncServers', 'backUp', 'restoreBackup'], whose: ['one'], servers: ['jellyfin'] } },
				description: 'Empty with a user token: that token\'s user',
			},
			{
				displayName: 'Emby User ID',
				name: 'embyUserId',
				type: 'string',
				default: '',
				displayOptions: { show: { operation: ['syncServers', 'backUp', 'restoreBackup'], whose: ['one'], servers: ['emby'] } },
			},
			{
				displayName:
					'Input: the Get Watch State items of every server, plus the previous snapshot rows (kind "watchstate-snapshot"). Items read For: Household are planned per person: nothing one person did is written to another. Outputs: the writes (route them by `backend` to Apply Watch State), the new snapshot rows (save them only after the writes), and a summary.',
				name: 'notice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['planSync'] } },
			},
			{
				displayName: 'Source Servers',
				name: 'sources',
				type: 'string',
				displayOptions: { show: { operation: ['planSync', 'syncServers'] } },
				default: '',
				placeholder: 'e.g. plex',
				description: 'Comma-separated server names (plex, jellyfin, emby or a Backend Name) whose state may decide. Empty: all.',
			},
			{
				displayName: 'Servers to Write',
				name: 'targets',
				type: 'string',
				displayOptions: { show: { operation: ['planSync', 'syncServers'] } },
				default: '',
				placeholder: 'e.g. jellyfin, emby',
				description: 'Comma-separated server names that may be written. Empty: all (two-way / many-to-many). "none": none, only the snapshot is updated (an import).',
			},
			{
				displayName: 'Propagate Un-Marks',
				name: 'propagateUnplayed',
				type: 'boolean',
				displayOptions: { show: { operation: ['planSync', 'syncServers'] } },
				default: false,
				description:
					'Whether an explicit un-mark (seen as played in the last snapshot, unplayed now) is carried to the other servers',
			},
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				displayOptions: { show: { operation: ['planSync', 'syncServers', 'restoreBackup', 'redeliverFailedRuns'] } },
				description: 'Whether to only report the plan (in Summary) without writing anything or emitting a snapshot',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Fail When a Person Is Unreachable',
						name: 'failOnSkipped',
						type: 'boolean',
						default: false,
						description:
							'Whether Sync Servers stops when it cannot act for a person on a server (a Plex home user with a PIN, a friend plex.tv hands no token for, plex.tv down with no kept token). Off: that person is skipped on that server, the reason is in the summary, everyone else syncs.',
					},
					{
						displayName: 'Fill Trakt History',
						name: 'traktHistory',
						type: 'boolean',
						default: false,
						description:
							"Whether Trakt (the Trakt node's Get Watch State items) is written like a server: plays it lacks are added with their dates. Trakt lists only what was played, so this is how Plan Sync knows it may add to it.",
					},
					{
						displayName: 'Match ID-Less Items by File Name',
						name: 'matchFileNames',
						type: 'boolean',
						default: false,
						description:
							'Whether Sync Servers matches items that have no external ID at all (home videos, unmatched files) by the name of their media file, when two servers see the same file. Items with any ID are matched by their IDs only.',
					},
					{
						displayName: 'Max Shrink (%)',
						name: 'maxShrinkPercent',
						type: 'number',
						typeOptions: { minValue: 0, maxValue: 100 },
						default: 10,
						description: 'Abort when a server lists this share fewer items than in the last snapshot',
					},
					{
						displayName: 'Minimum Position (Seconds)',
						name: 'minPositionSeconds',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 60,
						description: 'Resume positions below this are not copied',
					},
					{
						displayName: 'Output Writes',
						name: 'outputWrites',
						type: 'boolean',
						default: false,
						description: 'Whether Sync Servers hands every write it made on (Writes output); off keeps a big first run small, the Summary counts them',
					},
					{
						displayName: 'Trakt Person',
						name: 'traktPerson',
						type: 'string',
						default: '',
						placeholder: 'e.g. alice',
						description: "Whose Trakt account it is, as the household names the person (the Trakt node's Person). Empty: a single-user sync. Nobody else's plays reach it.",
					},
				],
			},
			{ ...REQUEST_OPTIONS, displayOptions: { show: { operation: ['syncServers', 'backUp', 'restoreBackup'] } } },
		],
	};

	methods = { credentialTest: { traktConnection, householdMapping } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0);
		if (operation === 'syncServers') return await executeSyncServers(this);
		if (operation === 'backUp') return await executeBackUp(this);
		if (operation === 'restoreBackup') return await executeRestore(this);
		if (operation === 'redeliverFailedRuns') return await executeRedeliver(this);
		return executePlanSync(this);
	}
}

/** The planner's settings from the node's parameters (both operations). */
function planOptions(ctx: IExecuteFunctions): Omit<PlanOptions, 'now'> & { traktPerson: string; fillTraktHistory: boolean } {
	const options = ctx.getNodeParameter('options', 0, {}) as IDataObject;
	const traktPerson = String(options.traktPerson ?? '').trim();
	const fillTraktHistory = options.traktHistory === true;
	return {
		sources: splitList(ctx.getNodeParameter('sources', 0, '')),
		targets: splitList(ctx.getNodeParameter('targets', 0, '')),
		propagateUnplayed: ctx.getNodeParameter('propagateUnplayed', 0, false) as boolean,
		minPositionMs: Number(options.minPositionSeconds ?? 60) * 1000,
		maxShrinkPercent: Number(options.maxShrinkPercent ?? 10),
		history: fillTraktHistory ? { backend: 'trakt', person: traktPerson } : undefined,
		traktPerson,
		fillTraktHistory,
	};
}

function previousSnapshots(ctx: IExecuteFunctions, rows: IDataObject[]): Map<string, Snapshot> {
	try {
		return rowsToSnapshots(rows);
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), `The snapshot input is not readable: ${(error as Error).message}`);
	}
}

/** What the planner refused, as the user should read it: nothing was written. */
function planningError(ctx: IExecuteFunctions, error: unknown): NodeOperationError {
	if (error instanceof PlanAbort) {
		return new NodeOperationError(ctx.getNode(), error.message, { description: 'No write was planned. Check that server (its listing, or whether it lost its watch state), or raise Max Shrink (Options) if it really is so.' });
	}
	if (error instanceof TraktPersonMismatch) {
		return new NodeOperationError(ctx.getNode(), error.message, { description: 'Set Trakt Person (Options) and Person in the Trakt node to whose Trakt account this is, as the household names them.' });
	}
	return new NodeOperationError(ctx.getNode(), error as Error);
}

function executePlanSync(ctx: IExecuteFunctions): INodeExecutionData[][] {
	const inputs = ctx.getInputData();
	const watchItems: PlanItem[] = [];
	const indexOf = new Map<string, number>();
	const keyOf = (item: PlanItem) => `${item.userId ?? ''}|${serverName(item)}|${item.id}`;
	const snapshotRows: IDataObject[] = [];
	inputs.forEach(({ json }, i) => {
		if (isSnapshotInput(json)) return void snapshotRows.push(json);
		// An empty item is what an upstream node with "Always Output Data" sends when it had nothing.
		if (Object.keys(json).length === 0) return;
		if (json.error !== undefined) {
			throw new NodeOperationError(ctx.getNode(), `Input item ${i} is an error from an earlier node (${String(json.error)}); a failed listing must not be planned from`, { itemIndex: i });
		}
		if (typeof json.backend !== 'string' || typeof json.id !== 'string' || (json.type !== 'movie' && json.type !== 'episode') || !isPlainObject(json.guids)) {
			throw new NodeOperationError(ctx.getNode(), `Input item ${i} is not a WatchItem (needs backend, type, id and guids)`, { itemIndex: i });
		}
		const item = json as unknown as PlanItem;
		watchItems.push(item);
		indexOf.set(keyOf(item), i);
	});

	const dryRun = ctx.getNodeParameter('dryRun', 0, false) as boolean;
	const previous = previousSnapshots(ctx, snapshotRows);
	const { traktPerson, fillTraktHistory, ...options } = planOptions(ctx);
	let result;
	try {
		checkTraktPerson(watchItems, traktPerson, fillTraktHistory);
		result = planPerPerson(watchItems, previous, { ...options, now: new Date().toISOString() });
	} catch (error) {
		throw planningError(ctx, error);
	}

	const summary: IDataObject = { dryRun, writes: result.writes.length, ...(result.summary as unknown as IDataObject), ...(result.conflicts.length > 0 ? { conflictItems: result.conflicts.slice(0, 100) as unknown as IDataObject[] } : {}) };
	if (dryRun) summary.plan = result.writes as unknown as IDataObject[];
	const writes: INodeExecutionData[] = dryRun
		? []
		: result.writes.map((w) => ({ json: w as unknown as IDataObject, pairedItem: { item: indexOf.get(keyOf(w.target)) ?? 0 } }));
	const snapshot: INodeExecutionData[] = dryRun ? [] : [...result.snapshots].flatMap(([person, s]) => snapshotToRows(s, person).map((row) => ({ json: row, pairedItem: { item: 0 } })));
	return [writes, snapshot, [{ json: summary, pairedItem: { item: 0 } }]];
}

/** Sync Servers: the input is the snapshot rows only; the servers are read inside. */
async function executeSyncServers(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const rows: IDataObject[] = [];
	ctx.getInputData().forEach(({ json }, i) => {
		if (isSnapshotInput(json)) return void rows.push(json);
		if (Object.keys(json).length === 0 || json.kind === undefined) return;
		throw new NodeOperationError(ctx.getNode(), `Input item ${i} is not a snapshot row; Sync Servers reads the servers itself and takes only the snapshot as input`, { itemIndex: i });
	});
	const { selected, ...reading } = readingSettings(ctx);
	await checkServerCredentials(ctx, selected, 'Servers');
	const { traktPerson, fillTraktHistory, ...plan } = planOptions(ctx);
	const options = ctx.getNodeParameter('options', 0, {}) as IDataObject;
	try {
		const result = await syncServers(
			ctx,
			{
				...reading,
				trakt: selected.includes('trakt'),
				plan: { ...plan, history: selected.includes('trakt') ? plan.history : undefined },
				traktPerson,
				fillTraktHistory: fillTraktHistory && selected.includes('trakt'),
				dryRun: ctx.getNodeParameter('dryRun', 0, false) as boolean,
				outputWrites: options.outputWrites === true,
				failOnSkipped: options.failOnSkipped === true,
				fileNames: options.matchFileNames === true,
			},
			previousSnapshots(ctx, rows),
		);
		const item = (json: IDataObject) => ({ json, pairedItem: { item: 0 } });
		return [result.writes.map(item), result.snapshotRows.map((row) => item(row)), [item(result.summary)]];
	} catch (error) {
		if (error instanceof PlanAbort || error instanceof TraktPersonMismatch) throw planningError(ctx, error);
		throw toNodeError(ctx, error, 0);
	}
}

/** Server -> its credential type, the server's name and the credential's name in the editor. */
const SERVER_CREDENTIAL: Record<string, [string, string, string]> = {
	plex: ['plexApi', 'Plex', 'Plex Media Server API'],
	jellyfin: ['jellyfinApi', 'Jellyfin', 'Jellyfin API'],
	emby: ['embyApi', 'Emby', 'Emby API'],
	trakt: ['traktApi', 'Trakt', 'Trakt API'],
};

/**
 * Every chosen server has its credential selected, before anything is read: a missing one is the
 * user's to fix, named, rather than n8n's "does not have any credentials" midway.
 */
async function checkServerCredentials(ctx: IExecuteFunctions, selected: string[], field: string): Promise<void> {
	for (const server of selected) {
		const [type, name, label] = SERVER_CREDENTIAL[server] ?? [];
		if (!type) continue;
		const present = await ctx.getCredentials(type).then(
			() => true,
			() => false,
		);
		if (!present) throw new NodeOperationError(ctx.getNode(), `${name} is in ${field}, but no ${label} credential is selected in this node`, { description: `Select a ${label} credential in the node, or take it out of ${field}.` });
	}
}

/** The servers chosen (Trakt aside: it has its own client) and for whom they are read and written. */
function readingSettings(ctx: IExecuteFunctions) {
	// A single name is read as a list of one (what n8n's editor saved while it drew Servers as a credential picker).
	const raw = ctx.getNodeParameter('servers', 0, []) as string[] | string;
	const selected = typeof raw === 'string' ? splitList(raw) : raw;
	const household = ctx.getNodeParameter('whose', 0, 'household') === 'household';
	return {
		selected,
		servers: (['plex', 'jellyfin', 'emby'] as MediaBackend[]).filter((b) => selected.includes(b)),
		household,
		users: household ? {} : { jellyfin: String(ctx.getNodeParameter('jellyfinUserId', 0, '')), emby: String(ctx.getNodeParameter('embyUserId', 0, '')) },
		request: ctx.getNodeParameter('requestOptions', 0, {}) as IDataObject,
	};
}

/** Back Up: one item on the Summary output, the file as binary `data`, counts as JSON. */
async function executeBackUp(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const reading = readingSettings(ctx);
	const options = ctx.getNodeParameter('options', 0, {}) as IDataObject;
	if (reading.selected.length === 0) throw new NodeOperationError(ctx.getNode(), 'Choose at least one server to back up');
	await checkServerCredentials(ctx, reading.selected, 'Servers');
	try {
		const { text, header, skipped } = await backUp(ctx, { ...reading, trakt: reading.selected.includes('trakt'), traktPerson: String(options.traktPerson ?? '').trim() });
		const fileName = `watchstate-backup-${header.takenAt.replace(/[:.]/g, '-')}.json`;
		const data = await ctx.helpers.prepareBinaryData(Buffer.from(text, 'utf8'), fileName, 'application/json');
		const json: IDataObject = { ...header, fileName, bytes: Buffer.byteLength(text), ...(skipped.length > 0 ? { skippedUsers: skipped as unknown as IDataObject[] } : {}) };
		return [[], [], [{ json, binary: { data }, pairedItem: { item: 0 } }]];
	} catch (error) {
		throw toNodeError(ctx, error, 0);
	}
}

/**
 * The backup to restore: the newest (by when it was taken) of the files on the input, so a Read
 * File of the whole backup folder restores the last backup. Every file must read: one damaged
 * file stops the run, rather than quietly restoring an older one.
 */
async function readBackupInput(ctx: IExecuteFunctions): Promise<Backup> {
	const field = String(ctx.getNodeParameter('binaryPropertyName', 0, 'data'));
	const items = ctx.getInputData();
	let newest: Backup | undefined;
	for (let index = 0; index < items.length; index++) {
		const binary = items[index].binary?.[field];
		if (!binary) continue;
		const buffer = await ctx.helpers.getBinaryDataBuffer(index, field);
		let backup: Backup;
		try {
			backup = readBackup(buffer.toString('utf8'));
		} catch (error) {
			throw new NodeOperationError(ctx.getNode(), `${binary.fileName ?? `Input item ${index}`}: ${(error as Error).message}`, {
				itemIndex: index,
				description: 'Nothing was read from any server and nothing was written. Remove or replace that file (the template keeps one backup per day).',
			});
		}
		if (!newest || backup.header.takenAt > newest.header.takenAt) newest = backup;
	}
	if (newest) return newest;
	throw new NodeOperationError(ctx.getNode(), `No input item has the binary field "${field}"`, {
		description: 'Read the backup file first (Read/Write Files from Disk → Read File(s) From Disk), or connect Back Up straight before this node to migrate, and name its binary field in Input Binary Field.',
	});
}

/** Restore Backup: the file is read and checked before any server is asked anything. */
async function executeRestore(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const backup = await readBackupInput(ctx);
	const reading = readingSettings(ctx);
	if (reading.servers.length === 0) throw new NodeOperationError(ctx.getNode(), 'Choose at least one server in Restore Into');
	await checkServerCredentials(ctx, reading.selected, 'Restore Into');
	const options = ctx.getNodeParameter('options', 0, {}) as IDataObject;
	try {
		const result = await restoreBackup(ctx, backup, {
			...reading,
			fromServers: splitList(ctx.getNodeParameter('fromServers', 0, '')),
			person: String(ctx.getNodeParameter('backupPerson', 0, '')),
			unmark: ctx.getNodeParameter('unmark', 0, false) as boolean,
			minPositionMs: Number(options.minPositionSeconds ?? 60) * 1000,
			dryRun: ctx.getNodeParameter('dryRun', 0, false) as boolean,
			outputWrites: options.outputWrites === true,
		});
		const item = (json: IDataObject) => ({ json, pairedItem: { item: 0 } });
		return [result.writes.map(item), [], [item(result.summary)]];
	} catch (error) {
		if (error instanceof BackupRefused) throw new NodeOperationError(ctx.getNode(), error.message, { description: 'Nothing was written.' });
		throw toNodeError(ctx, error, 0);
	}
}

/** Redeliver Failed Runs: retries through n8n's API; Writes = what was done now, Summary = counts. */
async function executeRedeliver(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const workflowIds = splitList(ctx.getNodeParameter('workflowIds', 0, ''));
	if (workflowIds.length === 0) throw new NodeOperationError(ctx.getNode(), 'Name at least one workflow ID (this workflow: {{ $workflow.id }})');
	try {
		const result = await redeliver(ctx, {
			workflowIds,
			windowHours: Number(ctx.getNodeParameter('windowHours', 0, 24)),
			maxAttempts: Number(ctx.getNodeParameter('maxAttempts', 0, 5)),
			firstWaitSeconds: Number(ctx.getNodeParameter('firstWaitSeconds', 0, 60)),
			catchUpMarginSeconds: Number(ctx.getNodeParameter('catchUpMarginSeconds', 0, 120)),
			catchUpAfterGapMinutes: Number(ctx.getNodeParameter('catchUpAfterGapMinutes', 0, 5)),
			dryRun: ctx.getNodeParameter('dryRun', 0, false) as boolean,
		});
		const item = (json: IDataObject) => ({ json, pairedItem: { item: 0 } });
		return [result.acted.map(item), [], [item(result.summary)]];
	} catch (error) {
		throw toNodeError(ctx, error, 0);
	}
}
