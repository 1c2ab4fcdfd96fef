/**
 * The workflow templates, written as code so the three stay consistent (same node settings, same
 * snapshot table), and emitted as the JSON files in workflows/ that users import as they are.
 * `npm run templates` rewrites them; a test checks the committed files match.
 */
import { createHash } from 'crypto';
import { METRIC_COLUMNS } from '../../nodes/shared/metrics/fields';
import { SNAPSHOT_COLUMNS } from '../../nodes/shared/sync/snapshot';

const PKG = 'n8n-nodes-watchstate';
/** One row per person and server (the single-user table of 0.1.0 had no person column). */
/**
 * One snapshot table per workflow (its id in the name): two syncs over different servers or
 * people never read each other's last run (a shared table made the second one abort as if a
 * listing had failed). The two schedules of the import / export template are one workflow, so
 * they share theirs, as they must. Data Table names take up to 128 characters.
 */
const SNAPSHOT_TABLE = "={{ 'watchstate_snapshots_' + $workflow.id }}";

type Json = Record<string, unknown>;
interface WfNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Json;
	disabled?: boolean;
	executeOnce?: boolean;
	alwaysOutputData?: boolean;
	onError?: 'continueErrorOutput' | 'continueRegularOutput' | 'stopWorkflow';
}

/** Stable uuid-shaped ids derived from names (the same seed, the same id), so regenerating changes nothing. */
export function uid(seed: string): string {
	const h = createHash('sha256').update(seed).digest('hex');
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

class Builder {
	readonly nodes: WfNode[] = [];
	readonly connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }> = {};
	constructor(private readonly workflow: string) {}

	add(node: Omit<WfNode, 'id'>): string {
		this.nodes.push({ id: uid(`${this.workflow}/${node.name}`), ...node });
		return node.name;
	}

	connect(from: string, to: string, output = 0, input = 0): void {
		const c = (this.connections[from] ??= { main: [] });
		while (c.main.length <= output) c.main.push([]);
		c.main[output].push({ node: to, type: 'main', index: input });
	}

	note(name: string, content: string, position: [number, number], width = 420, height = 300, color?: number): void {
		this.add({
			name,
			type: 'n8n-nodes-base.stickyNote',
			typeVersion: 1,
			position,
			parameters: { content, width, height, ...(color ? { color } : {}) },
		});
	}

	build(name: string, settings: Json = {}): Json {
		return {
			name,
			nodes: this.nodes,
			connections: this.connections,
			settings: { executionOrder: 'v1', ...settings },
			pinData: {},
			meta: { templateCredsSetupCompleted: false },
			tags: [],
		};
	}
}

type Server = 'plex' | 'jellyfin' | 'emby';
const LABEL: Record<Server, string> = { plex: 'Plex', jellyfin: 'Jellyfin', emby: 'Emby' };

function mediaNode(b: Builder, server: Server, name: string, position: [number, number], parameters: Json, extra: Partial<WfNode> = {}): string {
	const userId = server === 'plex' ? {} : { userId: { __rl: true, mode: 'list', value: '' } };
	return b.add({ name, type: `${PKG}.${server}`, typeVersion: 1, position, parameters: { ...parameters, ...userId }, ...extra });
}

/** Apply / Get Watch State for every person of the household (each acting as themselves). */
const HOUSEHOLD = { whose: 'household' };

const HOUSEHOLD_NOTE = [
	'## Household',
	'Every node here acts **for the household**: each person\'s plays go to that person\'s users only, never to someone else\'s.',
	'',
	'Users with the same name on every server (case ignored) are one person; nothing to set up. Otherwise create a **Watch State Household API** credential, one line per person, and select it in every server node:',
	'```',
	'mum: plex=mum, jellyfin=Mom, emby=mother',
	'kid: plex=kid, jellyfin=Kiddo, emby=-',
	'ignore: plex=guest',
	'```',
	'`-`: no user on that server. Plex: the credential needs the **server owner\'s** token (it fetches the others\' tokens from plex.tv; managed users without a PIN and friends). Jellyfin / Emby: an **API key**.',
	'One person only? Set **For** to *One User* in the server nodes and pick the user.',
].join('\n');

function trigger(b: Builder, kind: string, name: string, position: [number, number], events: string[], extra: Json = {}): string {
	return b.add({
		name,
		type: `${PKG}.${kind}Trigger`,
		typeVersion: 1,
		position,
		parameters: { ...extra, options: { events } },
		// No webhookId: n8n 2.41's editor gives a trigger imported without one its own, so the same
		// template imported twice publishes twice (with fixed ids the second publish hits the first's
		// production URL and n8n refuses it as a webhook conflict).
	});
}

