/**
 * Node description parts shared by the four triggers, so every trigger offers the same credential,
 * matching and filter options with the same names.
 */
import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
	INodeProperties,
	INodePropertyOptions,
	IWebhookDescription,
	TriggerPanelDefinition,
} from 'n8n-workflow';
import { WATCH_EVENT_NAMES } from '../model';

/** Every trigger checks requests against the token in this credential (see the credential for why). */
export const WEBHOOK_CREDENTIAL = 'watchStateWebhookApi';

/** Shortest token accepted by the credential test: guessable tokens would let anyone mark items. */
export const MIN_TOKEN_LENGTH = 20;

/** The credential's "test": no server to ask, so check that the secret is long and not a placeholder. */
export async function webhookTokenStrength(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const token = typeof credential.data?.token === 'string' ? credential.data.token : '';
	if (token.length < MIN_TOKEN_LENGTH) return { status: 'Error', message: `Use a random token of at least ${MIN_TOKEN_LENGTH} characters` };
	if (new Set(token).size < 8) return { status: 'Error', message: 'The token repeats too few characters to be hard to guess; use a random one' };
	if (!/^[\x21-\x7e]+$/.test(token)) return { status: 'Error', message: 'Use printable ASCII without spaces: the token travels in a URL' };
	return { status: 'OK', message: 'Token is long enough' };
}

const EVENT_LABELS: Record<string, string> = {
	play: 'Play',
	pause: 'Pause',
	resume: 'Resume',
	progress: 'Progress',
	stop: 'Stop',
	scrobble: 'Scrobble (Watched by Playback)',
	played: 'Marked Played',
	unplayed: 'Marked Unplayed',
	added: 'Added to Library',
	rate: 'Rated',
};

const eventOptions: INodePropertyOptions[] = WATCH_EVENT_NAMES.map((name) => ({
	name: EVENT_LABELS[name],
	value: name,
}));

export const commonOptions: INodeProperties[] = [
	{
		displayName: 'Events',
		name: 'events',
		type: 'multiOptions',
		options: eventOptions,
		default: [],
		description: 'Only these normalized events start the workflow. None selected means all.',
	},
	{
		displayName: 'Include Raw Payload',
		name: 'includeRaw',
		type: 'boolean',
		default: false,
		description: "Whether to add the server's original payload to the item as `raw`",
	},
	{
		displayName: 'Metrics Fields',
		name: 'metricsFields',
		type: 'boolean',
		default: false,
		description:
			"Whether to add `metrics` to the item: the event as a playback-history point (tags, typed fields, time, and `line` in InfluxDB line protocol). Plex and Tautulli use the field names of Telegraf's plex webhooks input.",
	},
	{
		displayName: 'Only Servers',
		name: 'servers',
		type: 'string',
		default: '',
		placeholder: 'e.g. 0123456789abcdef0123456789abcdef01234567',
		description: 'Comma-separated server IDs. Events from other servers are answered 200 and ignored.',
	},
	{
		displayName: 'Only Users',
		name: 'users',
		type: 'string',
		default: '',
		placeholder: 'e.g. 1, alice',
		description: 'Comma-separated user IDs or names. Events of other users are answered 200 and ignored.',
	},
];

export const progressEventsOption: INodeProperties = {
	displayName: 'Progress Events',
	name: 'progressEvents',
	type: 'boolean',
	default: false,
	description:
		'Whether to keep periodic progress reports (sent about every 10 seconds while playing). Off, they are answered 200 and ignored.',
};

export const allowWithoutUserOption: INodeProperties = {
	displayName: 'Accept Events Without User',
	name: 'allowWithoutUser',
	type: 'boolean',
	default: false,
	description:
		'Whether to keep events that name no user, such as items added to a library. Off, they are answered 200 and ignored.',
};

export function optionsProperty(extra: INodeProperties[]): INodeProperties {
	const options = [...commonOptions, ...extra].sort((a, b) => a.displayName.localeCompare(b.displayName));
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options,
	};
}

/**
 * What the trigger panel says while a user sets a trigger up: which of the two URLs goes into the
 * server, and that the token is appended (every trigger refuses requests without it).
 */
export function triggerPanel(server: string, where: string): { activationMessage: string; triggerPanel: TriggerPanelDefinition } {
	const urls =
		`Two URLs are shown above. <b>Test URL</b>: click <i>Listen for test event</i>, then play something on ${server}; the event shows here. ` +
		`<b>Production URL</b>: the one to paste into ${server} (${where}) once the workflow is published. ` +
		'Append <code>?apikey=</code> and the token of the Watch State Webhook API credential to either URL: requests without it are refused (401) and start nothing.';
	return {
		activationMessage: `Paste the Production URL with ?apikey=<token> appended into ${server} (${where}); its events now start this workflow.`,
		triggerPanel: {
			header: `Listening for ${server} webhooks`,
			executionsHelp: {
				inactive: `${urls}<br /><br />Events from the production URL show in the executions list once the workflow is published.`,
				active: `${urls}<br /><br />The workflow is published: events from the production URL show in the <a data-key="executions">executions list</a>.`,
			},
			activationHint: `Publish the workflow, then paste its Production URL with ?apikey=<token> into ${server} (${where}).`,
		},
	};
}

/** One POST webhook per trigger; the production URL is `<n8n>/webhook/<webhookId>/<path>`. */
export function webhookDescription(path: string, httpMethod = 'POST'): IWebhookDescription {
	return {
		name: 'default',
		httpMethod,
		responseMode: 'onReceived',
		// Without an explicit responseData n8n 2.x answers the literal text "firstEntryJson".
		responseData: '',
		path,
	};
}

/** Webhooks are configured by hand in each server's UI, so there is nothing to register. */
export const manualWebhookMethods = {
	default: {
		async checkExists(): Promise<boolean> {
			return true;
		},
		async create(): Promise<boolean> {
			return true;
		},
		async delete(): Promise<boolean> {
			return true;
		},
	},
};
