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
import { planPerPerson, PlanAbort, serverName, type PlanItem } from '../shared/plan';
import { isSnapshotInput, rowsToSnapshots, snapshotToRows } from '../shared/snapshot';
import { splitList } from '../shared/webhook/filters';

export class WatchState implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Watch State',
		name: 'watchState',
		icon: { light: 'file:../../icons/watchstate.svg', dark: 'file:../../icons/watchstate.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: 'Plan Sync',
		description: 'Plan the writes that bring the watch state of several servers in step',
		defaults: { name: 'Plan Sync' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Writes', 'Snapshot', 'Summary'],
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
				],
				default: 'planSync',
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
						displayName: 'Max Shrink (%)',
						name: 'maxShrinkPercent',
						type: 'number',
						typeOptions: { minValue: 0, maxValue: 100 },
						default: 10,
						description: 'Abort when a server lists this share fewer items than in the last snapshot',
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
						displayName: 'Trakt Person',
						name: 'traktPerson',
						type: 'string',
						default: '',
						placeholder: 'e.g. alice',
						description: "Whose Trakt account it is, as the household names the person (the Trakt node's Person). Empty: a single-user sync. Nobody else's plays reach it.",
					},
					{
						displayName: 'Minimum Position (Seconds)',
						name: 'minPositionSeconds',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 60,
						description: 'Resume positions below this are not copied',
					},
				],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const inputs = this.getInputData();
		const watchItems: PlanItem[] = [];
		const indexOf = new Map<string, number>();
		const keyOf = (item: PlanItem) => `${item.userId ?? ''}|${serverName(item)}|${item.id}`;
		const snapshotRows: IDataObject[] = [];
		inputs.forEach(({ json }, i) => {
			if (isSnapshotInput(json)) return void snapshotRows.push(json);
			// An empty item is what an upstream node with "Always Output Data" sends when it had nothing.
			if (Object.keys(json).length === 0) return;
			if (json.error !== undefined) {
				throw new NodeOperationError(this.getNode(), `Input item ${i} is an error from an earlier node (${String(json.error)}); a failed listing must not be planned from`, { itemIndex: i });
			}
			if (typeof json.backend !== 'string' || typeof json.id !== 'string' || (json.type !== 'movie' && json.type !== 'episode') || !isPlainObject(json.guids)) {
				throw new NodeOperationError(this.getNode(), `Input item ${i} is not a WatchItem (needs backend, type, id and guids)`, { itemIndex: i });
			}
			const item = json as unknown as PlanItem;
			watchItems.push(item);
			indexOf.set(keyOf(item), i);
		});

		const options = this.getNodeParameter('options', 0, {}) as IDataObject;
		const dryRun = this.getNodeParameter('dryRun', 0, false) as boolean;
		let previous;
		try {
			previous = rowsToSnapshots(snapshotRows);
		} catch (error) {
			throw new NodeOperationError(this.getNode(), `The snapshot input is not readable: ${(error as Error).message}`);
		}
		const traktPerson = String(options.traktPerson ?? '').trim();
		const strayTrakt = watchItems.find((item) => item.backend === 'trakt' && (item.person ?? '') !== traktPerson);
		if (strayTrakt) {
			throw new NodeOperationError(this.getNode(), `Trakt items belong to "${strayTrakt.person ?? ''}" but Trakt Person is "${traktPerson}"; set the same person in the Trakt node and in Plan Sync`);
		}
		// A household's items each name their person: a Trakt account must be one of them, or it
		// would be planned alone and never meet anyone's plays.
		const people = new Set(watchItems.filter((item) => item.backend !== 'trakt' && item.person !== undefined).map((item) => item.person!));
		const usesTrakt = options.traktHistory === true || watchItems.some((item) => item.backend === 'trakt');
		if (usesTrakt && people.size > 0 && !people.has(traktPerson)) {
			throw new NodeOperationError(this.getNode(), `Trakt Person "${traktPerson}" is none of the household's people (${[...people].sort().join(', ')})`, {
				description: "Set Trakt Person here and Person in the Trakt node to whose Trakt account this is, as the household names them.",
			});
		}
		let result;
		try {
			result = planPerPerson(watchItems, previous, {
				sources: splitList(this.getNodeParameter('sources', 0, '')),
				targets: splitList(this.getNodeParameter('targets', 0, '')),
				propagateUnplayed: this.getNodeParameter('propagateUnplayed', 0, false) as boolean,
				minPositionMs: Number(options.minPositionSeconds ?? 60) * 1000,
				maxShrinkPercent: Number(options.maxShrinkPercent ?? 10),
				now: new Date().toISOString(),
				history: options.traktHistory === true ? { backend: 'trakt', person: traktPerson } : undefined,
			});
		} catch (error) {
			if (error instanceof PlanAbort) throw new NodeOperationError(this.getNode(), error.message, { description: 'No write was planned. Check the listing of that server, or raise Max Shrink if the library really shrank.' });
			throw new NodeOperationError(this.getNode(), error as Error);
		}

		const summary: IDataObject = { dryRun, writes: result.writes.length, ...(result.summary as unknown as IDataObject) };
		if (dryRun) summary.plan = result.writes as unknown as IDataObject[];
		const writes: INodeExecutionData[] = dryRun
			? []
			: result.writes.map((w) => ({ json: w as unknown as IDataObject, pairedItem: { item: indexOf.get(keyOf(w.target)) ?? 0 } }));
		const snapshot: INodeExecutionData[] = dryRun ? [] : [...result.snapshots].flatMap(([person, s]) => snapshotToRows(s, person).map((row) => ({ json: row, pairedItem: { item: 0 } })));
		return [writes, snapshot, [{ json: summary, pairedItem: { item: 0 } }]];
	}
}