function realtimeSync(): Json {
	const b = new Builder('realtime');
	b.note(
		'Setup',
		[
			'## Real-time watch-state sync',
			'Each server\'s webhook starts **Apply Watch State** on the other servers: a watched (scrobble), a manual mark, or a stop with a resume position is copied within seconds.',
			'',
			'1. Create the **Plex**, **Jellyfin** and **Emby** credentials (server URL + token) and select them in every action node.',
			'2. The action nodes act for the whole **household** (note on the right): each event is applied as the event\'s person\'s user on the other servers.',
			'3. Create one **Watch State Webhook API** credential holding a long random token and select it in every trigger.',
			'4. Publish the workflow, open each trigger and copy its **Production URL**; add `?apikey=<token>` and paste it into the server (see the README for each server\'s webhook screen).',
			'5. Use either the Plex Trigger (Plex Pass) or the Tautulli Trigger for Plex, not both. Delete the triggers of servers you do not have.',
			'',
			'Ratings (off): add **Rated** to the Plex or Jellyfin Trigger\'s **Events** and a person\'s 1–10 rating there is set on the other servers (only the rating; Emby\'s webhook carries no rating value).',
			'',
			'Webhooks never report everything (Plex sends nothing for manual marks): run the **Full sync** template on a schedule as well.',
		].join('\n'),
		[-120, -420],
		560,
		480,
	);
	const rows: Array<[string, string, Server[], string[], Json]> = [
		['plex', 'Plex Trigger', ['jellyfin', 'emby'], ['scrobble', 'stop', 'pause'], {}],
		['tautulli', 'Tautulli Trigger', ['jellyfin', 'emby'], ['scrobble', 'stop', 'pause'], { httpMethod: 'POST' }],
		['jellyfin', 'Jellyfin Trigger', ['plex', 'emby'], ['scrobble', 'played', 'unplayed', 'stop'], {}],
		['emby', 'Emby Trigger', ['plex', 'jellyfin'], ['scrobble', 'played', 'unplayed', 'stop', 'pause'], {}],
	];
	b.note('Household', HOUSEHOLD_NOTE, [1140, -420], 520, 440, 4);
	// Each server's Apply Watch State nodes on the others: the catch-up feeds the same ones.
	const appliers: Record<Server, string[]> = { plex: [], jellyfin: [], emby: [] };
	rows.forEach(([kind, name, targets, events, extra], row) => {
		const y = row * 360 + 60;
		const t = trigger(b, kind, name, [520, y + 80], events, extra);
		targets.forEach((server, k) => {
			const n = mediaNode(b, server, `${name.replace(' Trigger', '')} → ${LABEL[server]}`, [820, y + k * 180], {
				resource: 'item',
				operation: 'apply',
				...HOUSEHOLD,
				// Ready for rate events; none arrive until Rated is added to a trigger's Events (the one switch).
				applyOptions: { syncRatings: true },
			});
			b.connect(t, n);
			if (kind !== 'tautulli') appliers[kind as Server].push(n);
		});
	});
	// Beside the webhook flows, not under them: the editor fits a workflow to its view on opening.
	redeliveryFlow(b, [1180, 140], appliers);
	// Failed runs are kept (n8n's default, stated so a changed default cannot lose them): redelivery retries them.
	return b.build('Watch State: real-time sync (webhooks)', { saveDataErrorExecution: 'all' });
}

/**
 * The Watcher triggers hold each server's own live connection (no webhook, no Plex Pass / Emby
 * Premiere) and start the same household Apply Watch State nodes as the webhooks do. Un-marks
 * propagate: a Watcher emits one only for an item it knew played, a real un-mark by hand.
 */
function watcherSync(): Json {
	const b = new Builder('watcher');
	b.note(
		'Setup',
		[
			'## Real-time sync without webhooks',
			'Each **Watcher** holds its server\'s live connection open and starts **Apply Watch State** on the other servers: a play, a pause or a stop (resume position), a watched item, and a mark or un-mark made by hand, within seconds.',
			'',
			'1. Create the **Plex** (the server owner\'s token), **Jellyfin** and **Emby** (an API key) credentials and select them in every node. No webhook to set up.',
			'2. Everything acts for the whole **household** (note on the right).',
			'3. Publish the workflow. The Watchers run on the main n8n instance (in queue mode too); after a lost connection or an n8n restart they reconnect and first send what happened meanwhile.',
			'4. Delete the Watcher and the Apply nodes of servers you do not have.',
			'',
			'Jellyfin and Emby do not send marks made by hand to an API key: their Watchers check each person\'s played items every **Mark Poll Interval** (30 s, one small request per person). Keep the **Full sync** template on a schedule for anything changed while n8n was off for long.',
		].join('\n'),
		[-120, -420],
		560,
		440,
	);
	b.note('Household', HOUSEHOLD_NOTE, [1140, -420], 520, 440, 4);
	const rows: Array<[Server, Server[]]> = [
		['plex', ['jellyfin', 'emby']],
		['jellyfin', ['plex', 'emby']],
		['emby', ['plex', 'jellyfin']],
	];
	rows.forEach(([server, targets], row) => {
		const y = row * 360 + 60;
		const watcher = b.add({
			name: `${LABEL[server]} Watcher`,
			type: `${PKG}.${server}WatcherTrigger`,
			typeVersion: 1,
			position: [520, y + 80],
			parameters: { ...(server === 'plex' ? {} : { pollSeconds: 30 }), options: {} },
		});
		targets.forEach((target, k) => {
			const n = mediaNode(b, target, `${LABEL[server]} → ${LABEL[target]}`, [820, y + k * 180], {
				resource: 'item',
				operation: 'apply',
				...HOUSEHOLD,
				applyOptions: { propagateUnplayed: true },
			});
			b.connect(watcher, n);
		});
	});
	return b.build('Watch State: real-time sync (Watcher, no webhooks)', { saveDataErrorExecution: 'all' });
}

