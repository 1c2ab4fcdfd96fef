/**
 * Drives a trigger's webhook() the way n8n 2.x does: the raw HTTP body is parsed first by the same
 * rules n8n's server applies (JSON -> object, text/plain -> string, form -> object of strings,
 * multipart -> formidable with `multiples: true`, single-element arrays collapsed), then the node
 * gets an IWebhookFunctions whose response object records what was answered.
 */
import formidable from 'formidable';
import FormData from 'form-data';
import type { INodeType, IWebhookFunctions, INodeExecutionData, IDataObject } from 'n8n-workflow';
import { parseQueryString, readFileSync, Readable } from '../../dev/lib/builtins';

export interface RawRequest {
	headers?: Record<string, string>;
	query?: Record<string, unknown>;
	body: Buffer | string;
}

export interface ParsedRequest {
	headers: Record<string, string>;
	query: Record<string, unknown>;
	body: unknown;
	rawBody?: Buffer;
}

function collapse(record: Record<string, unknown>): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(record)) out[k] = Array.isArray(v) && v.length === 1 ? v[0] : v;
	return out;
}

export async function parseLikeN8n(req: RawRequest): Promise<ParsedRequest> {
	const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
	const headers: Record<string, string> = { 'content-length': String(bytes.length) };
	for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
	const query = req.query ?? {};
	const type = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

	if (type === 'multipart/form-data') {
		const stream = Object.assign(Readable.from([bytes]), { headers });
		const form = formidable({ multiples: true });
		const [fields, files] = await form.parse(stream as never);
		return { headers, query, body: { data: collapse(fields), files: collapse(files) } };
	}
	const text = bytes.toString('utf8');
	if (type === 'application/json') return { headers, query, body: JSON.parse(text) };
	if (type === 'text/plain') return { headers, query, body: text };
	if (type === 'application/x-www-form-urlencoded') return { headers, query, body: { ...parseQueryString(text) } };
	return { headers, query, body: {}, rawBody: bytes };
}

export interface MultipartPart {
	name: string;
	value: string | Buffer;
	contentType?: string;
	filename?: string;
}

/** A real multipart/form-data body, as Plex or Emby send it. */
export function multipart(parts: MultipartPart[]): { headers: Record<string, string>; body: Buffer } {
	const form = new FormData();
	for (const p of parts) {
		const options: FormData.AppendOptions = {};
		if (p.contentType) options.contentType = p.contentType;
		if (p.filename) options.filename = p.filename;
		form.append(p.name, p.value, p.contentType || p.filename ? options : undefined);
	}
	return { headers: form.getHeaders(), body: form.getBuffer() };
}

export interface TriggerResult {
	status: number | undefined;
	body: IDataObject | undefined;
	items: INodeExecutionData[] | undefined;
	logged: string[];
}

export interface TriggerParams {
	/** The token of the trigger's credential (no credential when undefined). */
	token?: string;
	options?: IDataObject;
	[name: string]: unknown;
}

export async function callTrigger(node: INodeType, raw: RawRequest, params: TriggerParams): Promise<TriggerResult> {
	const req = await parseLikeN8n(raw);
	const result: TriggerResult = { status: undefined, body: undefined, items: undefined, logged: [] };
	const res = {
		status(code: number) {
			result.status = code;
			return res;
		},
		json(body: IDataObject) {
			result.body = body;
			return res;
		},
	};
	const ctx = {
		getNodeParameter: (name: string, fallback?: unknown) => (name in params && name !== 'token' ? params[name] : fallback),
		// `token` stands for the trigger's Watch State Webhook Token credential; none set = n8n throws.
		getCredentials: async (type: string) => {
			if (type !== 'watchStateWebhookApi' || params.token === undefined) throw new Error('Node does not have any credentials set');
			return { token: params.token };
		},
		getHeaderData: () => req.headers,
		getQueryData: () => req.query,
		getBodyData: () => req.body,
		getRequestObject: () => ({ headers: req.headers, body: req.body, rawBody: req.rawBody }),
		getResponseObject: () => res,
		getMode: () => 'webhook',
		logger: {
			error: (m: string) => result.logged.push(m),
			warn: (m: string) => result.logged.push(m),
			info: (m: string) => result.logged.push(m),
			debug: (m: string) => result.logged.push(m),
		},
		nodeHelpers: {
			copyBinaryFile: async (filepath: string, fileName: string, mimeType: string) => {
				const data = readFileSync(filepath);
				return { data: data.toString('base64'), fileName, mimeType, fileSize: String(data.length) };
			},
		},
		helpers: {},
	} as unknown as IWebhookFunctions;
	const response = await node.webhook!.call(ctx);
	if (response.workflowData) result.items = response.workflowData[0];
	if (!response.noWebhookResponse) throw new Error('trigger did not write its own response');
	return result;
}

export function jsonRequest(payload: unknown, contentType = 'application/json', query: Record<string, unknown> = {}): RawRequest {
	return { headers: { 'content-type': contentType }, query, body: JSON.stringify(payload) };
}
