/**
 * InfluxDB line protocol (InfluxDB 2.x "Line protocol" reference, docs.influxdata.com):
 *   measurement[,tag=value...] field=value[,field=value...] timestamp
 * - measurement: commas and spaces escaped with a backslash;
 * - tag keys, tag values, field keys: commas, equals signs and spaces escaped; empty tag values
 *   are not allowed (the tag is left out);
 * - string field values in double quotes, with `"` and `\` escaped;
 * - integers end in `i`, floats are plain, booleans true / false;
 * - newlines are not supported inside any value: they become spaces here;
 * - a backslash cannot be escaped in keys and tag values, and one before an escaped character or
 *   at the end breaks the line (telegraf#3004): there it becomes `/`.
 * Tags are sorted by key, as InfluxDB recommends.
 */
export type FieldType = 'int' | 'float' | 'string' | 'bool';
export type FieldValue = string | number | boolean;

export interface Point {
	measurement: string;
	tags: Record<string, string>;
	fields: Array<[string, FieldValue, FieldType]>;
	timeMs: number;
}

const oneLine = (s: string) => s.replace(/\r\n|[\r\n]/g, ' ');
const noBackslash = (s: string) => s.replace(/\\/g, '/');

export function escapeMeasurement(s: string): string {
	return noBackslash(oneLine(s)).replace(/[, ]/g, (c) => `\\${c}`);
}

/** Tag keys, tag values and field keys. */
export function escapeKey(s: string): string {
	return noBackslash(oneLine(s)).replace(/[,= ]/g, (c) => `\\${c}`);
}

export function quoteString(s: string): string {
	return `"${oneLine(s).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function fieldValue(value: FieldValue, type: FieldType): string | undefined {
	switch (type) {
		case 'string':
			return quoteString(String(value));
		case 'bool':
			return value === true ? 'true' : value === false ? 'false' : undefined;
		case 'int': {
			const n = Number(value);
			return Number.isSafeInteger(n) ? `${n}i` : undefined;
		}
		case 'float': {
			const n = Number(value);
			return Number.isFinite(n) ? String(n) : undefined;
		}
	}
}

/** One point as a line (no trailing newline), or why it cannot be written. */
export function toLine(point: Point): string {
	const tags = Object.keys(point.tags)
		.filter((k) => k !== '' && oneLine(point.tags[k]).trim() !== '')
		.sort()
		.map((k) => `,${escapeKey(k)}=${escapeKey(point.tags[k])}`)
		.join('');
	const fields = point.fields.flatMap(([key, value, type]) => {
		const text = fieldValue(value, type);
		return text === undefined || key === '' ? [] : [`${escapeKey(key)}=${text}`];
	});
	if (fields.length === 0) throw new Error('a point needs at least one field');
	if (!Number.isSafeInteger(point.timeMs)) throw new Error('a point needs a time');
	return `${escapeMeasurement(point.measurement)}${tags} ${fields.join(',')} ${point.timeMs}`;
}