/** The nodes of the redelivery flow (stacks that do not test it leave them out). */
export const REDELIVERY_NODES = [
	'Every 2 Minutes',
	'Redeliver Failed Runs',
	'Given Up',
	'Notify: Event Not Delivered (Replace Me)',
	'Redelivery',
	'Catch Up',
	...(['plex', 'jellyfin', 'emby'] as const).map(catchUpReader),
];

function catchUpReader(server: Server): string {
	return `${LABEL[server]}: Plays to Catch Up`;
}

function actionFilter(b: Builder, name: string, action: string, position: [number, number]): string {
	return fieldFilter(b, name, 'action', action, position);
}

/** A Filter node that keeps the items whose `field` equals `value`. */
function fieldFilter(b: Builder, name: string, field: string, value: string, position: [number, number]): string {
	return b.add({
		name,
		type: 'n8n-nodes-base.filter',
		typeVersion: 2.2,
		position,
		parameters: {
			conditions: {
				options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
				// The action filters keep the condition ids they shipped with (`condition/<action>`).
				conditions: [{ id: uid(`condition/${field === 'action' ? value : `${field}/${value}`}`), leftValue: `={{ $json.${field} }}`, rightValue: value, operator: { type: 'string', operation: 'equals' } }],
				combinator: 'and',
			},
			options: {},
		},
	});
}

/**
 * Schedule -> Redeliver Failed Runs (this workflow's failed or crashed runs, retried through n8n's
 * API) -> the ones given up -> a notification to replace; and the catch-up windows (runs that kept
 * no event, a pause of n8n) -> each server's plays of the window, for the household -> the same
 * Apply Watch State nodes the triggers feed.
 */
/** The flow, with its note at [x, y] and its nodes under the note. */
function redeliveryFlow(b: Builder, [x, y]: [number, number], appliers: Record<Server, string[]>): void {
	const every = b.add({
		name: 'Every 2 Minutes',
		type: 'n8n-nodes-base.scheduleTrigger',
		typeVersion: 1.2,
		position: [x, y + 420],
		parameters: { rule: { interval: [{ field: 'minutes', minutesInterval: 2 }] } },
	});
	const redeliver = b.add({
		name: 'Redeliver Failed Runs',
		type: `${PKG}.watchState`,
		typeVersion: 1,
		position: [x + 240, y + 420],
		parameters: { operation: 'redeliverFailedRuns', workflowIds: '={{ $workflow.id }}', windowHours: 24, maxAttempts: 5, firstWaitSeconds: 60, catchUpMarginSeconds: 120, catchUpAfterGapMinutes: 5, dryRun: false },
	});
	b.connect(every, redeliver);
	const gaveUp = actionFilter(b, 'Given Up', 'give-up', [x + 480, y + 420]);
	b.connect(redeliver, gaveUp);
	const catchUp = actionFilter(b, 'Catch Up', 'catch-up', [x + 480, y + 640]);
	b.connect(redeliver, catchUp);
	(['plex', 'jellyfin', 'emby'] as const).forEach((server, k) => {
		const reader = mediaNode(b, server, catchUpReader(server), [x + 720, y + 640 + k * 180], {
			resource: 'library',
			operation: 'getWatchState',
			...HOUSEHOLD,
			filters: { changedSince: '={{ $json.since }}', changedBefore: '={{ $json.until }}' },
		});
		b.connect(catchUp, reader);
		for (const applier of appliers[server]) b.connect(reader, applier);
	});
	b.add({ name: 'Notify: Event Not Delivered (Replace Me)', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [x + 720, y + 420], parameters: {} });
	b.connect(gaveUp, 'Notify: Event Not Delivered (Replace Me)');
	b.note(
		'Redelivery',
		[
			'## No event lost',
			'A run that fails or crashes (a server down, n8n restarted) is not lost: every 2 minutes **Redeliver Failed Runs** retries this workflow\'s failed runs through n8n\'s API, waiting 1, 2, 4, 8, 16 minutes between attempts. A retry writes only what is still missing.',
			'',
			'A run that kept no event to retry (a queue-mode worker died under it), or a pause of n8n, is **caught up**: each server\'s plays of that window are read for the household and go to the same Apply Watch State nodes as the webhooks; only what is missing is written.',
			'',
			'Create an n8n API key (**Settings → n8n API**, scopes *execution:list*, *execution:read* and *execution:retry*) and a **Watch State Redelivery API** credential with it and this n8n\'s URL. Runs given up after 5 attempts go to the notification: replace it with e-mail, Telegram, …',
		].join('\n'),
		[x, y],
		560,
		340,
		6,
	);
}

interface ChainOptions {
	prefix: string;
	y: number;
	/** Servers to Write; 'none' records the snapshot only (an import). */
	targets: string;
	/** Trakt as one more source and target (the Trakt template); the plan starts as a dry run. */
	trakt?: boolean;
	/** Ship Sync Servers as a Dry Run (a schedule that would otherwise write minutes after publishing). */
	dryRun?: boolean;
}

