import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

export class PlexApi implements ICredentialType {
	name = 'plexApi';

	displayName = 'Plex Media Server API';

	icon: Icon = { light: 'file:../icons/plex.svg', dark: 'file:../icons/plex.dark.svg' };

	documentationUrl = 'https://support.plex.tv/articles/204059436-finding-an-authentication-token-x-plex-token/';

	properties: INodeProperties[] = [
		{
			displayName: 'Server URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://127.0.0.1:32400',
			placeholder: 'e.g. http://192.168.1.10:32400',
			description: 'Address of the Plex Media Server itself (not app.plex.tv)',
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				"The X-Plex-Token of the user whose watch state to read and change (the server owner's or a managed user's). For a household: the owner's token, with which plex.tv hands out the other users' tokens.",
		},
		{
			displayName: 'Client Identifier',
			name: 'clientIdentifier',
			type: 'string',
			default: 'n8n-nodes-watchstate',
			description: 'Sent as X-Plex-Client-Identifier; Plex ignores progress reports without one',
		},
		{
			displayName: 'Plex.tv URL',
			name: 'plexTvUrl',
			type: 'string',
			default: 'https://plex.tv',
			description: 'Where plex.tv answers; used only to act for household members (change it only for testing)',
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
				'X-Plex-Token': '={{$credentials.token}}',
				'X-Plex-Client-Identifier': '={{$credentials.clientIdentifier}}',
				'X-Plex-Product': 'n8n-nodes-watchstate',
				Accept: 'application/json',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/library/sections',
			skipSslCertificateValidation: '={{$credentials.ignoreSslIssues}}',
		},
	};
}
