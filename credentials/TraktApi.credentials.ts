import type { IAuthenticateGeneric, ICredentialDataDecryptedObject, ICredentialType, IDataObject, IHttpRequestHelper, INodeProperties, Icon } from 'n8n-workflow';
import { authFields, renewTraktTokens } from '../nodes/shared/backends/trakt/oauth';

/**
 * Trakt with a connection that renews itself: the user pastes one authorization code; the first
 * Trakt call exchanges it, and every 401 after that refreshes the token pair with every field
 * Trakt requires (why not n8n's OAuth2 credential: nodes/shared/backends/trakt/oauth.ts).
 * n8n stores what `preAuthentication` returns, so the rotated refresh token is kept.
 */
export class TraktApi implements ICredentialType {
	name = 'traktApi';

	displayName = 'Trakt API';

	icon: Icon = { light: 'file:../icons/trakt.svg', dark: 'file:../icons/trakt.dark.svg' };

	documentationUrl = 'https://trakt.docs.apiary.io/#reference/authentication-oauth';

	properties: INodeProperties[] = [
		{
			displayName:
				'Create an app at trakt.tv → Settings → Your API Apps with the redirect URI <code>urn:ietf:wg:oauth:2.0:oob</code>. Copy its Client ID and Secret here, click Authorize next to the redirect URI, paste the code Trakt shows into Authorization Code, save, and run any Trakt node within 10 minutes. The connection then renews itself.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{ displayName: 'Client ID', name: 'clientId', type: 'string', default: '', required: true },
		{ displayName: 'Client Secret', name: 'clientSecret', type: 'string', typeOptions: { password: true }, default: '', required: true },
		{
			displayName: 'Authorization Code',
			name: 'authorizationCode',
			type: 'string',
			default: '',
			description: 'The code Trakt shows after you authorize the app. A new code here reconnects (e.g. after access was revoked).',
		},
		{
			displayName: 'Redirect URI',
			name: 'redirectUri',
			type: 'string',
			default: 'urn:ietf:wg:oauth:2.0:oob',
			description: "Exactly as in the app's settings on Trakt; Trakt checks it on every token refresh",
		},
		{
			displayName: 'OAuth URL',
			name: 'authUrl',
			type: 'string',
			default: 'https://auth.trakt.tv',
			description: 'Where Trakt answers OAuth requests (change only for an emulated Trakt)',
		},
		{
			displayName: 'API URL',
			name: 'apiUrl',
			type: 'string',
			default: 'https://api.trakt.tv',
			description: 'Base of the Trakt API (change only for an emulated Trakt)',
		},
		// Kept by n8n from what preAuthentication returns; password so the editor never shows them
		// and a save in the editor restores the stored values instead of overwriting them.
		{ displayName: 'Access Token', name: 'accessToken', type: 'hidden', typeOptions: { expirable: true, password: true }, default: '' },
		{ displayName: 'Refresh Token', name: 'refreshToken', type: 'hidden', typeOptions: { password: true }, default: '' },
		{ displayName: 'Token From Code', name: 'tokenFromCode', type: 'hidden', typeOptions: { password: true }, default: '' },
		{ displayName: 'Expires At', name: 'expiresAt', type: 'hidden', default: '' },
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
		const post = async (url: string, body: Record<string, string>) => {
			const res = (await this.helpers.httpRequest({ method: 'POST', url, body, json: true, returnFullResponse: true, ignoreHttpStatusErrors: true, timeout: 30_000 })) as {
				statusCode: number;
				body: unknown;
			};
			return { status: Number(res.statusCode), body: res.body };
		};
		return { ...(await renewTraktTokens(authFields(credentials), post)) };
	}

	/**
	 * A code pasted while the stored token still works must still be exchanged (a reconnection to
	 * another account, or after revoking the app): n8n runs preAuthentication only for an empty
	 * token or after a 401. So while the code is not the one the tokens came from, no token is
	 * sent: Trakt answers 401, n8n runs preAuthentication, which exchanges the new code, and sends
	 * the request again with its token.
	 */
	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '={{ "Bearer " + ($credentials.authorizationCode && $credentials.authorizationCode !== $credentials.tokenFromCode ? "pending-new-authorization-code" : $credentials.accessToken) }}',
				'trakt-api-key': '={{$credentials.clientId}}',
				'trakt-api-version': '2',
			},
		},
	};
}