/**
 * Snapshot table -> Sync Servers (reads every server, plans and writes inside the node, so no
 * library crosses n8n as items) -> save the snapshot it hands on.
 */
function syncChain(b: Builder, start: string[], o: ChainOptions): string {
	const p = (name: string) => (o.prefix ? `${name} (${o.prefix})` : name);
	const y = o.y;
	const ensure = b.add({
		name: p('Ensure Snapshot Table'),
		type: 'n8n-nodes-base.dataTable',
		typeVersion: 1.1,
		position: [260, y],
		executeOnce: true,
		parameters: {
			resource: 'table',
			operation: 'create',
			tableName: SNAPSHOT_TABLE,
			columns: { column: SNAPSHOT_COLUMNS.map((c) => ({ ...c })) },
			options: { createIfNotExists: true },
		},
	});
	for (const s of start) b.connect(s, ensure);
	const read = b.add({
		name: p('Read Snapshot'),
		type: 'n8n-nodes-base.dataTable',
		typeVersion: 1.1,
		position: [480, y],
		executeOnce: true,
		alwaysOutputData: true,
		parameters: { resource: 'row', operation: 'get', dataTableId: { __rl: true, mode: 'name', value: SNAPSHOT_TABLE }, returnAll: true },
	});
	b.connect(ensure, read);
	const sync = b.add({
		name: p('Sync Servers'),
		type: `${PKG}.watchState`,
		typeVersion: 1,
		position: [720, y],
		// Not Execute Once: it must see every snapshot row (it runs once whatever its input).
		parameters: {
			operation: 'syncServers',
			servers: o.trakt ? ['plex', 'jellyfin', 'emby', 'trakt'] : ['plex', 'jellyfin', 'emby'],
			whose: 'household',
			sources: '',
			targets: o.targets,
			propagateUnplayed: false,
			dryRun: o.trakt === true || o.dryRun === true,
			options: o.trakt ? { traktHistory: true, traktPerson: '' } : {},
			requestOptions: {},
		},
	});
	b.connect(read, sync);
	const save = b.add({
		name: p('Save Snapshot'),
		type: 'n8n-nodes-base.dataTable',
		typeVersion: 1.1,
		position: [980, y + 40],
		parameters: {
			resource: 'row',
			operation: 'upsert',
			dataTableId: { __rl: true, mode: 'name', value: SNAPSHOT_TABLE },
			matchType: 'allConditions',
			filters: {
				conditions: [
					{ keyName: 'person', condition: 'eq', keyValue: '={{ $json.person }}' },
					{ keyName: 'backend', condition: 'eq', keyValue: '={{ $json.backend }}' },
				],
			},
			columns: { mappingMode: 'autoMapInputData', value: {} },
			options: {},
		},
	});
	b.connect(sync, save, 1);
	return sync;
}

const STORE_NOTE = [
	'The **snapshot** (which items each person had played on each server at the last run) is kept in this workflow\'s own Data Table, `watchstate_snapshots_<workflow id>`, created on the first run. It lets a run tell an explicit un-mark from an item that was never played, and it guards against writing from a listing that failed or shrank (Sync Servers aborts instead).',
	'',
	'It is saved **after** the writes; if a write fails the run stops and the next one plans again.',
].join('\n');

function fullSync(): Json {
	const b = new Builder('full');
	b.note(
		'Setup',
		[
			'## Full watch-state sync',
			'Reads the whole watch state of Plex, Jellyfin and Emby, plans the writes that make them agree (newest change wins, unknown is never unplayed) and applies them.',
			'',
			'1. In **Sync Servers** pick your **Servers** and select their credentials. It reads and writes for the whole **household**, person by person (note on the right).',
			'2. One-way or many-to-many: set **Source Servers** / **Servers to Write**. Turn on **Propagate Un-Marks** to carry manual un-marks.',
			'3. Try it with **Dry Run** on first (the plan appears in the Summary output; **Output Writes** lists every write of a real run).',
			'',
			'Sync Servers reads, plans and writes inside the node, so a 100,000-item library never crosses n8n as items. A run that finds the previous one still going does nothing and says so in its Summary. Big runs are not saved in the execution list (workflow settings); failed ones are.',
		].join('\n'),
		[-120, -560],
		600,
		380,
	);
	b.note('Snapshot', STORE_NOTE, [1180, 0], 520, 220, 5);
	b.note('Household', HOUSEHOLD_NOTE, [560, -560], 560, 440, 4);
	const schedule = b.add({
		name: 'Every 6 Hours',
		type: 'n8n-nodes-base.scheduleTrigger',
		typeVersion: 1.2,
		position: [0, 0],
		parameters: { rule: { interval: [{ field: 'hours', hoursInterval: 6 }] } },
	});
	const manual = b.add({ name: 'Run Now', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 200], parameters: {} });
	syncChain(b, [schedule, manual], { prefix: '', y: 0, targets: '' });
	return b.build('Watch State: full sync (scheduled)', { saveDataSuccessExecution: 'none', saveDataErrorExecution: 'all', saveManualExecutions: true, saveExecutionProgress: false });
}

