/**
 * plex.tv, for acting as the other people of a Plex household. A Plex Media Server user reads and
 * writes only their own watch state, with a token the server gives that user; the owner's plex.tv
 * account hands those out:
 * - home and managed users: the owner switches to the user (POST /api/home/users/{id}/switch), and
 *   that user's resources (GET /api/v2/resources) carry their access token for the server;
 * - shared users (friends): the server's shared-server list (GET /api/servers/{machineId}/
 *   shared_servers) carries each one's access token.
 * Users come from GET /api/users (the community spec documents it and /api/v2/resources; the
 * switch and shared-server routes are python-plexapi's MyPlexAccount.switchHomeUser and
 * MyPlexUser.get_token). The v1 routes answer XML, or JSON when asked (every call here asks);
 * each answer is read as either. A user plex.tv will not hand a token for (a PIN, no share, an
 * account the server still lists but plex.tv no longer knows) is a PlexTvRefusal: that person
 * cannot be acted for, which costs that person only (node/household.ts).
 */
import { BackendError, requestJson, type RetryPolicy, type Send } from '../../transport/http';
import { isPlainObject } from '../../media/guids';
import { xmlElements } from './xml';

export interface PlexTvUser {
	/** The plex.tv account id, which is also the user's account id on the server. */
	id: string;
	title: string;
	username: string;
	home: boolean;
	/** A home user with a PIN: switching to them needs it. */
	protected: boolean;
}

export interface PlexTvOptions {
	/** Requests to plex.tv with the owner's token. */
	send: Send;
	/** Requests to plex.tv with another token (a home user's, after the switch). */
	sendAs(token: string): Send;
	retry: RetryPolicy;
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true';

/** plex.tv will not hand out a token for this user: asking again will not help. */
export class PlexTvRefusal extends BackendError {}

/** The rows of a v1 MediaContainer answer, JSON (`MediaContainer.<element>`) or XML (`<element …/>`). */
function containerRows(body: unknown, element: string): Array<Record<string, unknown>> {
	if (typeof body === 'string') return xmlElements(body, element);
	if (isPlainObject(body) && isPlainObject(body.MediaContainer)) {
		const rows = body.MediaContainer[element];
		return (Array.isArray(rows) ? rows : isPlainObject(rows) ? [rows] : []).filter(isPlainObject);
	}
	return [];
}

export class PlexTvClient {
	requests = 0;
	private usersOnce?: Promise<PlexTvUser[]>;
	private sharedOnce?: Promise<Array<Record<string, unknown>>>;

	constructor(private readonly options: PlexTvOptions) {}

	private async call(what: string, send: Send, method: 'GET' | 'POST', path: string, query: Record<string, string | number> = {}): Promise<unknown> {
		this.requests++;
		return await requestJson(send, this.options.retry, `plex.tv: ${what}`, { method, path, query });
	}

	/** The owner's friends and home users (the owner is not among them). */
	users(): Promise<PlexTvUser[]> {
		this.usersOnce ??= this.call('list users', this.options.send, 'GET', '/api/users').then((body) => {
			return containerRows(body, 'User').map((u) => ({
				id: String(u.id),
				title: String(u.title ?? ''),
				username: String(u.username ?? ''),
				home: truthy(u.home),
				protected: truthy(u.protected),
			}));
		});
		return this.usersOnce;
	}

	/** The token with which this user reads and writes their own state on the server. */
	async serverToken(userId: string, machineIdentifier: string): Promise<string> {
		const user = (await this.users()).find((u) => u.id === userId);
		if (!user) throw new PlexTvRefusal(`plex.tv knows no friend or home user ${userId} of this account (a user the server still lists after the share ended, or a token that is not the server owner's)`);
		return user.home ? await this.homeUserToken(user, machineIdentifier) : await this.sharedUserToken(user, machineIdentifier);
	}

	private async homeUserToken(user: PlexTvUser, machineIdentifier: string): Promise<string> {
		if (user.protected) {
			throw new PlexTvRefusal(`Plex home user "${user.title}" is protected by a PIN, which this package cannot enter: remove the PIN, or leave the user out of the household (ignore: plex=${user.title})`);
		}
		const switched = await this.call(`switch to home user ${user.id}`, this.options.send, 'POST', `/api/home/users/${encodeURIComponent(user.id)}/switch`);
		const accountToken = typeof switched === 'string' ? xmlElements(switched, 'user')[0]?.authenticationToken : isPlainObject(switched) ? String(switched.authToken ?? switched.authenticationToken ?? '') : '';
		if (!accountToken) throw new PlexTvRefusal(`plex.tv: switching to home user "${user.title}" returned no token`);
		const resources = await this.call(`resources of home user ${user.id}`, this.options.sendAs(accountToken), 'GET', '/api/v2/resources', { includeHttps: 1, includeRelay: 1 });
		const server = (Array.isArray(resources) ? resources : []).filter(isPlainObject).find((r) => r.clientIdentifier === machineIdentifier);
		if (!server || typeof server.accessToken !== 'string') throw new PlexTvRefusal(`plex.tv: home user "${user.title}" has no access to this server (${machineIdentifier})`);
		return server.accessToken;
	}

	/** The server's shares with their tokens: one request per execution, whoever asks. */
	private sharedServers(machineIdentifier: string): Promise<Array<Record<string, unknown>>> {
		this.sharedOnce ??= this.call('list shared servers', this.options.send, 'GET', `/api/servers/${encodeURIComponent(machineIdentifier)}/shared_servers`).then((body) => containerRows(body, 'SharedServer'));
		return this.sharedOnce;
	}

	private async sharedUserToken(user: PlexTvUser, machineIdentifier: string): Promise<string> {
		const entry = (await this.sharedServers(machineIdentifier)).find((s) => String(s.userID) === user.id);
		const token = entry && typeof entry.accessToken === 'string' ? entry.accessToken : '';
		if (!token) throw new PlexTvRefusal(`plex.tv hands out no token for "${user.username || user.title}" on this server (${machineIdentifier}): the share is missing or plex.tv withholds its token`);
		return token;
	}
}
