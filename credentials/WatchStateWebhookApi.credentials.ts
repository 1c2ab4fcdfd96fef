import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * The secret a media server must present to a Watch State trigger. It is a credential, not a node
 * parameter, because n8n stores a trigger's parameters in every execution it starts; credentials
 * are kept encrypted and never copied into executions. One token can serve all four triggers.
 * Its test (a strength check, there is no server to ask) is the triggers' `webhookTokenStrength`.
 */
export class WatchStateWebhookApi implements ICredentialType {
	name = 'watchStateWebhookApi';

	displayName = 'Watch State Webhook API';

	icon: Icon = { light: 'file:../icons/watchstate.svg', dark: 'file:../icons/watchstate.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-watchstate/n8n-nodes-watchstate/blob/main/docs/webhooks.md';

	properties: INodeProperties[] = [
		{
			displayName: 'Secret Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Requests must carry this token as ?apikey=… in the URL or in an X-apikey header; anything else gets 401. Use a long random value, e.g. from `openssl rand -hex 24`.',
		},
	];
}