function importExport(): Json {
	const b = new Builder('import-export');
	b.note(
		'Setup',
		[
			'## Scheduled import and export',
			'Two schedules sharing one store (this workflow\'s `watchstate_snapshots_<workflow id>` Data Table):',
			'- **Import** (hourly): reads every server and records what is played, writing nothing. Un-marks seen between imports are kept for the next export.',
			'- **Export** (every 2 hours): reads every server, plans against the store and writes.',
			'',
			'Edit either schedule (the import is a cron expression). Select your credentials in both **Sync Servers** nodes, as in the full sync template: they act for the whole household.',
			'',
			'The export ships as a **Dry Run**, so publishing writes nothing: read the plan in its Summary output (Executions), then turn Dry Run off in **Sync Servers (export)**.',
		].join('\n'),
		[-120, -560],
		600,
		380,
	);
	b.note('Snapshot', STORE_NOTE, [1180, 200], 520, 220, 5);
	const importSchedule = b.add({
		name: 'Import Hourly',
		type: 'n8n-nodes-base.scheduleTrigger',
		typeVersion: 1.2,
		position: [0, 0],
		parameters: { rule: { interval: [{ field: 'cronExpression', expression: '0 * * * *' }] } },
	});
	syncChain(b, [importSchedule], { prefix: 'import', y: 0, targets: 'none' });
	const exportSchedule = b.add({
		name: 'Export Every 2 Hours',
		type: 'n8n-nodes-base.scheduleTrigger',
		typeVersion: 1.2,
		position: [0, 600],
		// The editor takes 1–59 minutes or 1–23 hours (n8n-nodes-base 2.41.1 ScheduleTrigger typeOptions).
		parameters: { rule: { interval: [{ field: 'hours', hoursInterval: 2 }] } },
	});
	syncChain(b, [exportSchedule], { prefix: 'export', y: 600, targets: '', dryRun: true });
	return b.build('Watch State: scheduled import and export', { saveDataSuccessExecution: 'none', saveDataErrorExecution: 'all', saveManualExecutions: true, saveExecutionProgress: false });
}

function traktScrobbling(): Json {
	const b = new Builder('trakt');
	b.note(
		'Setup',
		[
			'## Trakt: scrobbling and history',
			'**Scrobbling**: every trigger feeds **Scrobble** (start / pause / stop with the rules in the node: nothing under 1 %, no start at 99 %+, a stop between 80 % and the watched line held as a pause, repeated finishes and pauses dropped, Trakt\'s 409 treated as done).',
			'**Two-way sync**: once a day Trakt and every server are planned together (note below): plays go both ways, never twice.',
			'**Ratings** (off): add **Rated** to the Plex or Jellyfin Trigger\'s **Events** and a 1–10 rating given there is set on Trakt by **Rate on Trakt**.',
			'',
			'1. Create a Trakt app (trakt.tv → Settings → Your API Apps) with the redirect URI `urn:ietf:wg:oauth:2.0:oob`. Create a **Trakt API** credential with its client id and secret, click *Authorize* next to the redirect URI on Trakt, paste the code into *Authorization Code*, save, and run **Check Trakt Connection** within 10 minutes. The connection then renews itself every week.',
			'2. Select a **Watch State Webhook API** credential (your webhook token) in the triggers and paste their production URLs into the servers (README). Keep only the triggers of servers you have; use Plex or Tautulli, not both.',
			'3. Select the server credentials in **Sync Servers (trakt)**, the daily sync.',
		].join('\n'),
		[-120, -520],
		600,
		440,
	);
	const scrobble = b.add({
		name: 'Scrobble',
		type: `${PKG}.trakt`,
		typeVersion: 1,
		position: [860, 260],
		parameters: { resource: 'scrobble', operation: 'fromEvent', rules: {} },
		// A failure (e.g. Trakt access revoked: the error says how to reconnect) goes to the notice.
		onError: 'continueErrorOutput',
	});
	const notify = b.add({ name: 'Send Notification (Replace Me)', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [1120, 400], parameters: {} });
	const fail = b.add({
		name: 'Fail the Execution',
		type: 'n8n-nodes-base.stopAndError',
		typeVersion: 1,
		position: [1360, 400],
		parameters: { errorType: 'errorMessage', errorMessage: '={{ $json.error }}' },
	});
	b.connect(scrobble, notify, 1);
	b.connect(notify, fail);
	b.note(
		'When Trakt fails',
		[
			'## When Trakt fails',
			'A scrobble that fails (e.g. *Trakt needs to be reconnected*, with what to click) comes out here with `error`.',
			'Replace **Send Notification** with your channel (Email, Telegram, Discord, …); the execution is then marked failed with the same message.',
		].join('\n'),
		[1080, 560],
		460,
		200,
	);
	const connect = b.add({ name: 'Connect Trakt', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [520, -300], parameters: {} });
	const check = b.add({ name: 'Check Trakt Connection', type: `${PKG}.trakt`, typeVersion: 1, position: [780, -300], parameters: { resource: 'sync', operation: 'lastActivities' } });
	b.connect(connect, check);
	// Ratings: none arrive until Rated is added to a trigger's Events (the one switch); Scrobble skips them.
	const ratingsOnly = fieldFilter(b, 'Ratings Only', 'event', 'rate', [860, 40]);
	const rate = b.add({
		name: 'Rate on Trakt',
		type: `${PKG}.trakt`,
		typeVersion: 1,
		position: [1120, 40],
		parameters: { resource: 'rating', operation: 'set', ratingOptions: {} },
		onError: 'continueErrorOutput',
	});
	b.connect(ratingsOnly, rate);
	b.connect(rate, notify, 1);
	const events = ['play', 'pause', 'resume', 'progress', 'stop', 'scrobble'];
	(
		[
			['plex', 'Plex Trigger', {}],
			['tautulli', 'Tautulli Trigger', { httpMethod: 'POST' }],
			['jellyfin', 'Jellyfin Trigger', {}],
			['emby', 'Emby Trigger', {}],
		] as Array<[string, string, Json]>
	).forEach(([kind, name, extra], i) => {
		const t = trigger(b, kind, `${name} (Trakt)`, [520, i * 180], events, extra);
		b.connect(t, scrobble);
		if (kind === 'plex' || kind === 'jellyfin') b.connect(t, ratingsOnly);
	});
	const daily = b.add({
		name: 'Daily',
		type: 'n8n-nodes-base.scheduleTrigger',
		typeVersion: 1.2,
		position: [0, 1000],
		parameters: { rule: { interval: [{ field: 'days', daysInterval: 1, triggerAtHour: 4 }] } },
	});
	b.note(
		'Two-way sync',
		[
			'## Trakt ↔ your servers, daily',
			'Plays recorded on Trakt (phone apps, other media centers) reach the servers, and plays on the servers reach the Trakt history with their dates; never a second play. Un-marks only with **Propagate Un-Marks**.',
			'',
			'1. In **Sync Servers (trakt)** select the server and Trakt credentials, and set **Trakt Person** (Options): whose Trakt account this is, as the household names the person (empty with For: One User).',
			'2. **Dry Run** is on: run it, read the plan in its Summary output, then turn Dry Run off.',
		].join('\n'),
		[-120, 1240],
		600,
		260,
		6,
	);
	syncChain(b, [daily], { prefix: 'trakt', y: 1000, targets: '', trakt: true });
	return b.build('Watch State: Trakt scrobbling and history', { saveDataSuccessExecution: 'none', saveDataErrorExecution: 'all', saveManualExecutions: true });
}

