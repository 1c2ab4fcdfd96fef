import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * Trakt through n8n's OAuth2 (authorization code, refresh on expiry). Register an app at
 * trakt.tv/oauth/applications with n8n's OAuth callback URL as its redirect URI. The client id is
 * also sent as `trakt-api-key` by the node. Hosts are editable: Trakt moved OAuth to auth.trakt.tv,
 * and the emulator runs on 127.0.0.1.
 */
export class TraktOAuth2Api implements ICredentialType {
	name = 'traktOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Trakt OAuth2 API';

	icon: Icon = { light: 'file:../icons/trakt.svg', dark: 'file:../icons/trakt.dark.svg' };

	documentationUrl = 'https://trakt.docs.apiary.io/#reference/authentication-oauth';

	properties: INodeProperties[] = [
		{ displayName: 'Grant Type', name: 'grantType', type: 'hidden', default: 'authorizationCode' },
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'string',
			default: 'https://trakt.tv/oauth/authorize',
			required: true,
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'string',
			default: 'https://api.trakt.tv/oauth/token',
			required: true,
		},
		{
			displayName: 'API URL',
			name: 'apiUrl',
			type: 'string',
			default: 'https://api.trakt.tv',
			description: 'Base of the Trakt API (change only for a staging or emulated Trakt)',
		},
		{ displayName: 'Scope', name: 'scope', type: 'hidden', default: '' },
		{ displayName: 'Auth URI Query Parameters', name: 'authQueryParameters', type: 'hidden', default: '' },
		{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'body' },
	];
}
