/**
 * Requests a Watcher sends while it runs. n8n resolves a credential's `authenticate` expressions
 * in an expression isolate that a trigger holds only while it activates (n8n-workflow 2.41
 * Expression.acquireIsolate / releaseIsolate around the activation): a request through
 * httpRequestWithAuthentication after trigger() returned fails with "No bridge acquired for this
 * context". So the credential's headers are resolved once, at activation, from the credential's
 * own `authenticate` definition, and later requests go through n8n's plain request helper with
 * them. Nothing else changes: the same clients, retries and redaction.
 */
import type { ICredentialDataDecryptedObject, IAuthenticateGeneric, ICredentialType, IHttpRequestOptions, ITriggerFunctions } from 'n8n-workflow';
import { EmbyApi } from '../../../credentials/EmbyApi.credentials';
import { JellyfinApi } from '../../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../../credentials/PlexApi.credentials';
import type { MediaBackend } from '../node/description';

const CREDENTIAL_TYPES: Record<MediaBackend, ICredentialType> = { plex: new PlexApi(), jellyfin: new JellyfinApi(), emby: new EmbyApi() };

const FIELD = /\{\{\s*\$credentials\.(\w+)\s*\}\}/g;

/** The credential's `authenticate` headers with its values in: only `{{$credentials.field}}` is used there. */
export function resolvedHeaders(backend: MediaBackend, data: ICredentialDataDecryptedObject): Record<string, string> {
	const auth = CREDENTIAL_TYPES[backend].authenticate as IAuthenticateGeneric;
	const out: Record<string, string> = {};
	for (const [name, template] of Object.entries(auth.properties.headers ?? {})) {
		const text = String(template);
		if (!text.startsWith('=')) {
			out[name] = text;
			continue;
		}
		const resolved = text.slice(1).replace(FIELD, (_, field: string) => String(data[field] ?? ''));
		if (resolved.includes('{{')) throw new Error(`the ${backend} credential's ${name} header is more than its fields`);
		out[name] = resolved;
	}
	return out;
}

/**
 * The trigger's context with httpRequestWithAuthentication for this credential answered by the
 * plain request helper and the resolved headers (every other call goes to n8n's own context).
 */
export function withResolvedCredential(ctx: ITriggerFunctions, credentialType: string, headers: Record<string, string>): ITriggerFunctions {
	const helpers = new Proxy(ctx.helpers, {
		get(target, property) {
			if (property === 'httpRequestWithAuthentication') {
				return async (type: string, options: IHttpRequestOptions) => {
					if (type !== credentialType) throw new Error(`the Watcher has no ${type} credential`);
					return await target.httpRequest({ ...options, headers: { ...headers, ...options.headers } });
				};
			}
			const value = Reflect.get(target, property, target) as unknown;
			return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
	return new Proxy(ctx, {
		get(target, property) {
			if (property === 'helpers') return helpers;
			const value = Reflect.get(target, property, target) as unknown;
			return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
}
