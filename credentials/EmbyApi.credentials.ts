import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

export class EmbyApi implements ICredentialType {
	name = 'embyApi';

	displayName = 'Emby API';

	icon: Icon = { light: 'file:../icons/emby.svg', dark: 'file:../icons/emby.dark.svg' };

	documentationUrl = 'https://github.com/MediaBrowser/Emby/wiki/Api-Key-Authentication';

	properties: INodeProperties[] = [
		{
			displayName: 'Server URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://127.0.0.1:8096',
			placeholder: 'e.g. http://192.168.1.10:8096',
			description: 'Address of the Emby server; with or without the /emby path',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Settings > Advanced > API Keys; choose the user in each node',
		},
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'ignoreSslIssues',
			type: 'boolean',
			default: false,
			description: 'Whether to connect even if the certificate is self-signed or does not match the address',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				'X-Emby-Token': '={{$credentials.apiKey}}',
				Accept: 'application/json',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/System/Info',
			skipSslCertificateValidation: '={{$credentials.ignoreSslIssues}}',
		},
	};
}
