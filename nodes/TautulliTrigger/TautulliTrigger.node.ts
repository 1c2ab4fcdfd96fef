import {
	NodeConnectionTypes,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { parseTautulliWebhook } from '../shared/backends/tautulli/webhook';
import { plexMetrics } from '../shared/metrics/fields';
import { handleWebhook, type TriggerSpec } from '../shared/webhook/intake';
import {
	manualWebhookMethods,
	optionsProperty,
	webhookTokenStrength,
	triggerPanel,
	webhookDescription,
} from '../shared/webhook/properties';

const spec: TriggerSpec = { backend: 'tautulli', parse: parseTautulliWebhook, metrics: plexMetrics };

export class TautulliTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Tautulli Trigger',
		name: 'tautulliTrigger',
		icon: { light: 'file:../../icons/tautulli.svg', dark: 'file:../../icons/tautulli.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'Webhook',
		description: 'Starts the workflow with one normalized watch-state event per Tautulli webhook',
		defaults: { name: 'Tautulli Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		// Written out: the community-node lint reads the credential test from this literal.
		credentials: [{ name: 'watchStateWebhookApi', required: true, testedBy: 'webhookTokenStrength' }],
		...triggerPanel('Tautulli', 'Settings > Notification Agents > Webhook > Webhook URL'),
		webhooks: [webhookDescription('tautulli', '={{$parameter["httpMethod"]}}')],
		properties: [
			{
				displayName:
					'In Tautulli: Settings > Notification Agents > Webhook, paste the Production URL below with ?apikey=<the token of the credential>, pick the same method as here, and use the watch-state JSON Data template from the README for the Playback Start/Stop/Pause/Resume and Watched triggers.',
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'HTTP Method',
				name: 'httpMethod',
				type: 'options',
				options: [
					{ name: 'POST', value: 'POST' },
					{ name: 'PUT', value: 'PUT' },
				],
				default: 'POST',
				description: 'The Webhook Method set in the Tautulli notification agent',
			},
			optionsProperty([]),
		],
	};

	webhookMethods = manualWebhookMethods;

	methods = { credentialTest: { webhookTokenStrength } };

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await handleWebhook(this, spec);
	}
}