/**
 * Where n8n 2.x lets its file nodes read and write by default (N8N_RESTRICT_FILE_ACCESS_TO), in
 * its Docker image. The folder itself: n8n's file node does not create a missing folder.
 */
export const BACKUP_FOLDER = '/home/node/.n8n-files';
/** Backups kept: one file per day of the week, each overwritten a week later. */
const KEEP_DAYS = 7;

// Three workflows, not one: n8n allows one Manual Trigger per workflow (n8n-nodes-base
// manualTrigger: maxNodes 1), and its editor drops the others when a file is imported, so
// Restore Now and Migrate Now would vanish from a one-workflow template.
const BACKUP_SETTINGS = { saveDataSuccessExecution: 'none', saveDataErrorExecution: 'all', saveManualExecutions: true };

function backup(): Json {
	const b = new Builder('backup');
	const servers = ['plex', 'jellyfin', 'emby'];
	b.note(
		'Setup',
		[
			'## Backups of every server\'s watch state',
			`Every night **Back Up** reads Plex, Jellyfin and Emby (every person of the household, or one user) into one JSON file: one record per item and user with its external IDs, played, play date and resume position. **Write Backup File** keeps the last ${KEEP_DAYS}: one file per weekday in \`${BACKUP_FOLDER}\`, overwritten a week later.`,
			'',
			'1. In **Back Up** pick your **Servers** and select their credentials (household: note in the Full sync template).',
			`2. n8n writes files only under \`~/.n8n-files\` by default (\`N8N_RESTRICT_FILE_ACCESS_TO\`), and only into a folder that exists. In Docker mount a volume at \`/home/node/.n8n-files\`; outside Docker create \`~/.n8n-files\` and replace \`/home/node\` with n8n's home folder in every file node.`,
			'3. **Back Up Now** takes one at once.',
		].join('\n'),
		[-740, -60],
		660,
		340,
	);
	const nightly = b.add({
		name: 'Nightly',
		type: 'n8n-nodes-base.scheduleTrigger',
		typeVersion: 1.2,
		position: [0, 0],
		parameters: { rule: { interval: [{ field: 'days', daysInterval: 1, triggerAtHour: 3 }] } },
	});
	const now = b.add({ name: 'Back Up Now', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 180], parameters: {} });
	const backUp = b.add({
		name: 'Back Up',
		type: `${PKG}.watchState`,
		typeVersion: 1,
		position: [260, 80],
		parameters: { operation: 'backUp', servers, whose: 'household', options: {}, requestOptions: {} },
	});
	b.connect(nightly, backUp);
	b.connect(now, backUp);
	const write = b.add({
		name: 'Write Backup File',
		type: 'n8n-nodes-base.readWriteFile',
		typeVersion: 1.1,
		position: [520, 80],
		parameters: {
			operation: 'write',
			fileName: `={{ '${BACKUP_FOLDER}/watchstate-backup-' + ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][$now.weekday % 7] + '.json' }}`,
			dataPropertyName: 'data',
			options: {},
		},
	});
	b.connect(backUp, write, 2);
	return b.build('Watch State: nightly backup', BACKUP_SETTINGS);
}

