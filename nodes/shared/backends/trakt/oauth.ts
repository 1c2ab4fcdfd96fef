/**
 * Keeping a Trakt connection alive without the user: exchanging the pasted authorization code
 * once, then refreshing the access token whenever Trakt refuses it.
 *
 * Why not n8n's OAuth2 credential: Trakt's token endpoint needs `redirect_uri` on a refresh too
 * (trakt/trakt-api tokenBaseSchema.ts: client_id, client_secret, redirect_uri for both grants),
 * and n8n's OAuth2 client refreshes with refresh_token, grant_type and the client id / secret only
 * (@n8n/client-oauth2 ClientOAuth2Token.refresh in n8n 2.41.1), so a connection made that way dies
 * when its 7-day access token does. This runs in the credential's `preAuthentication`, which n8n
 * calls when the stored token is empty and again after a 401, and whose answer n8n stores in the
 * credential, so the rotated single-use refresh token is kept.
 */

/** The credential's fields this needs. */
export interface TraktAuthFields {
	clientId: string;
	clientSecret: string;
	redirectUri: string;
	authorizationCode: string;
	/** Base of the OAuth host (https://auth.trakt.tv). */
	authUrl: string;
	refreshToken: string;
	/** The code the stored tokens came from: a different code in the field is a new connection. */
	tokenFromCode: string;
}

/** What the credential stores after a successful exchange. */
export interface TraktTokens {
	accessToken: string;
	refreshToken: string;
	/** When the access token expires (ISO); for the user to read, Trakt's 401 is what counts. */
	expiresAt: string;
	tokenFromCode: string;
}

export type TokenPost = (url: string, body: Record<string, string>) => Promise<{ status: number; body: unknown }>;

/** Starts every message that means "a person has to reconnect"; the node looks for it. */
export const RECONNECT = 'Trakt needs to be reconnected';

const HOW_TO_RECONNECT =
	'Open the Trakt credential, get a new code (trakt.tv → Settings → Your API Apps → this app → Authorize next to the redirect URI), paste it into Authorization Code, save, and run any Trakt node within 10 minutes (the template\'s "Check Trakt Connection").';

export class TraktAuthError extends Error {}

/** Trakt refused the credential's code, tokens or client: no retry of the request helps. */
export function isTraktAuthFailure(message: string): boolean {
	return message.includes(RECONNECT) || message.includes(REFUSED_CLIENT);
}

const REFUSED_CLIENT = 'Trakt refused the Client ID / Client Secret';

function field(value: unknown): string {
	return typeof value === 'string' ? value.trim() : '';
}

export function authFields(credentials: Record<string, unknown>): TraktAuthFields {
	return {
		clientId: field(credentials.clientId),
		clientSecret: field(credentials.clientSecret),
		redirectUri: field(credentials.redirectUri),
		authorizationCode: field(credentials.authorizationCode),
		authUrl: field(credentials.authUrl).replace(/\/+$/, ''),
		refreshToken: field(credentials.refreshToken),
		tokenFromCode: field(credentials.tokenFromCode),
	};
}

/**
 * A new token pair: from the authorization code when it is one the stored tokens did not come
 * from (a first connection or a reconnection), else from the refresh token. Throws a
 * TraktAuthError that says what to do when Trakt refuses; nothing is stored then.
 */
export async function renewTraktTokens(fields: TraktAuthFields, post: TokenPost): Promise<TraktTokens> {
	for (const [name, value] of [
		['Client ID', fields.clientId],
		['Client Secret', fields.clientSecret],
		['Redirect URI', fields.redirectUri],
		['OAuth URL', fields.authUrl],
	] as const) {
		if (!value) throw new TraktAuthError(`The Trakt credential has no ${name}`);
	}
	const fromCode = fields.authorizationCode !== '' && fields.authorizationCode !== fields.tokenFromCode;
	if (!fromCode && !fields.refreshToken) {
		throw new TraktAuthError(`${RECONNECT}: it has no authorization code yet. ${HOW_TO_RECONNECT}`);
	}
	const grant: Record<string, string> = fromCode
		? { grant_type: 'authorization_code', code: fields.authorizationCode }
		: { grant_type: 'refresh_token', refresh_token: fields.refreshToken };
	const res = await post(`${fields.authUrl}/oauth/token`, {
		...grant,
		client_id: fields.clientId,
		client_secret: fields.clientSecret,
		redirect_uri: fields.redirectUri,
	});
	const body = (res.body && typeof res.body === 'object' ? res.body : {}) as Record<string, unknown>;
	if (res.status === 200 && typeof body.access_token === 'string' && typeof body.refresh_token === 'string') {
		const createdAt = Number(body.created_at) * 1000 || Date.now();
		const lifeMs = Number(body.expires_in) * 1000 || 0;
		return {
			accessToken: body.access_token,
			refreshToken: body.refresh_token,
			expiresAt: new Date(createdAt + lifeMs).toISOString(),
			tokenFromCode: fromCode ? fields.authorizationCode : fields.tokenFromCode,
		};
	}
	throw new TraktAuthError(refusalMessage(res.status, String(body.error ?? ''), fromCode));
}

function refusalMessage(status: number, error: string, fromCode: boolean): string {
	if (error === 'invalid_client' || status === 401) {
		return `${REFUSED_CLIENT} of the Trakt credential (invalid_client): copy both again from the app on trakt.tv`;
	}
	if (error === 'invalid_grant') {
		return fromCode
			? `${RECONNECT}: Trakt refused the authorization code (codes last 10 minutes and work once, and only with the Redirect URI they were made for). ${HOW_TO_RECONNECT}`
			: `${RECONNECT}: Trakt refused the stored refresh token (access was revoked on trakt.tv, or the token was replaced). ${HOW_TO_RECONNECT}`;
	}
	if (error === 'invalid_request') return `Trakt refused the token request as incomplete (${error}); check the credential's Redirect URI`;
	return `Trakt's token endpoint answered ${status}${error ? ` (${error})` : ''}; the stored tokens are unchanged, the next run tries again`;
}
