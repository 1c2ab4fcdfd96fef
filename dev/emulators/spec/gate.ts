/**
 * A published OpenAPI spec as a gate in front of an emulated server: every request is matched to
 * an operation of the spec for the server version being played, and what the real server would
 * refuse gets the real server's status (404 for an unknown route, 405 / 404 for a wrong method,
 * 400 for a missing required or unbindable parameter or body) before the emulator sees it.
 *
 * Everything outside the spec is also written down as a violation, refused or not (a query
 * parameter the operation does not have, an enum value a binder drops, a required header PMS
 * does not insist on), so contract tests can require that a client stays inside the spec.
 *
 * Specs leave out routes servers still serve (Jellyfin's hidden legacy `/Users/{userId}/…`
 * routes, PMS routes the community spec lacks): each emulator lists those as `ServedRoute`s with
 * the source that shows the server serves them.
 */
import { coerceText, resolveRef, validate, type Schema } from './schema';

export type ViolationKind = 'route' | 'method' | 'missing' | 'type' | 'enum' | 'unknown-param' | 'header' | 'body' | 'replaced' | 'answer';

export interface Violation {
	kind: ViolationKind;
	/** `METHOD /path?query` as it reached the server. */
	request: string;
	detail: string;
	/** Whether the server refuses the request for it (the emulator answers with that status). */
	refused: boolean;
}

interface Param {
	name: string;
	in: 'path' | 'query' | 'header';
	required: boolean;
	schema: unknown;
	/** Emby documents allowed values only in prose: "Options: A, B, C". */
	optionsInDescription?: string[];
}

export interface Operation {
	method: string;
	template: string;
	params: Param[];
	body?: { required: boolean; schema?: unknown };
	/** JSON schema of each answer status. */
	answers: Record<string, unknown>;
	/** The operation takes any query key (Plex's media-query filter language). */
	freeQuery: boolean;
	/** Set for routes the server serves outside its spec. */
	served?: ServedRoute;
	regex: RegExp;
	pathNames: string[];
}

export interface ServedRoute {
	method: string;
	path: string;
	/** Where we know from that the server serves this route. */
	source: string;
	/** A documented operation whose parameters this route shares (path params aside). */
	like?: { method: string; path: string };
	/** The documented route clients should use instead; using this one is a violation. */
	replacedBy?: string;
	/** Extra or only parameters of the route. */
	params?: Array<{ name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: Schema }>;
	freeQuery?: boolean;
}

/** Query parameters a server takes on a documented route beyond what its spec lists there. */
export interface Amendment {
	method: string;
	path: string;
	params: Array<{ name: string; schema?: Schema }>;
	/** Where we know from that the server reads them. */
	source: string;
}

export interface GateOptions {
	spec: Schema;
	/** Parameters documented routes take beyond the spec. */
	amend?: Amendment[];
	/** e.g. "Jellyfin 10.11.11", for messages. */
	label: string;
	/** Paths and query names match regardless of case (ASP.NET, ServiceStack); PMS matches exactly. */
	caseInsensitive: boolean;
	served?: ServedRoute[];
	/** Query names every route reads (authentication): never unknown. */
	ambientQuery?: string[];
	/** A comma-list item outside its enum: Jellyfin's binder drops it (CommaDelimitedCollectionModelBinder). */
	dropBadListItems: boolean;
	/** ASP.NET [ApiController] answers 400 when a scalar does not bind; PMS ignores what it cannot read. */
	refuseBadScalars: boolean;
	/** Status for a known path with another method: ASP.NET routing answers 405. */
	wrongMethodStatus: 404 | 405;
	/** PMS serves requests without the X-Plex-* headers its spec marks required. */
	refuseMissingHeaders: boolean;
	/** Operations whose own `servers` point elsewhere (plex.tv) are not this server's. */
	belongsHere?: (servers: unknown) => boolean;
	/** The path an operation's own `servers` put before its template (plex.tv's `/api/v2`). */
	prefixFor?: (servers: unknown) => string;
	/** Emby's spec lists a string parameter's values only in its description ("Options: A, B"). */
	optionsFromDescriptions?: boolean;
	/**
	 * ServiceStack binds a missing value-type field (bool, int) to its default: Emby's spec marks
	 * such query parameters required, but the server serves requests without them.
	 */
	defaultsMissingValueTypes?: boolean;
	/** Query values a server's own binder takes beyond the spec's format (by lower-case name). */
	binderAccepts?: Record<string, RegExp>;
}

