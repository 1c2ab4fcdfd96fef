/**
 * The bridge between the backend clients and n8n: requests go through n8n's request helpers
 * with a timeout, TLS choice and n8n's `sleep` for backoff. The media servers' credential headers
 * are resolved once per client (credentialheaders.ts); Trakt's and n8n's own API credential go
 * through `httpRequestWithAuthentication`, which renews Trakt's token.
 */
import { sleep, type IDataObject, type IExecuteFunctions, type IHttpRequestMethods, type IHttpRequestOptions, type ILoadOptionsFunctions, type ITriggerFunctions } from 'n8n-workflow';
import { BackendError, CredentialError, redact, type RetryPolicy, type Send } from '../transport/http';
import { networkFailure, SERVER_OF_CREDENTIAL } from './advice';

/** Where requests come from: a node's run, the editor's option lists, or a trigger that holds a connection (the Watcher). */
export type RequestingContext = IExecuteFunctions | ILoadOptionsFunctions | ITriggerFunctions;

export interface ConnectionSettings {
	credentialType: string;
	baseUrl: string;
	ignoreSslIssues: boolean;
	timeoutMs: number;
	/**
	 * Credentials that renew an expired token (Trakt's preAuthentication): n8n renews it only when
	 * the request *throws* a 401, so 401 is the one status not passed through; the answer after a
	 * failed renewal is read from the error.
	 */
	renewsTokenOn401?: boolean;
	/** Tells a failure of the credential itself (not of the request) by its message. */
	isCredentialFailure?: (message: string) => boolean;
}

export async function connectionSettings(
	ctx: RequestingContext,
	credentialType: string,
	timeoutMs: number,
): Promise<ConnectionSettings> {
	const credentials = await ctx.getCredentials(credentialType);
	const baseUrl = String(credentials.baseUrl ?? '').trim().replace(/\/+$/, '');
	if (!/^https?:\/\/[^/]+/i.test(baseUrl)) {
		throw new BackendError(`the credential's Server URL "${baseUrl}" is not an http(s) address`);
	}
	return { credentialType, baseUrl, ignoreSslIssues: credentials.ignoreSslIssues === true, timeoutMs };
}

/**
 * Requests through n8n. With `headers`, n8n does not apply the credential: the headers carry the
 * identity (the credential's own headers, resolved once, or a Plex household member's token).
 */
export function n8nSend(ctx: RequestingContext, settings: ConnectionSettings, headers?: Record<string, string>): Send {
	const send = (options: IHttpRequestOptions) =>
		headers ? ctx.helpers.httpRequest.call(ctx, { ...options, headers: { ...headers, ...options.headers } }) : ctx.helpers.httpRequestWithAuthentication.call(ctx, settings.credentialType, options);
	return async (request) => {
		const qs: IDataObject = {};
		for (const [k, v] of Object.entries(request.query ?? {})) if (v !== undefined) qs[k] = v;
		let failure: { message: string; code?: string } | undefined;
		try {
			const response = await send({
				method: request.method as IHttpRequestMethods,
				url: settings.baseUrl + request.path,
				qs,
				headers: request.headers,
				body: request.body as IDataObject | undefined,
				json: true,
				returnFullResponse: true,
				ignoreHttpStatusErrors: settings.renewsTokenOn401 ? { ignore: true, except: [401] } : true,
				timeout: settings.timeoutMs,
				skipSslCertificateValidation: settings.ignoreSslIssues,
			});
			return { status: Number(response.statusCode), headers: (response.headers ?? {}) as Record<string, unknown>, body: response.body };
		} catch (error) {
			const answered = (error as { response?: { status?: number; headers?: Record<string, unknown>; data?: unknown } }).response;
			if (answered?.status) return { status: answered.status, headers: answered.headers ?? {}, body: answered.data };
			// Only the message and code travel on: the error object may hold the request headers.
			const e = error as { message?: string; code?: string; cause?: { code?: string } };
			failure = { message: redact(String(e.message ?? 'request failed')), code: e.code ?? e.cause?.code };
		}
		if (settings.isCredentialFailure?.(failure.message)) throw new CredentialError(failure.message);
		const server = SERVER_OF_CREDENTIAL[settings.credentialType];
		throw new BackendError(`${server ?? 'the server'} at ${settings.baseUrl}: ${networkFailure(failure.code, failure.message)}`, undefined, failure.code, server);
	};
}

export function retryPolicy(retries: number): RetryPolicy {
	return {
		retries,
		baseDelayMs: 500,
		maxDelayMs: 15_000,
		maxRetryAfterMs: 120_000,
		sleep: async (ms) => await sleep(ms),
		random: Math.random,
	};
}