function restoreBackup(): Json {
	const b = new Builder('backup');
	b.note(
		'Restore',
		[
			'## Restore',
			'After a database loss, or onto a rebuilt server: **Read Backup Files** reads the backup folder and **Restore Backup** restores the **newest** backup among them (point the file selector at one file to restore an older one).',
			'',
			'Items are matched by external IDs, person by person. Plays and resume positions the server lacks are written with their dates; anything done on the server since the backup is kept; nothing is un-marked unless **Un-Mark Too** is on. A foreign, truncated or damaged file is refused before any server is touched.',
			'',
			'**Dry Run** is on: read the Summary (matched, not found with each title, the plan), then turn it off.',
		].join('\n'),
		[-740, 400],
		660,
		300,
		5,
	);
	const restoreNow = b.add({ name: 'Restore Now', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 520], parameters: {} });
	const read = b.add({
		name: 'Read Backup Files',
		type: 'n8n-nodes-base.readWriteFile',
		typeVersion: 1.1,
		position: [260, 520],
		parameters: { operation: 'read', fileSelector: `${BACKUP_FOLDER}/watchstate-backup-*.json`, options: {} },
	});
	b.connect(restoreNow, read);
	const restore = b.add({
		name: 'Restore Backup',
		type: `${PKG}.watchState`,
		typeVersion: 1,
		position: [520, 520],
		parameters: { operation: 'restoreBackup', servers: ['jellyfin'], binaryPropertyName: 'data', fromServers: '', backupPerson: '', unmark: false, whose: 'household', dryRun: true, options: {}, requestOptions: {} },
	});
	b.connect(read, restore);
	return b.build('Watch State: restore a backup', BACKUP_SETTINGS);
}

function migrate(): Json {
	const b = new Builder('backup');
	b.note(
		'Migrate',
		[
			'## Migrate to a new server',
			'Moving from Plex to Jellyfin (or any pair): **Back Up (Old Server)** reads the old one, **Keep a Copy** saves that backup, **Migrate Into New Server** restores it onto the new one, every person of the household onto their own user.',
			'',
			'Set the servers in both nodes, run **Migrate Now** with **Dry Run** on, read the Summary (matched / not found / planned), then turn Dry Run off and run it again. Running it twice writes nothing new.',
		].join('\n'),
		[-740, 820],
		660,
		260,
		4,
	);
	const migrateNow = b.add({ name: 'Migrate Now', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 940], parameters: {} });
	const old = b.add({
		name: 'Back Up (Old Server)',
		type: `${PKG}.watchState`,
		typeVersion: 1,
		position: [260, 940],
		parameters: { operation: 'backUp', servers: ['plex'], whose: 'household', options: {}, requestOptions: {} },
	});
	b.connect(migrateNow, old);
	const copy = b.add({
		name: 'Keep a Copy',
		type: 'n8n-nodes-base.readWriteFile',
		typeVersion: 1.1,
		position: [520, 940],
		parameters: { operation: 'write', fileName: `={{ '${BACKUP_FOLDER}/migration-' + $json.fileName }}`, dataPropertyName: 'data', options: {} },
	});
	b.connect(old, copy, 2);
	const migrate = b.add({
		name: 'Migrate Into New Server',
		type: `${PKG}.watchState`,
		typeVersion: 1,
		position: [780, 940],
		parameters: { operation: 'restoreBackup', servers: ['jellyfin'], binaryPropertyName: 'data', fromServers: '', backupPerson: '', unmark: false, whose: 'household', dryRun: true, options: {}, requestOptions: {} },
	});
	b.connect(copy, migrate);
	return b.build('Watch State: migrate to a new server', BACKUP_SETTINGS);
}

/** The history store's Data Table: one row per playback event of any server. */
const HISTORY_TABLE = 'watchstate_playback_history';
/** A local InfluxDB as its docs start it (Docker, port 8086); the user edits org and bucket. */
export const INFLUX_URL = 'http://influxdb:8086';