export interface GateVerdict {
	operation?: Operation;
	/** Set when the server refuses the request. */
	refuse?: { status: number; reason: string };
	/** The query as the server's binders see it (dropped list items removed). */
	query: URLSearchParams;
	violations: Violation[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head'];

function escapeRegex(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `/Items/{itemId}/UserData` -> a regex with one group per `{name}` (a `{}` never spans a `/`). */
function compileTemplate(template: string, caseInsensitive: boolean): { regex: RegExp; names: string[] } {
	const names: string[] = [];
	let source = '';
	let last = 0;
	for (const m of template.matchAll(/\{([^}]+)\}/g)) {
		source += escapeRegex(template.slice(last, m.index));
		source += '([^/]+?)';
		names.push(m[1]);
		last = (m.index ?? 0) + m[0].length;
	}
	source += escapeRegex(template.slice(last));
	return { regex: new RegExp(`^${source}/?$`, caseInsensitive ? 'i' : ''), names };
}

function optionsFrom(description: unknown): string[] | undefined {
	if (typeof description !== 'string') return undefined;
	const m = /Options:\s*([A-Za-z0-9_, ]+?)\s*(?:\.|$)/.exec(description);
	return m ? m[1].split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

export class SpecGate {
	readonly violations: Violation[] = [];
	/** Undocumented routes that were used, with their sources (not violations). */
	readonly undocumentedUse = new Map<string, string>();
	private readonly operations: Operation[] = [];
	private readonly ambient: Set<string>;

	constructor(private readonly options: GateOptions) {
		const fold = (s: string) => (options.caseInsensitive ? s.toLowerCase() : s);
		this.ambient = new Set((options.ambientQuery ?? []).map(fold));
		const spec = options.spec;
		for (const [template, pathItemIn] of Object.entries((spec.paths ?? {}) as Record<string, unknown>)) {
			const pathItem = resolveRef(spec, pathItemIn) ?? {};
			const shared = Array.isArray(pathItem.parameters) ? pathItem.parameters : [];
			for (const method of METHODS) {
				const op = pathItem[method] as Schema | undefined;
				if (!op) continue;
				const servers = op.servers ?? pathItem.servers;
				if (options.belongsHere && !options.belongsHere(servers)) continue;
				const prefix = options.prefixFor?.(servers) ?? '';
				this.operations.push(this.compile(method.toUpperCase(), prefix + template, [...shared, ...((op.parameters as unknown[]) ?? [])], op));
			}
		}
		for (const amendment of options.amend ?? []) {
			const op = this.operations.find((o) => o.method === amendment.method && o.template === amendment.path);
			if (!op) throw new Error(`${options.label}: amendment of ${amendment.method} ${amendment.path}, which the spec does not have`);
			for (const p of amendment.params) op.params.push({ name: p.name, in: 'query', required: false, schema: p.schema ?? { type: 'string' } });
		}
		for (const served of options.served ?? []) this.operations.push(this.compileServed(served));
	}

	private params(list: unknown[]): Param[] {
		const out: Param[] = [];
		for (const raw of list) {
			const p = resolveRef(this.options.spec, raw);
			if (!p || typeof p.name !== 'string') continue;
			const where = p.in as Param['in'];
			if (where !== 'path' && where !== 'query' && where !== 'header') continue;
			out.push({ name: p.name, in: where, required: p.required === true || where === 'path', schema: p.schema, optionsInDescription: optionsFrom(p.description) });
		}
		return out;
	}

	private compile(method: string, template: string, parameters: unknown[], op: Schema): Operation {
		const params = this.params(parameters);
		const requestBody = resolveRef(this.options.spec, op.requestBody);
		const content = (requestBody?.content ?? {}) as Record<string, Schema>;
		const json = content['application/json'] ?? Object.values(content)[0];
		const answers: Record<string, unknown> = {};
		for (const [status, answerIn] of Object.entries((op.responses ?? {}) as Record<string, unknown>)) {
			const answer = resolveRef(this.options.spec, answerIn);
			const types = (answer?.content ?? {}) as Record<string, Schema>;
			const schema = types['application/json']?.schema ?? Object.entries(types).find(([t]) => t.includes('json'))?.[1]?.schema;
			if (schema) answers[status] = schema;
		}
		const freeQuery = params.some((p) => p.in === 'query' && (resolveRef(this.options.spec, p.schema)?.type === 'object' || p.name === 'mediaQuery'));
		const { regex, names } = compileTemplate(template, this.options.caseInsensitive);
		return {
			method,
			template,
			params,
			body: requestBody ? { required: requestBody.required === true, schema: json?.schema } : undefined,
			answers,
			freeQuery,
			regex,
			pathNames: names,
		};
	}

	private compileServed(served: ServedRoute): Operation {
		const like = served.like ? this.operations.find((o) => o.method === served.like!.method && o.template === served.like!.path) : undefined;
		if (served.like && !like) throw new Error(`${this.options.label}: served route ${served.method} ${served.path} is "like" ${served.like.method} ${served.like.path}, which the spec does not have`);
		const { regex, names } = compileTemplate(served.path, this.options.caseInsensitive);
		const own: Param[] = (served.params ?? []).map((p) => ({ name: p.name, in: p.in, required: p.required === true || p.in === 'path', schema: p.schema ?? { type: 'string' } }));
		const borrowed = (like?.params ?? []).filter((p) => p.in !== 'path' && !own.some((o) => o.name.toLowerCase() === p.name.toLowerCase()));
		const pathParams: Param[] = names.filter((n) => !own.some((o) => o.name === n)).map((n) => ({ name: n, in: 'path', required: true, schema: like?.params.find((p) => p.in === 'path' && p.name.toLowerCase() === n.toLowerCase())?.schema ?? { type: 'string' } }));
		return {
			method: served.method,
			template: served.path,
			params: [...pathParams, ...own, ...borrowed],
			body: like?.body,
			answers: like?.answers ?? {},
			freeQuery: served.freeQuery ?? like?.freeQuery ?? false,
			served,
			regex,
			pathNames: names,
		};
	}

	/** The operations whose path matches, the most specific (fewest placeholders) first. */
	private candidates(path: string): Array<{ op: Operation; values: string[] }> {
		const hits: Array<{ op: Operation; values: string[] }> = [];
		for (const op of this.operations) {
			const m = op.regex.exec(path);
			if (m) hits.push({ op, values: m.slice(1).map((v) => safeDecode(v)) });
		}
		return hits.sort((a, b) => a.op.pathNames.length - b.op.pathNames.length || Number(!!a.op.served) - Number(!!b.op.served));
	}

	check(method: string, path: string, query: URLSearchParams, headers: Record<string, unknown>, body: unknown): GateVerdict {
		const request = `${method} ${path}${query.toString() ? `?${query.toString()}` : ''}`;
		const violations: Violation[] = [];
		const note = (kind: ViolationKind, detail: string, refused = false) => violations.push({ kind, request, detail, refused });
		const finish = (verdict: Omit<GateVerdict, 'violations'>): GateVerdict => {
			this.violations.push(...violations);
			return { ...verdict, violations };
		};
		const hits = this.candidates(path);
		if (hits.length === 0) {
			note('route', `${this.options.label} has no route ${path}`, true);
			return finish({ refuse: { status: 404, reason: `no route ${path}` }, query });
		}
		const wanted = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
		const hit = hits.find((h) => wanted.includes(h.op.method));
		if (!hit) {
			const allowed = [...new Set(hits.map((h) => h.op.method))].join(', ');
			note('method', `${this.options.label} serves ${path} with ${allowed}, not ${method}`, true);
			return finish({ refuse: { status: this.options.wrongMethodStatus, reason: `${method} not allowed on ${path} (${allowed})` }, query });
		}
		const { op, values } = hit;
		if (op.served?.replacedBy) note('replaced', `${op.method} ${op.template} is served only for old clients (${op.served.source}); the spec documents ${op.served.replacedBy}`);
		else if (op.served) this.undocumentedUse.set(`${op.method} ${op.template}`, op.served.source);

		const refusals: string[] = [];
		const spec = this.options.spec;
		const fold = (s: string) => (this.options.caseInsensitive ? s.toLowerCase() : s);

		op.pathNames.forEach((name, i) => {
			const param = op.params.find((p) => p.in === 'path' && fold(p.name) === fold(name));
			if (!param) return;
			const schema = resolveRef(spec, param.schema);
			// A list in a path segment is comma-delimited (`/library/metadata/1,2,3`).
			const problem = schema?.type === 'array' ? values[i].split(',').map((part) => this.scalarProblem({ ...param, schema: schema.items }, part)).find(Boolean) : this.scalarProblem(param, values[i]);
			if (problem) {
				note('type', `path ${name}: ${problem}`, this.options.refuseBadScalars);
				if (this.options.refuseBadScalars) refusals.push(`path ${name}: ${problem}`);
			}
		});

		const bound = new URLSearchParams();
		const byName = new Map<string, Param>();
		for (const p of op.params) if (p.in === 'query') byName.set(fold(p.name), p);
		const seen = new Set<string>();
		for (const [name, value] of query) {
			const key = fold(name);
			const param = byName.get(key);
			if (!param) {
				if (!this.ambient.has(key) && !op.freeQuery) note('unknown-param', `${op.method} ${op.template} has no query parameter "${name}"`);
				bound.append(name, value);
				continue;
			}
			seen.add(key);
			const schema = resolveRef(spec, param.schema) ?? {};
			if (schema.type === 'array') {
				const kept: string[] = [];
				for (const part of value.split(',').filter((s) => s.trim() !== '')) {
					const problem = this.scalarProblem({ ...param, schema: schema.items }, part.trim());
					if (!problem) kept.push(part.trim());
					else note('enum', `query ${name}: ${problem}${this.options.dropBadListItems ? ' (the server drops it)' : ''}`);
				}
				if (this.options.dropBadListItems) {
					if (kept.length > 0) bound.append(name, kept.join(','));
				} else bound.append(name, value);
				continue;
			}
			const problem = this.scalarProblem(param, value);
			if (problem) {
				const refuse = this.options.refuseBadScalars && !this.options.binderAccepts?.[key.toLowerCase()]?.test(value);
				note('type', `query ${name}: ${problem}`, refuse);
				if (refuse) refusals.push(`query ${name}: ${problem}`);
			}
			const optionProblem = this.optionProblem(param, value);
			if (optionProblem) note('enum', `query ${name}: ${optionProblem}`);
			bound.append(name, value);
		}
		for (const p of op.params) {
			if (p.in === 'query' && p.required && !seen.has(fold(p.name))) {
				const type = resolveRef(spec, p.schema)?.type;
				const refuse = !(this.options.defaultsMissingValueTypes && (type === 'boolean' || type === 'integer' || type === 'number'));
				note('missing', `required query parameter "${p.name}" is missing`, refuse);
				if (refuse) refusals.push(`${p.name} is required`);
			}
			if (p.in === 'header' && p.required && !hasHeader(headers, p.name)) {
				note('header', `required header ${p.name} is missing`, this.options.refuseMissingHeaders);
				if (this.options.refuseMissingHeaders) refusals.push(`header ${p.name} is required`);
			}
		}
		if (op.body) {
			if (body === undefined) {
				if (op.body.required) {
					note('body', 'a request body is required', true);
					refusals.push('a non-empty request body is required');
				}
			} else if (op.body.schema) {
				for (const problem of validate(spec, op.body.schema, body, 'body')) {
					note('body', problem, this.options.refuseBadScalars);
					if (this.options.refuseBadScalars) refusals.push(problem);
				}
			}
		}
		return finish({ operation: op, query: bound, refuse: refusals.length > 0 ? { status: 400, reason: refusals.join('; ') } : undefined });
	}

	/** Checks an emulator's own answer against the spec's schema for that status. */
	checkAnswer(op: Operation, request: string, status: number, body: unknown): Violation[] {
		const schema = op.answers[String(status)];
		if (!schema || body === undefined || typeof body === 'string') return [];
		const found = validate(this.options.spec, schema, body, 'answer').map((detail) => ({ kind: 'answer' as const, request, detail, refused: false }));
		this.violations.push(...found);
		return found;
	}

	/** Why `text` cannot be this parameter's value, or undefined when it can. */
	private scalarProblem(param: Param, text: string): string | undefined {
		const spec = this.options.spec;
		const read = coerceText(spec, param.schema, text);
		if (!read.ok) return `"${text}" is not ${String(resolveRef(spec, param.schema)?.type ?? 'valid')}`;
		const problems = validate(spec, param.schema, read.value, param.name);
		if (problems.length > 0) return problems[0].replace(`${param.name}: `, '');
		return undefined;
	}

	/** Emby: list items outside the options its description documents (noted, not refused). */
	private optionProblem(param: Param, text: string): string | undefined {
		const options = this.options.optionsFromDescriptions ? param.optionsInDescription : undefined;
		if (!options) return undefined;
		const unknown = text.split(',').map((s) => s.trim()).filter((s) => s && !options.some((o) => o.toLowerCase() === s.toLowerCase()));
		return unknown.length > 0 ? `${unknown.map((u) => `"${u}"`).join(', ')} not among the documented options ${options.join(', ')}` : undefined;
	}
}

function hasHeader(headers: Record<string, unknown>, name: string): boolean {
	const wanted = name.toLowerCase();
	return Object.keys(headers).some((k) => k.toLowerCase() === wanted && headers[k] !== undefined && headers[k] !== '');
}

function safeDecode(value: string): string {
	try {
		return decodeURIComponent(value);
	} catch {
		return value;
	}
}
