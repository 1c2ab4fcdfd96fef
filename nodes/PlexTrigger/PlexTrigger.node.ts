import {
	NodeConnectionTypes,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { parsePlexWebhook } from '../shared/backends/plex/webhook';
import { plexMetrics } from '../shared/metrics/fields';
import { handleWebhook, type TriggerSpec } from '../shared/webhook/intake';
import {
	manualWebhookMethods,
	optionsProperty,
	webhookTokenStrength,
	triggerPanel,
	webhookDescription,
} from '../shared/webhook/properties';

const spec: TriggerSpec = { backend: 'plex', payloadField: 'payload', parse: parsePlexWebhook, metrics: plexMetrics };

export class PlexTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Plex Trigger',
		name: 'plexTrigger',
		icon: { light: 'file:../../icons/plex.svg', dark: 'file:../../icons/plex.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'Webhook',
		description: 'Starts the workflow with one normalized watch-state event per Plex webhook',
		defaults: { name: 'Plex Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		// Written out: the community-node lint reads the credential test from this literal.
		credentials: [{ name: 'watchStateWebhookApi', required: true, testedBy: 'webhookTokenStrength' }],
		...triggerPanel('Plex', 'Plex Web: Settings > Webhooks > Add Webhook'),
		webhooks: [webhookDescription('plex')],
		properties: [
			{
				displayName:
					'In Plex Web: Settings > Webhooks > Add Webhook, paste the Production URL below with ?apikey=<the token of the credential> appended. Needs Plex Pass on the server owner account.',
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			optionsProperty([{
					displayName: 'Include Thumbnail',
					name: 'includeThumb',
					type: 'boolean',
					default: false,
					description: 'Whether to keep the poster JPEG that Plex attaches to some events as binary data `thumb`',
				}]),
		],
	};

	webhookMethods = manualWebhookMethods;

	methods = { credentialTest: { webhookTokenStrength } };

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await handleWebhook(this, spec);
	}
}
