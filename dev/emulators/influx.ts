/**
 * An InfluxDB 2.x write endpoint that parses line protocol as strictly as InfluxDB does
 * (InfluxDB 2.x "Line protocol" reference and the /api/v2/write API):
 * POST /api/v2/write?org=&bucket=&precision=ns|us|ms|s, `Authorization: Token …`, body of
 * newline-separated points; 204 when every point parses; 400 `{code:"invalid"}` naming the line
 * otherwise (nothing of the batch is stored); 401 without the token; 404 for another bucket;
 * 422 when a field changes type within a measurement.
 */
import { http } from '../lib/builtins';

export type ParsedValue = { type: 'int' | 'uint'; value: bigint } | { type: 'float'; value: number } | { type: 'string'; value: string } | { type: 'bool'; value: boolean };

export interface ParsedPoint {
	measurement: string;
	tags: Record<string, string>;
	fields: Record<string, ParsedValue>;
	time?: bigint;
}

export class LineProtocolError extends Error {}

const BOOLS: Record<string, boolean> = { t: true, T: true, true: true, True: true, TRUE: true, f: false, F: false, false: false, False: false, FALSE: false };

/** Reads up to an unescaped stop character; `escapable` are the characters a backslash escapes there. */
function readUntil(line: string, start: number, stops: string, escapable: string): [string, number] {
	let out = '';
	let i = start;
	while (i < line.length && !stops.includes(line[i])) {
		if (line[i] === '\\' && i + 1 < line.length && escapable.includes(line[i + 1])) {
			out += line[i + 1];
			i += 2;
		} else {
			out += line[i++];
		}
	}
	return [out, i];
}

function fieldValue(raw: string): ParsedValue {
	if (/^-?\d+i$/.test(raw)) {
		const value = BigInt(raw.slice(0, -1));
		if (value > 9223372036854775807n || value < -9223372036854775808n) throw new LineProtocolError(`integer out of range: ${raw}`);
		return { type: 'int', value };
	}
	if (/^\d+u$/.test(raw)) return { type: 'uint', value: BigInt(raw.slice(0, -1)) };
	if (raw in BOOLS) return { type: 'bool', value: BOOLS[raw] };
	if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(raw)) return { type: 'float', value: Number(raw) };
	throw new LineProtocolError(`invalid field value ${JSON.stringify(raw)}`);
}

export function parseLine(line: string): ParsedPoint {
	if (line.includes('\r')) throw new LineProtocolError('carriage return in a line');
	const [measurement, end] = readUntil(line, 0, ', ', ', ');
	let i = end;
	if (measurement === '') throw new LineProtocolError('missing measurement');
	const tags: Record<string, string> = {};
	while (line[i] === ',') {
		let key: string;
		let value: string;
		[key, i] = readUntil(line, i + 1, '=, ', ',= ');
		if (line[i] !== '=' || key === '') throw new LineProtocolError(`invalid tag at column ${i}`);
		[value, i] = readUntil(line, i + 1, ', =', ',= ');
		if (value === '' || line[i] === '=') throw new LineProtocolError(`invalid tag value for "${key}" at column ${i}`);
		tags[key] = value;
	}
	if (line[i] !== ' ') throw new LineProtocolError(`expected a space before the fields at column ${i}`);
	i++;
	const fields: Record<string, ParsedValue> = {};
	for (;;) {
		let key: string;
		[key, i] = readUntil(line, i, '=, ', ',= ');
		if (line[i] !== '=' || key === '') throw new LineProtocolError(`invalid field at column ${i}`);
		i++;
		if (line[i] === '"') {
			let value = '';
			i++;
			for (;;) {
				if (i >= line.length) throw new LineProtocolError(`unterminated string field "${key}"`);
				if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
					value += line[i + 1];
					i += 2;
				} else if (line[i] === '"') {
					i++;
					break;
				} else {
					value += line[i++];
				}
			}
			fields[key] = { type: 'string', value };
		} else {
			let raw: string;
			[raw, i] = readUntil(line, i, ', ', '');
			fields[key] = fieldValue(raw);
		}
		if (line[i] === ',') {
			i++;
			continue;
		}
		break;
	}
	let time: bigint | undefined;
	if (i < line.length) {
		if (line[i] !== ' ') throw new LineProtocolError(`unexpected ${JSON.stringify(line[i])} at column ${i}`);
		const rest = line.slice(i + 1);
		if (!/^-?\d+$/.test(rest)) throw new LineProtocolError(`invalid timestamp ${JSON.stringify(rest)}`);
		time = BigInt(rest);
	}
	return { measurement, tags, fields, time };
}

