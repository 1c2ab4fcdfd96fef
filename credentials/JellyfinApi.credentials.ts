import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

export class JellyfinApi implements ICredentialType {
	name = 'jellyfinApi';

	displayName = 'Jellyfin API';

	icon: Icon = { light: 'file:../icons/jellyfin.svg', dark: 'file:../icons/jellyfin.dark.svg' };

	documentationUrl = 'https://jellyfin.org/docs/general/server/settings/';

	properties: INodeProperties[] = [
		{
			displayName: 'Server URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://127.0.0.1:8096',
			placeholder: 'e.g. http://192.168.1.10:8096',
			description: 'Address of the Jellyfin server, including a base path if one is set',
		},
		{
			displayName: 'API Key or User Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'An API key (Dashboard > API Keys; then choose the user in each node) or a user access token (acts as that user)',
		},
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'ignoreSslIssues',
			type: 'boolean',
			default: false,
			description: 'Whether to connect even if the certificate is self-signed or does not match the address',
		},
	];

	// The MediaBrowser scheme works on every Jellyfin version; X-Emby-Token is off by default from 10.12.
	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization:
					'=MediaBrowser Token="{{$credentials.token}}", Client="n8n-nodes-watchstate", Device="n8n", DeviceId="n8n-nodes-watchstate", Version="0.1.0"',
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
