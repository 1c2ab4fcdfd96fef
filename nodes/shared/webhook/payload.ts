/**
 * Gets the JSON payload out of whatever transport a server used. n8n parses the body before the
 * node runs, so this works on n8n's result:
 * - multipart/form-data: `{ data: {fields}, files: {name: File} }`. A part that carries its own
 *   Content-Type (Plex's `payload` part does) arrives as a file, a bare part as a field.
 * - application/json: an object (or array); text/plain: a string; form-urlencoded: an object of
 *   strings; anything else: `{}` with the bytes in `rawBody`.
 */
import { isPlainObject } from '../media/guids';
import { PayloadError } from './outcome';

/** Real webhook payloads are a few KB; anything this big is not one of them. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** formidable's file description as n8n hands it over. */
export interface MultipartFile {
	filepath: string;
	originalFilename?: string | null;
	mimetype?: string | null;
	size?: number;
}

export interface IncomingRequest {
	/** Mime type without parameters, lower-cased. */
	contentType?: string;
	contentLength?: number;
	body: unknown;
	rawBody?: Buffer;
	readFile(file: MultipartFile): Promise<Buffer>;
}

export interface ReadPayload {
	payload: unknown;
	/** Multipart files other than the payload (e.g. Plex `thumb`). */
	files: Record<string, MultipartFile>;
}

export function mimeOf(header: unknown): string | undefined {
	if (typeof header !== 'string') return undefined;
	const mime = header.split(';')[0].trim().toLowerCase();
	return mime === '' ? undefined : mime;
}

/** Parses JSON text; a BOM is tolerated, anything else that is not JSON is a 400. */
export function parseJsonText(text: string | Buffer): unknown {
	if (text.length > MAX_PAYLOAD_BYTES) throw new PayloadError('payload is larger than 1 MiB', 413);
	const s = (Buffer.isBuffer(text) ? text.toString('utf8') : text).replace(/^\uFEFF/, '').trim();
	if (s === '') throw new PayloadError('request body is empty');
	let failure: string | undefined;
	try {
		return JSON.parse(s);
	} catch (error) {
		failure = (error as Error).message.slice(0, 120);
	}
	throw new PayloadError(`body is not valid JSON (${failure})`);
}

function isFile(v: unknown): v is MultipartFile {
	return isPlainObject(v) && typeof v.filepath === 'string';
}

/**
 * @param field the form / multipart field that carries the JSON text (`payload` for Plex, `data`
 * for Emby); when undefined the body itself is the payload.
 */
export async function readPayload(req: IncomingRequest, field?: string): Promise<ReadPayload> {
	if (req.contentLength !== undefined && req.contentLength > MAX_PAYLOAD_BYTES * 2) {
		throw new PayloadError('request body is larger than 2 MiB', 413);
	}
	const body = req.body;

	if (req.contentType === 'multipart/form-data') {
		if (!isPlainObject(body)) throw new PayloadError('multipart body could not be read');
		const data = isPlainObject(body.data) ? body.data : {};
		const rawFiles = isPlainObject(body.files) ? body.files : {};
		const files: Record<string, MultipartFile> = {};
		for (const [name, f] of Object.entries(rawFiles)) if (isFile(f)) files[name] = f;
		if (!field) throw new PayloadError('multipart requests are not accepted by this trigger', 415);
		const asField = data[field];
		const asFile = rawFiles[field];
		delete files[field];
		if (typeof asField === 'string') return { payload: parseJsonText(asField), files };
		if (isFile(asFile)) {
			if ((asFile.size ?? 0) > MAX_PAYLOAD_BYTES) throw new PayloadError(`\`${field}\` part is larger than 1 MiB`, 413);
			return { payload: parseJsonText(await req.readFile(asFile)), files };
		}
		if (asField !== undefined || asFile !== undefined) throw new PayloadError(`more than one \`${field}\` part`);
		throw new PayloadError(`multipart request has no \`${field}\` part`);
	}

	if (typeof body === 'string' || Buffer.isBuffer(body)) return { payload: parseJsonText(body), files: {} };

	if (isPlainObject(body)) {
		const keys = Object.keys(body);
		// Form-encoded transports put the JSON text in one field (Emby `data`, Plex `payload`).
		if (field && keys.length === 1 && typeof body[field] === 'string') {
			return { payload: parseJsonText(body[field] as string), files: {} };
		}
		if (keys.length === 0) {
			if (req.rawBody && req.rawBody.length > 0) return { payload: parseJsonText(req.rawBody), files: {} };
			throw new PayloadError('request body is empty');
		}
		return { payload: body, files: {} };
	}
	if (Array.isArray(body)) return { payload: body, files: {} };
	if (req.rawBody && req.rawBody.length > 0) return { payload: parseJsonText(req.rawBody), files: {} };
	throw new PayloadError('request body is empty');
}