/** Every point of a body; empty lines and `#` comments are skipped, as InfluxDB does. */
export function parseBody(body: string): ParsedPoint[] {
	const points: ParsedPoint[] = [];
	const lines = body.split('\n');
	for (let n = 0; n < lines.length; n++) {
		if (lines[n].trim() === '' || lines[n].startsWith('#')) continue;
		let failure: Error | undefined;
		try {
			points.push(parseLine(lines[n]));
		} catch (error) {
			failure = error as Error;
		}
		if (failure) throw new LineProtocolError(`line ${n + 1}: ${failure.message}`);
	}
	return points;
}

export interface InfluxOptions {
	token: string;
	org: string;
	bucket: string;
}

export class InfluxEmulator {
	readonly points: Array<ParsedPoint & { precision: string }> = [];
	/** Every request: status and the parse error if any. */
	readonly requests: Array<{ status: number; error?: string }> = [];
	private server?: http.Server;
	private readonly types = new Map<string, string>();
	url = '';

	constructor(private readonly options: InfluxOptions) {}

	async start(port = 0): Promise<void> {
		this.server = http.createServer((req, res) => {
			void this.handle(req).then(({ status, body }) => {
				this.requests.push({ status, ...(body ? { error: String(body.message) } : {}) });
				if (body) res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
				else res.writeHead(status).end();
			});
		});
		await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
	}

	async stop(): Promise<void> {
		await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
	}

	private async handle(req: http.IncomingMessage): Promise<{ status: number; body?: { code: string; message: string } }> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const url = new URL(req.url ?? '/', 'http://influx');
		if (req.method !== 'POST' || url.pathname !== '/api/v2/write') return { status: 404, body: { code: 'not found', message: 'path not found' } };
		if (req.headers.authorization !== `Token ${this.options.token}`) return { status: 401, body: { code: 'unauthorized', message: 'unauthorized access' } };
		if (url.searchParams.get('org') !== this.options.org) return { status: 404, body: { code: 'not found', message: `organization name "${url.searchParams.get('org') ?? ''}" not found` } };
		if (url.searchParams.get('bucket') !== this.options.bucket) return { status: 404, body: { code: 'not found', message: `bucket "${url.searchParams.get('bucket') ?? ''}" not found` } };
		const precision = url.searchParams.get('precision') ?? 'ns';
		if (!['ns', 'us', 'ms', 's'].includes(precision)) return { status: 400, body: { code: 'invalid', message: `invalid precision "${precision}"` } };
		let points: ParsedPoint[];
		try {
			points = parseBody(Buffer.concat(chunks).toString('utf8'));
		} catch (error) {
			return { status: 400, body: { code: 'invalid', message: `unable to parse: ${(error as Error).message}` } };
		}
		for (const p of points) {
			for (const [key, value] of Object.entries(p.fields)) {
				const known = this.types.get(`${p.measurement}\u0000${key}`);
				if (known && known !== value.type) return { status: 422, body: { code: 'unprocessable entity', message: `field type conflict: "${key}" is ${known}, got ${value.type}` } };
			}
		}
		for (const p of points) {
			for (const [key, value] of Object.entries(p.fields)) this.types.set(`${p.measurement}\u0000${key}`, value.type);
			this.points.push({ ...p, precision });
		}
		return { status: 204 };
	}
}
