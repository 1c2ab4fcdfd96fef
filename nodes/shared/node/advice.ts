/**
 * What a failed call tells the user: which server, which call, what happened in words, and in the
 * error's description what to change (which credential field, the Server URL, Docker networking,
 * the minimum server version).
 *
 * Node's network error codes are put into words here and kept out of the message: n8n replaces a
 * message that contains one (ECONNREFUSED, ENOTFOUND, …) with a generic sentence that names
 * neither the server nor the call (NodeError.setDescriptiveErrorMessage in n8n-workflow).
 */
import { BackendError } from '../transport/http';

/** The server behind each credential, as users call it. */
export const SERVER_OF_CREDENTIAL: Record<string, string> = { plexApi: 'Plex', jellyfinApi: 'Jellyfin', embyApi: 'Emby', traktApi: 'Trakt', watchStateN8nApi: 'n8n' };

/** The credential field that holds the secret, per credential. */
const SECRET_FIELD: Record<string, string> = { Plex: 'Token', Jellyfin: 'API Key or User Token', Emby: 'API Key', Trakt: 'Authorization Code (paste a new one)', n8n: 'API Key' };

const TLS_CODES = new Set([
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_HAS_EXPIRED',
	'ERR_TLS_CERT_ALTNAME_INVALID',
	'EPROTO',
]);

/** A network failure in words, without the code itself (see above). */
export function networkFailure(code: string | undefined, message: string): string {
	switch (code) {
		case 'ECONNREFUSED':
			return 'the connection was refused (nothing listens at that address and port)';
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return 'the host name in the Server URL could not be resolved';
		case 'ETIMEDOUT':
		case 'ECONNABORTED':
		case 'ESOCKETTIMEDOUT':
			return 'no answer in time';
		case 'ECONNRESET':
		case 'EPIPE':
			return 'the server closed the connection';
		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
			return 'the host cannot be reached from n8n';
		default:
			if (code && TLS_CODES.has(code)) return "the server's TLS certificate is not trusted";
			// Unknown codes keep the (redacted) message, with any code word n8n would rewrite taken out.
			return message.replace(/\b(E[A-Z_]{3,}|GETADDRINFO)\b/g, '').replace(/\s{2,}/g, ' ').trim() || 'the request failed';
	}
}

/** What to change, for a failure of `server`'s call; undefined when there is nothing to advise. */
export function adviceFor(error: BackendError, server?: string): string | undefined {
	const who = server ?? 'the server';
	const secret = server ? SECRET_FIELD[server] : undefined;
	const docker = "If n8n runs in Docker, 'localhost' there is n8n's own container: use the server's LAN address (e.g. http://192.168.1.10:8096) or its service name on a shared Docker network.";
	switch (error.code) {
		case 'ECONNREFUSED':
			return `Check that ${who} is running and that the credential's Server URL has the right address and port. ${docker}`;
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return `Check the host name in the credential's Server URL. ${docker}`;
		case 'ETIMEDOUT':
		case 'ECONNABORTED':
		case 'ESOCKETTIMEDOUT':
			return `${who} did not answer in time. Raise Timeout (Request Options) for big libraries, or check that the Server URL is reachable from n8n.`;
		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
			return `n8n cannot reach that address: check the Server URL and any firewall between n8n and ${who}. ${docker}`;
		case 'ECONNRESET':
		case 'EPIPE':
			return `${who} closed the connection; it may be restarting. Retries already ran: try again later, or lower Concurrency (Request Options).`;
	}
	if (error.code && TLS_CODES.has(error.code)) {
		return `Use a certificate n8n trusts, use http:// on the local network, or turn on Ignore SSL Issues in the ${who} credential (only on a network you trust).`;
	}
	switch (error.status) {
		case 401:
			return `${who} refused the credential: check ${secret ? `its ${secret}` : 'its token'} (a server reset or a new install issues new ones).`;
		case 403:
			return `The credential's user may not do this on ${who}: use an administrator's key or token, or a user who can see this library.`;
		case 404:
			return `Check that the Server URL points at ${who} itself (including any base path behind a reverse proxy), and that the item still exists. Supported: Jellyfin 10.8 or later, Emby 4.8 or later, a current Plex Media Server.`;
		case 429:
			return `${who} is limiting requests: lower Concurrency (Request Options) or run less often.`;
	}
	if (error.status !== undefined && error.status >= 500) return `${who} failed to answer (HTTP ${error.status}) even after retries: check its log, then run again; nothing was written for this item.`;
	return undefined;
}
