/**
 * The Trakt client as n8n nodes use it (the Trakt node, Sync Servers): requests through the Trakt
 * API credential, which renews its own token, spaced for Trakt's write limit.
 */
import type { ICredentialsDecrypted, ICredentialTestFunctions, IDataObject, IExecuteFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { TraktClient } from '../backends/trakt/api';
import type { EpisodeLookups } from '../backends/trakt/watched';
import { isTraktAuthFailure, RECONNECT } from '../backends/trakt/oauth';
import { CredentialError, type Send } from '../transport/http';
import { n8nSend, retryPolicy } from './transport';

const CREDENTIAL = 'traktApi';

/** Trakt allows one write a second per user; a little more keeps network jitter from making it two. */
const WRITE_SPACING_MS = 1100;

export const apiBase = (credentials: IDataObject) => String(credentials.apiUrl || 'https://api.trakt.tv').replace(/\/+$/, '');

export async function traktClient(ctx: IExecuteFunctions, batchSize = 100): Promise<TraktClient> {
	const credentials = await ctx.getCredentials(CREDENTIAL);
	const send = n8nSend(ctx, { credentialType: CREDENTIAL, baseUrl: apiBase(credentials), ignoreSslIssues: false, timeoutMs: 30_000, renewsTokenOn401: true, isCredentialFailure: isTraktAuthFailure });
	return new TraktClient({ send: afterConcurrentRenewal(ctx, send, credentials.refreshToken), retry: retryPolicy(4), batchSize, writeSpacingMs: WRITE_SPACING_MS });
}

/**
 * Two executions (or two queue-mode workers) whose token expired at the same moment both renew
 * it with the same single-use refresh token; Trakt refuses the second. That one is not a revoked
 * connection: when the stored refresh token has changed since this execution read it, the other
 * execution renewed it, and the request is sent again with the stored token.
 */
function afterConcurrentRenewal(ctx: IExecuteFunctions, send: Send, refreshTokenRead: unknown): Send {
	return async (request) => {
		const outcome = await send(request).then(
			(response) => ({ response }),
			(error: unknown) => ({ error }),
		);
		if ('response' in outcome) return outcome.response;
		if (outcome.error instanceof CredentialError && outcome.error.message.includes(RECONNECT)) {
			const stored = await ctx.getCredentials(CREDENTIAL);
			if (stored.refreshToken && stored.refreshToken !== refreshTokenRead) return await send(request);
		}
		throw outcome.error;
	};
}

/**
 * The credential test, from what is stored: it makes no request, because the only one that says
 * more is the code exchange, and a code works once while a test's result is not stored. The
 * template's "Check Trakt Connection" makes the first real call.
 */
export async function traktConnection(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	if (!data.clientId || !data.clientSecret) return { status: 'Error', message: 'Copy the Client ID and Client Secret from your app on trakt.tv' };
	if (data.authorizationCode && data.authorizationCode !== data.tokenFromCode) {
		return { status: 'OK', message: 'Saved. Run any Trakt node (the template\'s "Check Trakt Connection") within 10 minutes to exchange the code.' };
	}
	if (data.refreshToken) return { status: 'OK', message: `Connected; the access token renews itself (the current one until ${String(data.expiresAt || 'unknown')})` };
	return { status: 'Error', message: 'Not connected yet: paste the authorization code Trakt shows when you authorize the app' };
}

const LOOKUPS_FIELD = 'watchstateTraktEpisodes';
/** Enough for every episode of a large library that only has IMDb / TMDb ids; the oldest go first. */
const MAX_LOOKUPS = 20_000;

/**
 * Trakt's ids of episodes that had to be looked up on Trakt (known to the server by IMDb / TMDb id
 * only), kept in the workflow's static data so each is looked up once, not on every run.
 */
export function episodeLookups(ctx: IExecuteFunctions): EpisodeLookups | undefined {
	if (typeof ctx.getWorkflowStaticData !== 'function') return undefined;
	const data = ctx.getWorkflowStaticData('global');
	const table = (): IDataObject => (data[LOOKUPS_FIELD] && typeof data[LOOKUPS_FIELD] === 'object' ? (data[LOOKUPS_FIELD] as IDataObject) : {});
	return {
		get: (key) => {
			const value = table()[key];
			return typeof value === 'number' ? value : undefined;
		},
		set: (key, traktId) => {
			const kept = table();
			const keys = Object.keys(kept);
			if (keys.length >= MAX_LOOKUPS) delete kept[keys[0]];
			kept[key] = traktId;
			data[LOOKUPS_FIELD] = kept;
		},
	};
}
