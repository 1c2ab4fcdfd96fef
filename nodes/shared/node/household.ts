/**
 * The household side of the Plex, Jellyfin and Emby nodes: which of this server's users an item
 * or event belongs to, and a client that acts as that user. Jellyfin and Emby act for a user with
 * the admin key and the user's id; Plex acts with the user's own server token, which the owner's
 * plex.tv account hands out (plextv.ts). Everything is read once per execution, and the mapping
 * is checked against this server's users before the first write.
 */
import { NodeOperationError, type ICredentialTestFunctions, type ICredentialsDecrypted, type IExecuteFunctions, type INodeCredentialTestResult, type ITriggerFunctions } from 'n8n-workflow';
import type { MediaClient, UserInfo } from '../backends/client';
import { BackendError } from '../transport/http';
import { PlexTvClient } from '../backends/plex/plextv';
import { checkHouseholdOn, parseHousehold, personOf, userFor, type Household, type HouseholdServer, type Person } from '../sync/household';
import type { Backend } from '../model';
import type { MediaBackend } from './description';
import { n8nSend, retryPolicy } from './transport';
import type { PlexIdentity } from './execute';
import { PlexTokenStore } from './plextokens';

export const HOUSEHOLD_CREDENTIAL = 'watchStateHouseholdApi';

