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

import { Tournament } from '@n8n/tournament';

type Params = Record<string, unknown>;

/**
 * Resolves a credential's `={{ … }}` / `=…{{ … }}…` header with `$credentials`, by n8n's own
 * expression engine (@n8n/tournament, which n8n-workflow evaluates expressions with).
 */
const expressions = new Tournament();
function resolve(value: string, credentials: IDataObject): string {
	if (!value.startsWith('=')) return value;
	return String(expressions.execute(value.slice(1), { $credentials: credentials }) ?? '');
}

type Requester = (options: IHttpRequestOptions) => Promise<unknown>;

/**
 * n8n's path for a credential with `preAuthentication` and an expirable field
 * (httpRequestWithAuthentication in n8n-core 2.41.1): renew when the field is empty, send, and on
 * a thrown 401 renew once more and send again. What preAuthentication returns is stored in the
 * credential (here: the same object getCredentials hands out).
 */
function renewingRequest(credentialType: ICredentialType, read: () => IDataObject): Requester {
	const expirable = credentialType.properties.find((p) => p.type === 'hidden' && p.typeOptions?.expirable === true)!.name;
	const plain = authenticatedRequest({ name: 'plain', displayName: 'plain', properties: [], authenticate: { type: 'generic', properties: {} } }, {});
	const renew = async (credentials: IDataObject) =>
		Object.assign(credentials, await credentialType.preAuthentication!.call({ helpers: { httpRequest: plain } } as never, credentials as never));
	const withoutRenewal = { ...credentialType, preAuthentication: undefined };
	return async (options) => {
		// Every request reads the stored credential again, as n8n does.
		const credentials = read();
		if (credentials[expirable] === '' || credentials[expirable] === undefined) await renew(credentials);
		const send = authenticatedRequest(withoutRenewal, credentials);
		return await send(options).catch(async (error: { response?: { status?: number } }) => {
			if (error.response?.status !== 401) return await Promise.reject(error);
			await renew(credentials);
			return await send(options);
		});
	};
}

export function authenticatedRequest(credentialType: ICredentialType, credentials: IDataObject | (() => IDataObject)): Requester {
	if (credentialType.preAuthentication) return renewingRequest(credentialType, typeof credentials === 'function' ? credentials : () => credentials);
	if (typeof credentials === 'function') return async (options) => await authenticatedRequest(credentialType, credentials())(options);
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
		const responseHeaders: IDataObject = {};
		response.headers.forEach((v, k) => (responseHeaders[k] = v));
		const ignore = options.ignoreHttpStatusErrors;
		const ignored = typeof ignore === 'object' ? ignore.ignore && !(ignore.except ?? []).includes(response.status) : ignore === true;
		if (!ignored && !response.ok) {
			throw Object.assign(new Error(`Request failed with status code ${response.status}`), { response: { status: response.status, headers: responseHeaders, data: parsed } });
		}
		return options.returnFullResponse ? { statusCode: response.status, headers: responseHeaders, body: parsed } : parsed;
	};
}

/**
 * n8n's deduplication store as nodes see it (n8n 2.41.1 DeduplicationHelper): one row per scope
 * ('node' / 'workflow'), read then inserted or updated; a row inserted by another call between
 * that read and the insert makes the insert fail on the table's primary key, as in n8n's database.
 * A Set given for a node-scope row is used as that row.
 */
export class DedupStore {
	private readonly rows = new Map<string, Set<string>>();

	constructor(nodeRow?: Set<string>) {
		if (nodeRow) this.rows.set('node', nodeRow);
	}

	row(scope: string): Set<string> | undefined {
		return this.rows.get(scope);
	}

	async checkProcessedAndRecord(values: string[], scope: string): Promise<{ new: string[]; processed: string[] }> {
		const found = this.rows.get(scope);
		// The database round trip between the read and the write: other calls run here.
		await Promise.resolve();
		if (!found) {
			if (this.rows.has(scope)) throw new Error('duplicate key value violates unique constraint "PK_processed_data"');
			this.rows.set(scope, new Set(values));
			return { new: [...values], processed: [] };
		}
		const processed = values.filter((v) => found.has(v));
		for (const v of values) found.add(v);
		return { new: values.filter((v) => !processed.includes(v)), processed };
	}

	async removeProcessed(values: string[], scope: string): Promise<void> {
		for (const v of values) this.rows.get(scope)?.delete(v);
	}

	async clearAllProcessedItems(scope: string): Promise<void> {
		this.rows.delete(scope);
	}

	async getProcessedDataCount(scope: string): Promise<number> {
		return this.rows.get(scope)?.size ?? 0;
	}
}

