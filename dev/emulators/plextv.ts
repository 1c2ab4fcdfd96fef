/**
 * Emulated plex.tv, for households: the owner's account with its home (managed) users and friends,
 * and the tokens with which each of them reads and writes their own state on one emulated Plex
 * Media Server. Bound to the community spec's plex.tv operations (GET /api/users, /api/v2/resources,
 * /api/v2/user) and the two routes python-plexapi uses beyond it (versions.ts PLEX_TV_SERVED):
 * - POST /api/home/users/{id}/switch: the owner becomes a home user; a user with a PIN needs it;
 *   answers XML with the user's `authenticationToken` (myplex.py switchHomeUser);
 * - GET /api/servers/{machineId}/shared_servers: the owner's friends with access to the server,
 *   each with the `accessToken` they use on it (myplex.py MyPlexUser.get_token).
 * v1 routes answer XML unless asked for JSON (Accept: application/json; python-plexapi asks for
 * XML, this package for JSON); v2 answers JSON. A friend can be one plex.tv hands no token for
 * (`withholdToken`: the share is listed without its accessToken, as users saw in March 2026,
 * arabcoders/watchstate#793, pkkid/python-plexapi#1598).
 */
import type { EmulatedUser } from './library';
import type { PlexEmulator } from './plex';
import { mediaContainerXml } from './plexxml';
import { EmulatedServer, type Reply, type RequestContext, type Route } from './server';
import { specsPresent } from './spec/files';
import { plexTvGate } from './versions';

export interface PlexTvAccount {
	/** The plex.tv account id; the server knows the account by it too (but the owner, who is 1 there). */
	id: number;
	username: string;
	title: string;
	/** The account's own plex.tv token. */
	token: string;
	kind: 'owner' | 'home' | 'friend';
	/** A home user's PIN, if the user has one. */
	pin?: string;
	/** The user on the emulated server whose server token this account gets. */
	serverUser?: EmulatedUser;
	/** A friend whose share plex.tv lists without its token. */
	withholdToken?: boolean;
}

export interface PlexTvOptions {
	server: PlexEmulator;
	accounts: PlexTvAccount[];
	spec?: boolean;
}

function userXml(account: PlexTvAccount, extra: Record<string, unknown> = {}): string {
	const attributes = Object.entries({ id: account.id, uuid: `uuid-${account.id}`, title: account.title, username: account.username, ...extra })
		.map(([k, v]) => `${k}="${String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`)
		.join(' ');
	return `<?xml version="1.0" encoding="UTF-8"?>\n<user ${attributes} />\n`;
}

export class PlexTvEmulator extends EmulatedServer {
	/** Home-user switches that were made (tests). */
	readonly switches: number[] = [];

	constructor(readonly options: PlexTvOptions) {
		super();
		if (options.spec ?? specsPresent) this.gate = plexTvGate();
	}

	private account(ctx: RequestContext): PlexTvAccount | undefined {
		const token = (ctx.headers['x-plex-token'] as string | undefined) ?? ctx.query.get('X-Plex-Token') ?? '';
		return this.options.accounts.find((a) => a.token === token);
	}

	private get owner(): PlexTvAccount {
		return this.options.accounts.find((a) => a.kind === 'owner')!;
	}

	protected authenticate(ctx: RequestContext): Reply | undefined {
		return this.account(ctx) ? undefined : { status: 401, body: { errors: [{ code: 1001, message: 'User could not be authenticated', status: 401 }] } };
	}

	protected refusal(status: number, reason: string): Reply {
		return { status, body: { errors: [{ code: status === 404 ? 1004 : 1000, message: reason, status }] } };
	}

	private ownerOnly(ctx: RequestContext): Reply | undefined {
		return this.account(ctx)?.kind === 'owner' ? undefined : { status: 403, body: { errors: [{ code: 1003, message: 'Access denied', status: 403 }] } };
	}

	protected routes(): Route[] {
		return [
			{ method: 'GET', pattern: /^\/api\/users\/?$/, handler: (ctx) => this.ownerOnly(ctx) ?? this.users(ctx) },
			{ method: 'POST', pattern: /^\/api\/home\/users\/(\d+)\/switch$/, handler: (ctx) => this.ownerOnly(ctx) ?? this.switchTo(ctx, Number(ctx.params[0])) },
			{ method: 'GET', pattern: /^\/api\/v2\/resources$/, handler: (ctx) => this.resources(this.account(ctx)!) },
			{ method: 'GET', pattern: /^\/api\/v2\/user$/, handler: (ctx) => ({ status: 200, body: this.userJson(this.account(ctx)!) }) },
			{ method: 'GET', pattern: /^\/api\/servers\/(\w+)\/shared_servers$/, handler: (ctx) => this.ownerOnly(ctx) ?? this.sharedServers(ctx, ctx.params[0]) },
		];
	}

	private userJson(a: PlexTvAccount): Record<string, unknown> {
		return { id: a.id, uuid: `uuid-${a.id}`, username: a.username, title: a.title, email: `${a.username}@example.invalid`, authToken: a.token, home: a.kind !== 'friend', protected: !!a.pin };
	}

