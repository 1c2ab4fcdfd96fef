/**
 * The three Watcher Trigger nodes' shared parts: their parameters, and trigger() — which builds the
 * server's live source for the household, starts it (a refused credential fails the activation
 * with the server's answer) and hands n8n the function that closes it on deactivation.
 */
import { NodeOperationError, type INodeProperties, type ITriggerFunctions, type ITriggerResponse } from 'n8n-workflow';
import type { PlexClient } from '../backends/plex/api';
import type { MediaBackend } from '../node/description';
import { CREDENTIAL, createClient } from '../node/execute';
import { HouseholdActing } from '../node/household';
import { connectionSettings } from '../node/transport';
import type { WatchEventName } from '../model';
import { rejectReason, type EventFilters } from '../webhook/filters';
import { MediaBrowserLive } from './mediabrowser';
import { WatcherMemory } from './memory';
import { WatchedPeople } from './people';
import { PlexLive } from './plex';
import { nodeWebSocket } from './socket';
import { LiveWatcher, type LiveSource, type WatcherLog } from './watcher';

const LABEL: Record<MediaBackend, string> = { plex: 'Plex', jellyfin: 'Jellyfin', emby: 'Emby' };

const WATCHER_EVENTS: Array<{ name: string; value: WatchEventName }> = [
	{ name: 'Play', value: 'play' },
	{ name: 'Pause', value: 'pause' },
	{ name: 'Resume', value: 'resume' },
	{ name: 'Stop', value: 'stop' },
	{ name: 'Watched (Scrobble)', value: 'scrobble' },
	{ name: 'Marked Played', value: 'played' },
	{ name: 'Marked Unplayed', value: 'unplayed' },
];

/** How far back of its cursor a (re)connect reads: servers' clocks against n8n's, a play dated at its start. */
export const CATCH_UP_MARGIN_MS = 120_000;

export function watcherProperties(backend: MediaBackend): INodeProperties[] {
	const label = LABEL[backend];
	const how =
		backend === 'plex'
			? "Holds Plex's notification connection open with the server owner's token: plays, pauses, stops and watched items as they happen, and marks / un-marks made by hand (which Plex webhooks never send). No Plex Pass needed."
			: `Holds ${label}'s live connection open with an API key: plays, pauses, stops and watched items as they happen; marks and un-marks made by hand are read every Mark Poll Interval (the connection does not carry them to an API key).${backend === 'emby' ? ' No Emby Premiere needed.' : ' No webhook plugin needed.'}`;
	const properties: INodeProperties[] = [
		{
			displayName: `${how} After a lost connection or an n8n restart it reconnects by itself and first emits what happened meanwhile. It runs on the main n8n instance (in queue mode too).`,
			name: 'watcherNotice',
			type: 'notice',
			default: '',
		},
	];
	if (backend !== 'plex') {
		properties.push({
			displayName: 'Mark Poll Interval (Seconds)',
			name: 'pollSeconds',
			type: 'number',
			typeOptions: { minValue: 2 },
			default: 30,
			description: "How often each person's played items are checked for marks and un-marks made by hand: one small request per person each time",
		});
	}
	properties.push({
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				options: WATCHER_EVENTS,
				default: [],
				description: 'Only these events start the workflow. None selected means all.',
			},
			{
				displayName: 'Only Users',
				name: 'users',
				type: 'string',
				default: '',
				placeholder: 'e.g. 1, alice',
				description: "Comma-separated user IDs or names of this server. Other users' events start nothing. Empty: everyone the household places.",
			},
		],
	});
	return properties;
}

function logOf(ctx: ITriggerFunctions): WatcherLog {
	return {
		info: (m) => ctx.logger.info(m),
		warn: (m) => ctx.logger.warn(m),
		debug: (m) => ctx.logger.debug(m),
	};
}

export async function startWatcher(ctx: ITriggerFunctions, backend: MediaBackend): Promise<ITriggerResponse> {
	const label = LABEL[backend];
	const credentials = await ctx.getCredentials(CREDENTIAL[backend]);
	const fail = (message: string) => new NodeOperationError(ctx.getNode(), `${label} Watcher: ${message}`);
	let WebSocketCtor;
	try {
		WebSocketCtor = nodeWebSocket();
	} catch (error) {
		throw fail((error as Error).message);
	}
	const log = logOf(ctx);
	const request = { retries: 2, timeout: 30 };
	const { baseUrl } = await connectionSettings(ctx, CREDENTIAL[backend], 30_000);
	const base = await createClient(ctx, backend, request);
	const household = await HouseholdActing.load(ctx);
	const acting = new HouseholdActing(ctx, backend, household, base, async (user, identity) => await createClient(ctx, backend, request, user.id, { lookup: 'targeted' }, identity));
	const people = new WatchedPeople(acting, log, label);
	const memory = new WatcherMemory(ctx.getWorkflowStaticData('node'));
	let source: LiveSource;
	if (backend === 'plex') {
		source = new PlexLive(base as PlexClient, people, memory, log, {
			baseUrl,
			token: String(credentials.token ?? ''),
			clientIdentifier: String(credentials.clientIdentifier || 'n8n-nodes-watchstate'),
			marginMs: CATCH_UP_MARGIN_MS,
		});
	} else {
		const pollSeconds = Number(ctx.getNodeParameter('pollSeconds', 30));
		source = new MediaBrowserLive(base, people, memory, log, {
			flavor: backend,
			baseUrl,
			token: String((backend === 'emby' ? credentials.apiKey : credentials.token) ?? ''),
			deviceId: `n8n-nodes-watchstate-watcher-${ctx.getNode().id}`,
			marginMs: CATCH_UP_MARGIN_MS,
			pollMs: Math.max(2, Number.isFinite(pollSeconds) ? pollSeconds : 30) * 1000,
		});
	}
	const filters = ctx.getNodeParameter('options', {}) as EventFilters;
	const watcher = new LiveWatcher(source, {
		emit: (event) => {
			const reason = rejectReason(event, filters);
			if (reason) return log.debug(`${label} Watcher: ${event.event} of ${event.id} not emitted: ${reason}`);
			ctx.emit([[{ json: event as unknown as Record<string, never> }]]);
		},
		log,
		fatal: (error) => ctx.emitError(fail(error.message)),
		WebSocket: WebSocketCtor,
		memory,
		catchUpMarginMs: CATCH_UP_MARGIN_MS,
		// Listening in the editor shows what happens from now on, not a catch-up.
		catchUp: ctx.getMode() !== 'manual',
	});
	try {
		await watcher.start();
	} catch (error) {
		await watcher.stop();
		throw fail((error as Error).message);
	}
	return { closeFunction: async () => await watcher.stop() };
}