export interface ExecuteSetup {
	credentialType: ICredentialType;
	/** The stored credential; a function is asked at every read (to play another execution changing it). */
	credentials: IDataObject | (() => IDataObject);
	/** Parameters for every item; a function gets the item index. */
	params: Params | ((itemIndex: number) => Params);
	input?: IDataObject[];
	/** Input items with binary data (instead of `input`). */
	inputItems?: INodeExecutionData[];
	continueOnFail?: boolean;
	/** Shared across runs, like n8n's deduplication row of this node. */
	processed?: Set<string>;
	/** The workflow's whole deduplication store (node and workflow scopes), shared across runs. */
	dedup?: DedupStore;
	/** More credentials the node has, by type (e.g. the household's). */
	otherCredentials?: Record<string, IDataObject>;
	/** More credentials whose requests go through n8n's request helper (a node using several servers). */
	moreCredentials?: Array<[ICredentialType, IDataObject]>;
	/** The workflow's global static data, kept across runs when the same object is passed again. */
	staticData?: IDataObject;
	/** Receives the hints the node adds to its output (n8n shows them over the output pane). */
	hints?: Array<{ message: string; type?: string }>;
	/** This run's execution id (default '1'). */
	executionId?: string;
	/** n8n's execution mode (default 'trigger', as a schedule runs it; 'manual' from the editor). */
	mode?: string;
	/** Receives what the node writes to n8n's log. */
	logs?: string[];
	/** Receives what the node sends to the editor (manual runs). */
	messagesToUI?: unknown[];
	/** The execution's custom data as the node set it. */
	customData?: Record<string, string>;
	/** Receives the credential type of every request sent through httpRequestWithAuthentication. */
	authenticatedRequests?: string[];
}

export async function runNode(node: INodeType, setup: ExecuteSetup): Promise<INodeExecutionData[]> {
	return (await runNodeOutputs(node, setup))[0];
}

/** Every output of the node, for nodes with several (Watch State). */
export async function runNodeOutputs(node: INodeType, setup: ExecuteSetup): Promise<INodeExecutionData[][]> {
	const input: INodeExecutionData[] = setup.inputItems ?? (setup.input ?? [{}]).map((json) => ({ json }));
	const request = authenticatedRequest(setup.credentialType, setup.credentials);
	const more = new Map((setup.moreCredentials ?? []).map(([type, data]) => [type.name, { data, request: authenticatedRequest(type, data) }]));
	const plain = authenticatedRequest({ name: 'none', displayName: 'none', properties: [], authenticate: { type: 'generic', properties: {} } }, {});
	const params = (i: number) => (typeof setup.params === 'function' ? setup.params(i) : setup.params);
	const dedup = setup.dedup ?? new DedupStore(setup.processed ?? new Set());
	const ctx = {
		getInputData: () => input,
		getNodeParameter: (name: string, i: number, fallback?: unknown, options?: { extractValue?: boolean }) => {
			const p = params(i);
			const value = p[name] as { __rl?: boolean; value?: unknown } | undefined;
			// A resource locator's value, as n8n's extractValue gives it (modes with a regex aside).
			if (options?.extractValue && value && typeof value === 'object' && value.__rl) return value.value;
			if (name in p) return p[name];
			if (fallback !== undefined) return fallback;
			throw new Error(`parameter ${name} not set in the test`);
		},
		getCredentials: async (type: string) => {
			if (setup.otherCredentials?.[type]) return setup.otherCredentials[type];
			if (more.has(type)) return more.get(type)!.data;
			if (type !== setup.credentialType.name) throw new Error(`credential ${type} not configured`);
			return typeof setup.credentials === 'function' ? setup.credentials() : setup.credentials;
		},
		getNode: () => ({ name: 'Node', type: `n8n-nodes-watchstate.${node.description.name}`, typeVersion: 1, parameters: {}, id: 'node-1', position: [0, 0] }),
		continueOnFail: () => setup.continueOnFail === true,
		getWorkflowStaticData: () => (setup.staticData ??= {}),
		getExecutionId: () => setup.executionId ?? '1',
		addExecutionHints: (...hints: Array<{ message: string; type?: string }>) => setup.hints?.push(...hints),
		getMode: () => setup.mode ?? 'trigger',
		logger: { info: (line: string) => setup.logs?.push(line), debug: () => undefined, warn: (line: string) => setup.logs?.push(line), error: (line: string) => setup.logs?.push(line) },
		sendMessageToUI: (message: unknown) => setup.messagesToUI?.push(message),
		customData: { setAll: (values: Record<string, string>) => Object.assign((setup.customData ??= {}), values), set: (key: string, value: string) => ((setup.customData ??= {})[key] = value) },
		helpers: {
			checkProcessedAndRecord: async (values: string[], scope: string) => await dedup.checkProcessedAndRecord(values, scope),
			removeProcessed: async (values: string[], scope: string) => await dedup.removeProcessed(values, scope),
			clearAllProcessedItems: async (scope: string) => await dedup.clearAllProcessedItems(scope),
			getProcessedDataCount: async (scope: string) => await dedup.getProcessedDataCount(scope),
			httpRequestWithAuthentication: async (type: string, options: IHttpRequestOptions) => {
				setup.authenticatedRequests?.push(type);
				if (more.has(type)) return await more.get(type)!.request(options);
				if (type !== setup.credentialType.name) throw new Error(`wrong credential type ${type}`);
				return await request(options);
			},
			// n8n's plain request: no credential applied (the caller sends its own headers).
			httpRequest: async (options: IHttpRequestOptions) => await plain(options),
			// Binary data kept in memory (n8n's default mode) as base64.
			prepareBinaryData: async (buffer: Buffer, fileName?: string, mimeType?: string) => ({ data: buffer.toString('base64'), fileName, mimeType: mimeType ?? 'application/octet-stream', fileSize: String(buffer.length) }),
			getBinaryDataBuffer: async (itemIndex: number, field: string) => Buffer.from(input[itemIndex].binary![field].data, 'base64'),
		},
	} as unknown as IExecuteFunctions;
	return (await node.execute!.call(ctx)) as INodeExecutionData[][];
}
