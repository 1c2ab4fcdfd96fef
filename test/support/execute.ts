/**
 * Runs an action node's execute() the way n8n does for these nodes: parameters per item, the
 * credential's `authenticate` headers applied by the request helper (the node never sees them),
 * real HTTP to the emulators with a timeout, `returnFullResponse` / `ignoreHttpStatusErrors`.
 */
import type {
	IAuthenticateGeneric,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	INodeExecutionData,
	INodeType,
} from 'n8n-workflow';

type Params = Record<string, unknown>;

/** Resolves `={{$credentials.x}}` and `=…{{$credentials.x}}…` the way n8n does for simple expressions. */
function resolve(value: string, credentials: IDataObject): string {
	if (!value.startsWith('=')) return value;
	return value.slice(1).replace(/\{\{\s*\$credentials\.(\w+)\s*\}\}/g, (_m, key: string) => String(credentials[key] ?? ''));
}

/**
 * n8n's OAuth2 request path, as far as these nodes depend on it: the access token as a Bearer
 * header; on 401 one refresh with the refresh token (client id / secret in the body, form-encoded,
 * as n8n's client does) and the request again. The new token pair replaces the old one.
 */
type Requester = (options: IHttpRequestOptions) => Promise<unknown>;

function oauth2Request(credentials: IDataObject): Requester {
	const plain: Requester = authenticatedRequest({ name: 'plain', displayName: 'plain', properties: [], authenticate: { type: 'generic', properties: {} } }, credentials);
	const withToken: Requester = (options) => {
		const token = (credentials.oauthTokenData as IDataObject | undefined)?.access_token;
		return plain({ ...options, headers: { ...(options.headers ?? {}), Authorization: `Bearer ${String(token)}` } });
	};
	return async (options: IHttpRequestOptions) => {
		const first = (await withToken({ ...options, returnFullResponse: true, ignoreHttpStatusErrors: true })) as { statusCode: number; body: unknown };
		if (first.statusCode !== 401) return options.returnFullResponse ? first : first.body;
		const data = credentials.oauthTokenData as IDataObject;
		const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(data.refresh_token), client_id: String(credentials.clientId), client_secret: String(credentials.clientSecret) });
		const res = await fetch(String(credentials.accessTokenUrl), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
		if (!res.ok) throw new Error(`refreshing the token failed with ${res.status}`);
		credentials.oauthTokenData = (await res.json()) as IDataObject;
		return await withToken(options);
	};
}

export function authenticatedRequest(credentialType: ICredentialType, credentials: IDataObject): Requester {
	if (credentialType.extends?.includes('oAuth2Api')) return oauth2Request(credentials);
	const auth = credentialType.authenticate as IAuthenticateGeneric;
	return async (options: IHttpRequestOptions) => {
		const url = new URL(options.url);
		for (const [k, v] of Object.entries(options.qs ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
		const headers: Record<string, string> = {};
		for (const [k, v] of Object.entries(auth.properties.headers ?? {})) headers[k] = resolve(String(v), credentials);
		for (const [k, v] of Object.entries(options.headers ?? {})) headers[k] = String(v);
		let body: string | undefined;
		if (options.body !== undefined) {
			body = JSON.stringify(options.body);
			headers['content-type'] = 'application/json';
		}
		const response = await fetch(url, {
			method: options.method ?? 'GET',
			headers,
			body,
			signal: AbortSignal.timeout(options.timeout ?? 30_000),
		});
		const text = await response.text();
		let parsed: unknown = text;
		if (options.json && text && (response.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
		if (!options.ignoreHttpStatusErrors && !response.ok) throw new Error(`Request failed with status code ${response.status}`);
		const responseHeaders: IDataObject = {};
		response.headers.forEach((v, k) => (responseHeaders[k] = v));
		return options.returnFullResponse ? { statusCode: response.status, headers: responseHeaders, body: parsed } : parsed;
	};
}

export interface ExecuteSetup {
	credentialType: ICredentialType;
	credentials: IDataObject;
	/** Parameters for every item; a function gets the item index. */
	params: Params | ((itemIndex: number) => Params);
	input?: IDataObject[];
	continueOnFail?: boolean;
	/** Shared across runs, like n8n's deduplication store for one node. */
	processed?: Set<string>;
	/** More credentials the node has, by type (e.g. the household's). */
	otherCredentials?: Record<string, IDataObject>;
}

export async function runNode(node: INodeType, setup: ExecuteSetup): Promise<INodeExecutionData[]> {
	const input = (setup.input ?? [{}]).map((json) => ({ json }));
	const request = authenticatedRequest(setup.credentialType, setup.credentials);
	const plain = authenticatedRequest({ name: 'none', displayName: 'none', properties: [], authenticate: { type: 'generic', properties: {} } }, {});
	const params = (i: number) => (typeof setup.params === 'function' ? setup.params(i) : setup.params);
	const ctx = {
		getInputData: () => input,
		getNodeParameter: (name: string, i: number, fallback?: unknown) => {
			const p = params(i);
			if (name in p) return p[name];
			if (fallback !== undefined) return fallback;
			throw new Error(`parameter ${name} not set in the test`);
		},
		getCredentials: async (type: string) => {
			if (setup.otherCredentials?.[type]) return setup.otherCredentials[type];
			if (type !== setup.credentialType.name) throw new Error(`credential ${type} not configured`);
			return setup.credentials;
		},
		getNode: () => ({ name: 'Node', type: 'test', typeVersion: 1, parameters: {}, id: 'node-1', position: [0, 0] }),
		continueOnFail: () => setup.continueOnFail === true,
		helpers: {
			checkProcessedAndRecord: async (values: string[]) => {
				const store = setup.processed ?? new Set<string>();
				const processed = values.filter((v) => store.has(v));
				for (const v of values) store.add(v);
				return { new: values.filter((v) => !processed.includes(v)), processed };
			},
			httpRequestWithAuthentication: async (type: string, options: IHttpRequestOptions) => {
				if (type !== setup.credentialType.name) throw new Error(`wrong credential type ${type}`);
				return await request(options);
			},
			// n8n's plain request: no credential applied (the caller sends its own headers).
			httpRequest: async (options: IHttpRequestOptions) => await plain(options),
		},
	} as unknown as IExecuteFunctions;
	const result = (await node.execute!.call(ctx)) as INodeExecutionData[][];
	return result[0];
}