function playbackHistory(): Json {
	const b = new Builder('history');
	b.note(
		'Setup',
		[
			'## Playback history store',
			'Every play, pause, resume, stop and scrobble of Plex (or Tautulli), Jellyfin and Emby becomes one row in the Data Table `' + HISTORY_TABLE + '` (created on the first event) and, if you enable it, one point in InfluxDB 2.x.',
			'',
			'The triggers have **Metrics Fields** on: each event carries `metrics` with the field set of Telegraf\'s *plex webhooks* input (measurement `plex_webhooks`, same tag and field names and types), and `jellyfin_webhooks` / `emby_webhooks` with the equivalents those servers send. Dashboards built on Telegraf keep working.',
			'',
			'1. Select a **Watch State Webhook API** credential in every trigger; publish; paste each Production URL into its server (`?apikey=<token>` appended). Plex Trigger *or* Tautulli Trigger, not both.',
			'2. InfluxDB (optional): enable **Write to InfluxDB**, set `org` and `bucket` in its URL, and create a **Header Auth** credential: name `Authorization`, value `Token <your API token>`.',
		].join('\n'),
		[-120, -520],
		640,
		440,
	);
	const events = ['play', 'pause', 'resume', 'stop', 'scrobble'];
	const triggers = (
		[
			['plex', 'Plex Trigger', {}],
			['tautulli', 'Tautulli Trigger', { httpMethod: 'POST' }],
			['jellyfin', 'Jellyfin Trigger', {}],
			['emby', 'Emby Trigger', {}],
		] as Array<[string, string, Json]>
	).map(([kind, name, extra], i) =>
		b.add({
			name,
			type: `${PKG}.${kind}Trigger`,
			typeVersion: 1,
			position: [0, i * 200],
			parameters: { ...extra, options: { events, metricsFields: true } },
		}),
	);
	const row = b.add({
		name: 'History Row',
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		position: [320, 200],
		parameters: {
			mode: 'raw',
			jsonOutput: '={{ { measurement: $json.metrics.measurement, time: $json.metrics.time, ...$json.metrics.tags, ...$json.metrics.fields } }}',
			options: {},
		},
	});
	const ensure = b.add({
		name: 'Ensure History Table',
		type: 'n8n-nodes-base.dataTable',
		typeVersion: 1.1,
		position: [560, 60],
		executeOnce: true,
		// Two first events at once both create the table and one is refused (UNIQUE): harmless, the
		// table exists; any other failure shows at Save to History Table.
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'table',
			operation: 'create',
			tableName: HISTORY_TABLE,
			columns: { column: METRIC_COLUMNS.map(([name, type]) => ({ name, type })) },
			options: { createIfNotExists: true },
		},
	});
	// The row waits until the table exists, then goes on as it was.
	const ready = b.add({
		name: 'When Table Ready',
		type: 'n8n-nodes-base.merge',
		typeVersion: 3.2,
		position: [800, 200],
		parameters: { mode: 'chooseBranch', chooseBranchMode: 'waitForAll', output: 'specifiedInput', useDataOfInput: 2 },
	});
	const save = b.add({
		name: 'Save to History Table',
		type: 'n8n-nodes-base.dataTable',
		typeVersion: 1.1,
		position: [1040, 200],
		parameters: {
			resource: 'row',
			operation: 'insert',
			dataTableId: { __rl: true, mode: 'name', value: HISTORY_TABLE },
			columns: { mappingMode: 'autoMapInputData', value: {} },
			options: {},
		},
	});
	const influx = b.add({
		name: 'Write to InfluxDB',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [320, 520],
		disabled: true,
		parameters: {
			method: 'POST',
			url: `${INFLUX_URL}/api/v2/write?org=home&bucket=plex&precision=ms`,
			authentication: 'genericCredentialType',
			genericAuthType: 'httpHeaderAuth',
			sendBody: true,
			contentType: 'raw',
			rawContentType: 'text/plain; charset=utf-8',
			body: '={{ $json.metrics.line }}',
			options: {},
		},
	});
	for (const t of triggers) {
		b.connect(t, row);
		b.connect(t, influx);
	}
	b.connect(row, ensure);
	b.connect(ensure, ready, 0, 0);
	b.connect(row, ready, 0, 1);
	b.connect(ready, save);
	b.note(
		'Queries',
		[
			'## Reading the history',
			'**Data Table**: open `' + HISTORY_TABLE + '` in *Overview → Data tables*, filter by `user_name`, `grandparent_title` (the show) or `event`.',
			'',
			'**InfluxDB (Flux)**, finished plays per user in the last 30 days:',
			'```',
			'from(bucket: "plex") |> range(start: -30d)',
			'  |> filter(fn: (r) => r._measurement =~ /_webhooks$/ and r._field == "title")',
			'  |> filter(fn: (r) => r.event == "media.scrobble" or r.event == "tautulli.watched" or r.event == "PlaybackStop" or r.event == "playback.stop")',
			'  |> group(columns: ["user_name"]) |> count()',
			'```',
			'Per show: `group(columns: ["grandparent_title"])`; per player: `["player_title"]`.',
		].join('\n'),
		[1220, -120],
		620,
		400,
		6,
	);
	return b.build('Watch State: playback history store', { saveDataSuccessExecution: 'none', saveDataErrorExecution: 'all' });
}

export function templates(): Record<string, Json> {
	return {
		'realtime-sync.json': realtimeSync(),
		'watcher-sync.json': watcherSync(),
		'full-sync.json': fullSync(),
		'scheduled-import-export.json': importExport(),
		'trakt-scrobbling.json': traktScrobbling(),
		'backup.json': backup(),
		'restore.json': restoreBackup(),
		'migrate.json': migrate(),
		'playback-history.json': playbackHistory(),
	};
}

export function templateText(workflow: Json): string {
	return `${JSON.stringify(workflow, null, '\t')}\n`;
}
