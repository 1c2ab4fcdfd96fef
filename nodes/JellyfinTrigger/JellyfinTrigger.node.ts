import {
	NodeConnectionTypes,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { parseJellyfinWebhook } from '../shared/backends/jellyfin/webhook';
import { eventMetrics } from '../shared/metrics/fields';
import { handleWebhook, type TriggerSpec } from '../shared/webhook/intake';
import {
	allowWithoutUserOption,
	progressEventsOption,
	manualWebhookMethods,
	optionsProperty,
	webhookTokenStrength,
	triggerPanel,
	webhookDescription,
} from '../shared/webhook/properties';

const spec: TriggerSpec = { backend: 'jellyfin', parse: parseJellyfinWebhook, metrics: (_payload, event) => eventMetrics(event) };

export class JellyfinTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Jellyfin Trigger',
		name: 'jellyfinTrigger',
		icon: { light: 'file:../../icons/jellyfin.svg', dark: 'file:../../icons/jellyfin.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'Webhook',
		description: 'Starts the workflow with one normalized watch-state event per Jellyfin webhook',
		defaults: { name: 'Jellyfin Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		// Written out: the community-node lint reads the credential test from this literal.
		credentials: [{ name: 'watchStateWebhookApi', required: true, testedBy: 'webhookTokenStrength' }],
		...triggerPanel('Jellyfin', 'Dashboard > Plugins > Webhook > Add Generic Destination'),
		webhooks: [webhookDescription('jellyfin')],
		properties: [
			{
				displayName:
					'In Jellyfin: Dashboard > Plugins > Webhook > Add Generic Destination, paste the Production URL below with ?apikey=<the token of the credential>, tick Send All Properties and the Playback Start, Playback Stop and User Data Saved notifications, and the Movies and Episodes item types.',
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			optionsProperty([allowWithoutUserOption, progressEventsOption]),
		],
	};

	webhookMethods = manualWebhookMethods;

	methods = { credentialTest: { webhookTokenStrength } };

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await handleWebhook(this, spec);
	}
}
