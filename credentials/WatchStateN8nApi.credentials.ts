import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * This n8n's own public API (an n8n API key), for Watch State's Redeliver Failed Runs: it lists the executions of a
 * workflow that failed or crashed and retries them (GET /api/v1/executions, POST
 * /api/v1/executions/{id}/retry). The API key needs the scopes execution:list, execution:read and execution:retry.
 */
export class WatchStateN8nApi implements ICredentialType {
	name = 'watchStateN8nApi';

	displayName = 'Watch State Redelivery API';

	icon: Icon = { light: 'file:../icons/watchstate.svg', dark: 'file:../icons/watchstate.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-watchstate/n8n-nodes-watchstate/blob/main/docs/install.md#no-event-lost';

	properties: INodeProperties[] = [
		{
			displayName: 'n8n URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://localhost:5678',
			placeholder: 'e.g. http://localhost:5678',
			description: "Where this n8n's API answers, as seen from where the workflow runs (the main instance in queue mode)",
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Settings → n8n API → Create an API key, with the scopes execution:list, execution:read and execution:retry (or all)',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { 'X-N8N-API-KEY': '={{$credentials.apiKey}}' } },
	};

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}', url: '/api/v1/executions', qs: { limit: 1 } },
	};
}
