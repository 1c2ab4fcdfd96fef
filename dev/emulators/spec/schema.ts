/**
 * The part of JSON Schema (as OpenAPI 3.0 / 3.1 uses it) that the spec gate needs to tell whether
 * a request parameter, a request body or an emulator's answer fits a published spec: $ref,
 * allOf / oneOf / anyOf, type (3.1 type lists and 3.0 `nullable`), enum, properties, required,
 * items and the formats these servers use (uuid, date-time, int32 / int64).
 */

export type Schema = Record<string, unknown>;

/** Resolves `#/components/...` references against one spec document. */
export function resolveRef(root: Schema, schema: unknown): Schema | undefined {
	let current = schema as Schema | undefined;
	for (let hops = 0; current && typeof current.$ref === 'string' && hops < 32; hops++) {
		const ref = current.$ref as string;
		if (!ref.startsWith('#/')) return undefined;
		let node: unknown = root;
		for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
		current = node as Schema | undefined;
	}
	return current;
}

function typesOf(schema: Schema): string[] | undefined {
	const type = schema.type;
	const list = Array.isArray(type) ? (type as string[]) : typeof type === 'string' ? [type] : undefined;
	if (list && schema.nullable === true) return [...list, 'null'];
	return list;
}

const UUID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** Jellyfin writes GUIDs without dashes ("N" format) in JSON and takes either form; both are ids. */
export function isUuid(value: string): boolean {
	return UUID.test(value);
}

export function isDateTime(value: string): boolean {
	return /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(value) && !Number.isNaN(Date.parse(value));
}

function typeMatches(type: string, value: unknown): boolean {
	switch (type) {
		case 'null':
			return value === null;
		case 'string':
			return typeof value === 'string';
		case 'integer':
			return typeof value === 'number' && Number.isInteger(value);
		case 'number':
			return typeof value === 'number' && Number.isFinite(value);
		case 'boolean':
			return typeof value === 'boolean';
		case 'array':
			return Array.isArray(value);
		case 'object':
			return typeof value === 'object' && value !== null && !Array.isArray(value);
		default:
			return true;
	}
}

/**
 * The ways `value` does not fit `schema`, as readable lines (empty when it fits). `where` names
 * the place in the request or answer, for the message.
 */
export function validate(root: Schema, schemaIn: unknown, value: unknown, where: string, depth = 0): string[] {
	const schema = resolveRef(root, schemaIn);
	if (!schema || depth > 24) return [];
	const errors: string[] = [];
	if (Array.isArray(schema.allOf)) for (const part of schema.allOf) errors.push(...validate(root, part, value, where, depth + 1));
	for (const key of ['oneOf', 'anyOf'] as const) {
		const options = schema[key];
		if (Array.isArray(options) && options.length > 0 && !options.some((o) => validate(root, o, value, where, depth + 1).length === 0)) {
			errors.push(`${where}: fits none of the ${key} alternatives`);
		}
	}
	const types = typesOf(schema);
	if (value === null) {
		if (types && !types.includes('null') && schema.nullable !== true) errors.push(`${where}: null where ${types.join('|')} is expected`);
		return errors;
	}
	if (value === undefined) return errors;
	if (types && !types.some((t) => typeMatches(t, value))) {
		return [...errors, `${where}: ${JSON.stringify(value).slice(0, 60)} is not ${types.join('|')}`];
	}
	if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) {
		errors.push(`${where}: ${JSON.stringify(value)} is not one of ${schema.enum.slice(0, 12).join(', ')}${schema.enum.length > 12 ? ', …' : ''}`);
	}
	if (typeof value === 'string') {
		if (schema.format === 'uuid' && !isUuid(value)) errors.push(`${where}: "${value}" is not a uuid`);
		if (schema.format === 'date-time' && !isDateTime(value)) errors.push(`${where}: "${value}" is not a date-time`);
	}
	if (Array.isArray(value) && schema.items) {
		value.forEach((v, i) => errors.push(...validate(root, schema.items, v, `${where}[${i}]`, depth + 1)));
	}
	if (typeMatches('object', value)) {
		const object = value as Record<string, unknown>;
		const properties = (schema.properties ?? {}) as Record<string, unknown>;
		for (const name of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
			if (!(name in object)) errors.push(`${where}.${name}: required but missing`);
		}
		for (const [name, v] of Object.entries(object)) {
			if (name in properties) errors.push(...validate(root, properties[name], v, `${where}.${name}`, depth + 1));
		}
	}
	return errors;
}

/**
 * A query-string value read as the schema's type, the way a server's binder would (`"12"` as
 * an integer, `"true"` as a boolean), or undefined when the text cannot be that type.
 */
export function coerceText(root: Schema, schemaIn: unknown, text: string): { ok: boolean; value?: unknown } {
	const schema = resolveRef(root, schemaIn) ?? {};
	// `allOf: [{$ref: BoolInt}, {default: 0}]`: the member that has a type decides.
	if (!schema.type && Array.isArray(schema.allOf)) {
		const typed = schema.allOf.find((part) => resolveRef(root, part)?.type !== undefined);
		if (typed) return coerceText(root, typed, text);
	}
	const types = typesOf(schema) ?? ['string'];
	for (const type of types) {
		if (type === 'integer' && /^-?\d+$/.test(text.trim())) return { ok: true, value: Number(text) };
		if (type === 'number' && text.trim() !== '' && Number.isFinite(Number(text))) return { ok: true, value: Number(text) };
		if (type === 'boolean' && /^(true|false)$/i.test(text.trim())) return { ok: true, value: text.trim().toLowerCase() === 'true' };
		if (type === 'string') return { ok: true, value: text };
	}
	return { ok: false };
}
