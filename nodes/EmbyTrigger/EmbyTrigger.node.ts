import {
	NodeConnectionTypes,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { parseEmbyWebhook } from '../shared/backends/emby/webhook';
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

const spec: TriggerSpec = { backend: 'emby', payloadField: 'data', parse: parseEmbyWebhook, metrics: (_payload, event) => eventMetrics(event) };

export class EmbyTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Emby Trigger',
		name: 'embyTrigger',
		icon: { light: 'file:../../icons/emby.svg', dark: 'file:../../icons/emby.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'Webhook',
		description: 'Starts the workflow with one normalized watch-state event per Emby webhook',
		defaults: { name: 'Emby Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		// Written out: the community-node lint reads the credential test from this literal.
		credentials: [{ name: 'watchStateWebhookApi', required: true, testedBy: 'webhookTokenStrength' }],
		...triggerPanel('Emby', 'Settings > Webhooks > Add Webhook'),
		webhooks: [webhookDescription('emby')],
		properties: [
			{
				displayName:
					'In Emby: Settings > Webhooks > Add Webhook, paste the Production URL below with ?apikey=<the token of the credential>, choose application/json as request content type where offered, and tick the Playback, Mark Played and Mark Unplayed events.',
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