/** The Watch State Household credential's test: the mapping must read without a mistake. */
export async function householdMapping(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	try {
		const household = parseHousehold(String(credential.data?.mapping ?? ''), credential.data?.matchByName !== false);
		return { status: 'OK', message: `${household.persons.length} people mapped, ${household.ignored.size} users left out` };
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
}

/** The server owner on a Plex Media Server: account 1, whatever their plex.tv id. */
const PLEX_OWNER_ACCOUNT = '1';

export type Acting = { user: UserInfo; person: Person } | { user?: undefined; reason: string };

/**
 * A person who cannot be acted for on this server (a Plex home user with a PIN, a friend plex.tv
 * hands no token for, plex.tv unreachable with no kept token): that person is skipped, with this
 * reason, and the rest of the household goes on.
 */
export class PersonUnreachable extends BackendError {}

/** A user a household read or write left out, and why (for the summary). */
export interface SkippedUser {
	server: MediaBackend;
	person: string;
	user: string;
	reason: string;
}

export class HouseholdActing {
	private usersOnce?: Promise<UserInfo[]>;
	private readonly clients = new Map<string, Promise<MediaClient>>();
	private plexTv?: PlexTvClient;
	private tokens?: Promise<PlexTokenStore | undefined>;

	constructor(
		private readonly ctx: IExecuteFunctions | ITriggerFunctions,
		private readonly backend: MediaBackend,
		readonly household: Household,
		/** The node's own client (the credential's identity), and a factory for a user's. */
		private readonly base: MediaClient,
		private readonly clientAs: (user: UserInfo, identity?: PlexIdentity) => Promise<MediaClient>,
	) {}

	/** The household from the node's Watch State Household credential, or matching by name alone. */
	static async load(ctx: IExecuteFunctions | ITriggerFunctions): Promise<Household> {
		const credentials = await ctx.getCredentials(HOUSEHOLD_CREDENTIAL).catch(() => undefined);
		try {
			return parseHousehold(credentials ? String(credentials.mapping ?? '') : '', credentials ? credentials.matchByName !== false : true);
		} catch (error) {
			throw new NodeOperationError(ctx.getNode(), `Watch State Household: ${(error as Error).message}`);
		}
	}

	/** This server's users, checked against the mapping (an error here stops the run before any write). */
	users(): Promise<UserInfo[]> {
		this.usersOnce ??= this.base.listUsers().catch((error: unknown) => {
			// PMS lists its accounts to its owner only; Jellyfin lists users to administrators only.
			if (error instanceof BackendError && (error.status === 401 || error.status === 403)) {
				const needs = this.backend === 'plex' ? "the server owner's token in the Plex credential" : 'an API key (or an administrator\'s token) in the credential';
				throw new NodeOperationError(this.ctx.getNode(), `For: Household needs ${needs}: the server refused to list its users`);
			}
			throw error;
		}).then((users) => {
			try {
				checkHouseholdOn(this.household, this.backend, users);
			} catch (error) {
				throw new NodeOperationError(this.ctx.getNode(), `Watch State Household: ${(error as Error).message}`);
			}
			return users;
		});
		return this.usersOnce;
	}

	/** The user of this server who is the same person as a user of another server, or why there is none. */
	async counterpart(server: Backend, userName: string | undefined): Promise<Acting> {
		const placed = personOf(this.household, server, userName);
		if (!placed.person) return { reason: placed.reason };
		const user = userFor(this.household, placed.person, this.backend as HouseholdServer, await this.users());
		if (!user) return { reason: `${placed.person.key} has no ${this.backend} user` };
		return { user, person: placed.person };
	}

	/**
	 * What `read` gives for every user the household places, each row tagged with the user and the
	 * person. A person who cannot be acted for is added to `skipped` (when given) and left out;
	 * without `skipped` it stops the read.
	 */
	async readEveryone<T extends object>(read: (client: MediaClient) => Promise<T[]>, skipped?: SkippedUser[], present?: Set<string>): Promise<Array<T & { userId: string; userName: string; person: string }>> {
		const out: Array<T & { userId: string; userName: string; person: string }> = [];
		for (const user of await this.users()) {
			const placed = this.placeOwn(user);
			if (!placed.person) continue;
			const person = placed.person.key;
			// The people who have a user here now (read or not): whoever else the last run saw has left.
			present?.add(person);
			const rows = await this.clientFor(user.id)
				.then(async (client) => await read(client))
				.catch((error: unknown) => {
					if (!(error instanceof PersonUnreachable) || !skipped) throw error;
					skipped.push({ server: this.backend, person, user: user.name, reason: error.message });
					return [] as T[];
				});
			// Tagged in place: a copy of every row of a 100,000-item listing is what this would cost.
			for (const row of rows) out.push(Object.assign(row, { userId: user.id, userName: user.name, person }));
		}
		return out;
	}

	/** Who a user of this server is in the household, or why nobody. */
	placeOwn(user: UserInfo): { person: Person } | { person?: undefined; reason: string } {
		return personOf(this.household, this.backend, user.name);
	}

	/**
	 * A client acting as this server's user with this id (once per execution). Jellyfin and Emby
	 * act with the admin key; a Plex member acts with their own server token: the one kept from an
	 * earlier execution, else plex.tv's, renewed when the server refuses it. No token to be had is
	 * a PersonUnreachable.
	 */
	clientFor(userId: string): Promise<MediaClient> {
		let client = this.clients.get(userId);
		if (!client) {
			client = this.users().then(async (users) => {
				const user = users.find((u) => u.id === userId) ?? { id: userId, name: userId, backend: this.backend };
				if (this.backend !== 'plex') return await this.clientAs(user);
				if (userId === PLEX_OWNER_ACCOUNT) return this.base;
				const machineIdentifier = await this.base.serverIdentity();
				if (!machineIdentifier) throw new NodeOperationError(this.ctx.getNode(), 'The Plex server did not say its machine identifier, which plex.tv needs to hand out user tokens');
				const store = await this.tokenStore(machineIdentifier);
				const fetch = async () =>
					await (await this.plexTvClient())
						.serverToken(userId, machineIdentifier)
						.then((token) => {
							store?.set(userId, token);
							return token;
						})
						.catch((error: unknown) => {
							throw new PersonUnreachable(`no Plex token for "${user.name}": ${(error as Error).message}`);
						});
				const token = store?.get(userId) ?? (await fetch());
				const renew = async () => {
					store?.drop(userId);
					return await fetch().catch(() => undefined);
				};
				const member = await this.clientAs(user, { token, renew, playedThreshold: async () => await this.base.playedThresholdPercent() });
				return refusedAsUnreachable(member, user.name);
			});
			this.clients.set(userId, client);
		}
		return client;
	}

	/** The kept tokens of this workflow, for this server and owner (none outside a workflow run). */
	private tokenStore(machineIdentifier: string): Promise<PlexTokenStore | undefined> {
		this.tokens ??= (async () => {
			const credentials = await this.ctx.getCredentials('plexApi');
			const staticData = typeof this.ctx.getWorkflowStaticData === 'function' ? this.ctx.getWorkflowStaticData('global') : undefined;
			return staticData ? new PlexTokenStore(staticData, String(credentials.token ?? ''), machineIdentifier) : undefined;
		})();
		return this.tokens;
	}

	private async plexTvClient(): Promise<PlexTvClient> {
		if (!this.plexTv) {
			const credentials = await this.ctx.getCredentials('plexApi');
			const baseUrl = String(credentials.plexTvUrl || 'https://plex.tv').replace(/\/+$/, '');
			const settings = { credentialType: 'plexApi', baseUrl, ignoreSslIssues: false, timeoutMs: 30_000 };
			const identity = { 'X-Plex-Client-Identifier': String(credentials.clientIdentifier || 'n8n-nodes-watchstate'), 'X-Plex-Product': 'n8n-nodes-watchstate' };
			this.plexTv = new PlexTvClient({
				send: n8nSend(this.ctx, settings, { ...identity, 'X-Plex-Token': String(credentials.token ?? '') }),
				sendAs: (token) => n8nSend(this.ctx, settings, { ...identity, 'X-Plex-Token': token }),
				// plex.tv throttles the home-user switch (429): a kept token carries the run meanwhile.
				retry: retryPolicy(2),
			});
		}
		return this.plexTv;
	}
}

/**
 * A member's client whose token the server still refuses after a renewal: that person cannot be
 * acted for (their share was revoked), which is theirs to lose, not the household's.
 */
function refusedAsUnreachable(client: MediaClient, name: string): MediaClient {
	return new Proxy(client, {
		get(target, property, receiver) {
			const value = Reflect.get(target, property, receiver) as unknown;
			if (typeof value !== 'function') return value;
			return (...args: unknown[]) => {
				const result = (value as (...a: unknown[]) => unknown).apply(target, args);
				if (!(result instanceof Promise)) return result;
				return result.catch((error: unknown) => {
					if (error instanceof BackendError && error.status === 401) throw new PersonUnreachable(`the Plex server refuses "${name}"'s token, and plex.tv has no newer one`);
					throw error;
				});
			};
		},
	});
}
