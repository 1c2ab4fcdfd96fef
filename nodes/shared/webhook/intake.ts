/**
 * The whole life of one webhook request, shared by the four triggers:
 * token -> payload -> parse -> filters -> response (+ one item for the workflow).
 * Every outcome gets a JSON answer; only an accepted event starts an execution.
 */
import type { IBinaryKeyData, IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import type { Metrics } from '../metrics/fields';
import type { Backend, WatchEvent, WatchEventName } from '../model';
import { rejectReason } from './filters';
import type { ParseContext } from './event';
import { invalidFrom, type ParseOutcome } from './outcome';
import { mimeOf, readPayload, type IncomingRequest, type MultipartFile, type ReadPayload } from './payload';
import { WEBHOOK_CREDENTIAL } from './properties';
import { presentedToken, tokensMatch } from './token';

export interface TriggerSpec {
	backend: Backend;
	/** Form / multipart field that holds the JSON text (Plex `payload`, Emby `data`). */
	payloadField?: string;
	parse(payload: unknown, ctx: ParseContext): ParseOutcome;
	/** The event as a playback-history point (option Metrics Fields). */
	metrics(payload: unknown, event: WatchEvent): Metrics;
}

interface TriggerOptions {
	users?: string;
	servers?: string;
	events?: WatchEventName[];
	includeRaw?: boolean;
	includeThumb?: boolean;
	progressEvents?: boolean;
	allowWithoutUser?: boolean;
	metricsFields?: boolean;
}

function respond(ctx: IWebhookFunctions, status: number, body: IDataObject): IWebhookResponseData {
	ctx.getResponseObject().status(status).json(body);
	return { noWebhookResponse: true };
}

async function readFile(ctx: IWebhookFunctions, file: MultipartFile): Promise<Buffer> {
	const binary = await ctx.nodeHelpers.copyBinaryFile(file.filepath, 'payload.json', file.mimetype ?? 'application/json');
	return binary.id
		? await ctx.helpers.binaryToBuffer(await ctx.helpers.getBinaryStream(binary.id))
		: Buffer.from(binary.data, 'base64');
}

function incomingRequest(ctx: IWebhookFunctions): IncomingRequest {
	const req = ctx.getRequestObject() as unknown as {
		headers?: Record<string, unknown>;
		rawBody?: unknown;
	};
	const headers = (req.headers ?? {}) as Record<string, unknown>;
	const length = Number(headers['content-length']);
	return {
		contentType: mimeOf(headers['content-type']),
		contentLength: Number.isFinite(length) ? length : undefined,
		body: ctx.getBodyData(),
		rawBody: Buffer.isBuffer(req.rawBody) ? req.rawBody : undefined,
		readFile: async (file) => await readFile(ctx, file),
	};
}

/** The trigger's token; none configured (or unreadable) means every request is refused. */
async function configuredToken(ctx: IWebhookFunctions): Promise<string> {
	try {
		const credential = await ctx.getCredentials<{ token?: unknown }>(WEBHOOK_CREDENTIAL);
		return typeof credential.token === 'string' ? credential.token : '';
	} catch {
		return '';
	}
}

/** Entry point for a trigger's webhook(): a bug here answers 500 and never reaches the workflow. */
export async function handleWebhook(ctx: IWebhookFunctions, spec: TriggerSpec): Promise<IWebhookResponseData> {
	try {
		return await intake(ctx, spec);
	} catch (error) {
		ctx.logger.error(`${spec.backend} trigger could not handle a webhook: ${(error as Error).message}`);
		return respond(ctx, 500, { error: 'the trigger failed to handle this request; see the n8n log' });
	}
}

async function intake(ctx: IWebhookFunctions, spec: TriggerSpec): Promise<IWebhookResponseData> {
	const expected = await configuredToken(ctx);
	const given = presentedToken(ctx.getHeaderData() as Record<string, unknown>, ctx.getQueryData() as Record<string, unknown>);
	if (!tokensMatch(expected, given)) {
		return respond(ctx, 401, {
			error: given === undefined ? 'missing token: send ?apikey= or an X-apikey header' : 'invalid token',
		});
	}

	const options = ctx.getNodeParameter('options', {}) as TriggerOptions;
	const receivedAt = new Date().toISOString();
	let read: ReadPayload;
	try {
		read = await readPayload(incomingRequest(ctx), spec.payloadField);
	} catch (error) {
		const rejected = invalidFrom(error, `${spec.backend} webhook`);
		return respond(ctx, rejected.status, { error: rejected.reason });
	}
	const { payload, files } = read;
	const outcome = spec.parse(payload, {
		receivedAt,
		progressEvents: options.progressEvents === true,
		allowWithoutUser: options.allowWithoutUser === true,
	});

	if (outcome.kind === 'invalid') return respond(ctx, outcome.status, { error: outcome.reason });
	if (outcome.kind === 'ignored') return respond(ctx, 200, { status: 'ignored', reason: outcome.reason });

	const event = outcome.event;
	const reason = rejectReason(event, options);
	if (reason) return respond(ctx, 200, { status: 'ignored', reason });
	if (options.metricsFields) (event as WatchEvent & { metrics?: Metrics }).metrics = spec.metrics(payload, event);
	if (options.includeRaw) event.raw = payload as object;

	let binary: IBinaryKeyData | undefined;
	if (options.includeThumb && files.thumb) {
		const thumb = files.thumb;
		binary = {
			thumb: await ctx.nodeHelpers.copyBinaryFile(
				thumb.filepath,
				thumb.originalFilename ?? 'thumb.jpg',
				thumb.mimetype ?? 'image/jpeg',
			),
		};
	}
	ctx.getResponseObject().status(200).json({ status: 'accepted', event: event.event, item: event.id });
	return {
		noWebhookResponse: true,
		workflowData: [[{ json: event as unknown as IDataObject, ...(binary ? { binary } : {}) }]],
	};
}
