/**
 * A media server credential's headers, resolved once from the credential's own `authenticate`
 * definition (the one place they are defined) and sent with n8n's plain request helper. Through
 * httpRequestWithAuthentication every request would have n8n read the credential from its
 * database and decrypt it again (n8n 2.41 CredentialsHelper.getDecrypted: a query, a decryption
 * and the expression resolution per call), which a full sync's 60,000 writes pay 60,000 times; a
 * Watcher's requests after activation could not resolve the expressions at all (n8n-workflow
 * 2.41 holds the expression isolate only while a trigger activates: "No bridge acquired for this
 * context").
 */
import type { ICredentialDataDecryptedObject, IAuthenticateGeneric, ICredentialType } from 'n8n-workflow';
import { EmbyApi } from '../../../credentials/EmbyApi.credentials';
import { JellyfinApi } from '../../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../../credentials/PlexApi.credentials';
import type { MediaBackend } from './description';

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
