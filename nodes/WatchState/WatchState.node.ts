import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { isPlainObject } from '../shared/guids';
import { REQUEST_OPTIONS, type MediaBackend } from '../shared/node/description';
import { toNodeError } from '../shared/node/errors';
import { householdMapping } from '../shared/node/household';
import { traktConnection } from '../shared/node/trakt';
import { syncServers } from '../shared/node/syncservers';
import { checkTraktPerson, planPerPerson, PlanAbort, serverName, TraktPersonMismatch, type PlanItem, type PlanOptions, type Snapshot } from '../shared/plan';
import { isSnapshotInput, rowsToSnapshots, snapshotToRows } from '../shared/snapshot';
import { splitList } from '../shared/webhook/filters';

export class WatchState implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Watch State',
		name: 'watchState',
		icon: { light: 'file:../../icons/watchstate.svg', dark: 'file:../../icons/watchstate.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] === "syncServers" ? "Sync Servers" : "Plan Sync"}}',
		description: 'Plan the writes that bring the watch state of several servers in step',
		defaults: { name: 'Plan Sync' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Writes', 'Snapshot', 'Summary'],
		credentials: [
			{ name: 'plexApi', required: false, displayOptions: { show: { operation: ['syncServers'], servers: ['plex'] } } },
			{ name: 'jellyfinApi', required: false, displayOptions: { show: { operation: ['syncServers'], servers: ['jellyfin'] } } },
			{ name: 'embyApi', required: false, displayOptions: { show: { operation: ['syncServers'], servers: ['emby'] } } },
			{ name: 'traktApi', required: false, displayOptions: { show: { operation: ['syncServers'], servers: ['trakt'] } }, testedBy: 'traktConnection' },
			{ name: 'watchStateHouseholdApi', required: false, displayOptions: { show: { operation: ['syncServers'], whose: ['household'] } }, testedBy: 'householdMapping' },
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Plan Sync',
						value: 'planSync',
						description: 'From the watch state of two or more servers, the writes each needs',
						action: 'Plan a watch state sync',
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
				displayOptions: { show: { operation: ['syncServers'] } },
				description: 'The servers to read and write, each with its credential',
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
				displayOptions: { show: { operation: ['syncServers'] } },
			},
			{
				displayName: 'Jellyfin User ID',
				name: 'jellyfinUserId',
				type: 'string',
				default: '',
				displayOptions: { show: { operation: ['syncServers'], whose: ['one'], servers: ['jellyfin'] } },
				description: 'Empty with a user token: that token\'s user',
			},
			{
				displayName: 'Emby User ID',
				name: 'embyUserId',
				type: 'string',
				default: '',
				displayOptions: { show: { operation: ['syncServers'], whose: ['one'], servers: ['emby'] } },
			},
			{
				displayName:
					'Input: the Get Watch State items of every server, plus the previous snapshot rows (kind "watchstate-snapshot"). Items read For: Household are planned per person: nothing one person did is written to another. Outputs: the writes (route them by `backend` to Apply Watch State), the new snapshot rows (save them only after the writes), and a summary.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Source Servers',
				name: 'sources',
				type: 'string',
				default: '',
				placeholder: 'plex',
				description: 'Comma-separated server names (plex, jellyfin, emby or a Backend Name) whose state may decide. Empty: all.',
			},
			{
				displayName: 'Servers to Write',
				name: 'targets',
				type: 'string',
				default: '',
				placeholder: 'jellyfin, emby',
				description: 'Comma-separated server names that may be written. Empty: all (two-way / many-to-many). "none": none, only the snapshot is updated (an import).',
			},
			{
				displayName: 'Propagate Un-Marks',
				name: 'propagateUnplayed',
				type: 'boolean',
				default: false,
				description:
					'Whether an explicit un-mark (seen as played in the last snapshot, unplayed now) is carried to the other servers',
			},
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description: 'Whether to only report the plan (in Summary) without emitting writes or a snapshot',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Fill Trakt History',
						name: 'traktHistory',
						type: 'boolean',
						default: false,
						description:
							"Whether Trakt (the Trakt node's Get Watch State items) is written like a server: plays it lacks are added with their dates. Trakt lists only what was played, so this is how Plan Sync knows it may add to it.",
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
			{ ...REQUEST_OPTIONS, displayOptions: { show: { operation: ['syncServers'] } } },
		],
	};

	methods = { credentialTest: { traktConnection, householdMapping } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		if (this.getNodeParameter('operation', 0) === 'syncServers') return await executeSyncServers(this);
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
	if (error instanceof PlanAbort) return new NodeOperationError(ctx.getNode(), error.message, { description: 'No write was planned. Check the listing of that server, or raise Max Shrink if the library really shrank.' });
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

	const summary: IDataObject = { dryRun, writes: result.writes.length, ...(result.summary as unknown as IDataObject) };
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
	const selected = ctx.getNodeParameter('servers', 0, []) as string[];
	const servers = (['plex', 'jellyfin', 'emby'] as MediaBackend[]).filter((b) => selected.includes(b));
	const household = ctx.getNodeParameter('whose', 0, 'household') === 'household';
	const { traktPerson, fillTraktHistory, ...plan } = planOptions(ctx);
	const options = ctx.getNodeParameter('options', 0, {}) as IDataObject;
	try {
		const result = await syncServers(
			ctx,
			{
				servers,
				trakt: selected.includes('trakt'),
				household,
				users: household ? {} : { jellyfin: String(ctx.getNodeParameter('jellyfinUserId', 0, '')), emby: String(ctx.getNodeParameter('embyUserId', 0, '')) },
				request: ctx.getNodeParameter('requestOptions', 0, {}) as IDataObject,
				plan: { ...plan, history: selected.includes('trakt') ? plan.history : undefined },
				traktPerson,
				fillTraktHistory: fillTraktHistory && selected.includes('trakt'),
				dryRun: ctx.getNodeParameter('dryRun', 0, false) as boolean,
				outputWrites: options.outputWrites === true,
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