	/** The owner's friends and home users, each with the servers shared with them. */
	private users(ctx: RequestContext): Reply {
		const server = this.options.server;
		const User = this.options.accounts
			.filter((a) => a.kind !== 'owner')
			.map((a) => ({
				id: a.id,
				title: a.title,
				username: a.username,
				email: `${a.username}@example.invalid`,
				thumb: `https://plex.tv/users/${a.id}/avatar`,
				protected: a.pin ? 1 : 0,
				home: a.kind === 'home' ? 1 : 0,
				allowTuners: 0,
				allowSync: 0,
				allowCameraUpload: 0,
				allowChannels: 0,
				allowSubtitleAdmin: 0,
				restricted: a.serverUser?.libraries ? 1 : 0,
				Server: a.serverUser ? [{ id: a.id, serverId: 1, machineIdentifier: server.machineIdentifier, name: server.options.name ?? 'emulator-plex', lastSeenAt: 1716000000, numLibraries: a.serverUser.libraries?.length ?? 2, allLibraries: a.serverUser.libraries ? 0 : 1, owned: 0, pending: 0 }] : [],
			}));
		const container = { friendlyName: 'myPlex', identifier: 'com.plexapp.plugins.myplex', machineIdentifier: server.machineIdentifier, totalSize: User.length, size: User.length, User };
		if (String(ctx.headers.accept ?? '').includes('application/json')) return { status: 200, body: { MediaContainer: container } };
		return { status: 200, headers: { 'content-type': 'text/xml;charset=utf-8' }, body: mediaContainerXml(container), raw: true };
	}

	private switchTo(ctx: RequestContext, id: number): Reply {
		const account = this.options.accounts.find((a) => a.id === id && a.kind === 'home');
		if (!account) return { status: 404, body: { errors: [{ code: 1002, message: 'User not found', status: 404 }] } };
		if (account.pin && ctx.query.get('pin') !== account.pin) return { status: 403, body: { errors: [{ code: 1041, message: 'Invalid PIN', status: 403 }] } };
		this.switches.push(id);
		return { status: 201, headers: { 'content-type': 'text/xml;charset=utf-8' }, body: userXml(account, { authenticationToken: account.token, authToken: account.token }), raw: true };
	}

	/** The account's devices: the emulated server, with the token this account uses on it. */
	private resources(account: PlexTvAccount): Reply {
		const server = this.options.server;
		const serverUser = account.kind === 'owner' ? server.options.users[0] : account.serverUser;
		if (!serverUser) return { status: 200, body: [] };
		const url = new URL(server.url);
		return {
			status: 200,
			body: [
				{
					name: server.options.name ?? 'emulator-plex',
					product: 'Plex Media Server',
					productVersion: '1.41.3.9314-a0bfb8370',
					platform: 'Linux',
					platformVersion: '6.1',
					device: 'PC',
					clientIdentifier: server.machineIdentifier,
					createdAt: '2024-01-01T00:00:00Z',
					lastSeenAt: '2026-01-01T00:00:00Z',
					provides: 'server',
					// null when the token's own account owns the server
					ownerId: account.kind === 'owner' ? null : this.owner.id,
					sourceTitle: account.kind === 'owner' ? null : this.owner.username,
					publicAddress: '127.0.0.1',
					accessToken: serverUser.token,
					owned: account.kind === 'owner',
					home: account.kind === 'home',
					synced: false,
					relay: false,
					presence: true,
					httpsRequired: false,
					publicAddressMatches: true,
					dnsRebindingProtection: false,
					natLoopbackSupported: false,
					connections: [{ protocol: 'http', address: url.hostname, port: Number(url.port), uri: server.url, local: true, relay: false, IPv6: false }],
				},
			],
		};
	}

	/** Every share of the server: one request answers for all friends. */
	sharedServerRequests = 0;

	private sharedServers(ctx: RequestContext, machineIdentifier: string): Reply {
		this.sharedServerRequests++;
		const server = this.options.server;
		if (machineIdentifier !== server.machineIdentifier) return { status: 404, body: { errors: [{ code: 1004, message: 'Server not found', status: 404 }] } };
		const SharedServer = this.options.accounts
			.filter((a) => a.kind === 'friend' && a.serverUser)
			.map((a) => ({
				id: a.id * 10,
				username: a.username,
				email: `${a.username}@example.invalid`,
				userID: a.id,
				...(a.withholdToken ? {} : { accessToken: a.serverUser!.token }),
				name: server.options.name ?? 'emulator-plex',
				acceptedAt: 1700000000,
				invitedAt: 1700000000,
				allowSync: 0,
				owned: 0,
				allLibraries: a.serverUser!.libraries ? 0 : 1,
			}));
		const container = { friendlyName: 'myPlex', identifier: 'com.plexapp.plugins.myplex', machineIdentifier, size: SharedServer.length, SharedServer };
		if (String(ctx.headers.accept ?? '').includes('application/json')) return { status: 200, body: { MediaContainer: container } };
		return { status: 200, headers: { 'content-type': 'text/xml;charset=utf-8' }, body: mediaContainerXml(container), raw: true };
	}

	/** The owner's plex.tv token (for credentials). */
	ownerToken(): string {
		return this.owner.token;
	}
}
