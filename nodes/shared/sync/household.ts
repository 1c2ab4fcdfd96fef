/**
 * A household: who is who on each server. Users are matched across servers by name (trimmed,
 * case-insensitive) unless a mapping line says otherwise:
 *
 *     # one person per line: their user name on each server ("-": none there)
 *     mum: plex=mum, jellyfin=Mom, emby=mother
 *     kid: plex=kid, jellyfin=Kiddo, emby=-
 *     ignore: plex=guest
 *
 * A person's state is only ever written to that person's users; a user the household leaves out
 * (`ignore`) or cannot place is never written for, and the reason is given.
 */
import type { Backend } from '../model';

export const HOUSEHOLD_SERVERS = ['plex', 'jellyfin', 'emby'] as const;
export type HouseholdServer = (typeof HOUSEHOLD_SERVERS)[number];

export interface Person {
	/** The person's name in the mapping (or the shared user name, for users matched by name). */
	key: string;
	/** Name per server; null = no user there. Servers not listed are matched by the person's names. */
	names: Partial<Record<HouseholdServer, string | null>>;
	/** Declared on a mapping line (false: a user matched by name). */
	explicit: boolean;
}

export interface Household {
	persons: Person[];
	/** `server:name` (folded) of users left out. */
	ignored: Set<string>;
	/** Users not on a mapping line are one person per shared name (default) or left out. */
	matchByName: boolean;
}

export class HouseholdError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'HouseholdError';
	}
}

/** How names compare: trimmed, case-insensitive. */
export function foldName(name: string): string {
	return name.trim().toLowerCase();
}

const isServer = (s: string): s is HouseholdServer => (HOUSEHOLD_SERVERS as readonly string[]).includes(s);

/**
 * The server whose users an event's users are. Tautulli watches a Plex server and names its
 * users by their Plex user name (`{username}`, backend-apis.md §4.2), so they are Plex users.
 */
export function householdServerOf(backend: Backend): HouseholdServer | undefined {
	if (backend === 'tautulli') return 'plex';
	return isServer(backend) ? backend : undefined;
}

/** Reads the mapping text; every mistake is reported with its line, before anything runs. */
export function parseHousehold(text: string | undefined, matchByName = true): Household {
	const household: Household = { persons: [], ignored: new Set(), matchByName };
	const owner = new Map<string, string>();
	(text ?? '').split(/\r?\n/).forEach((raw, index) => {
		const line = raw.replace(/#.*$/, '').trim();
		if (!line) return;
		const where = `household line ${index + 1} ("${raw.trim()}")`;
		const colon = line.indexOf(':');
		if (colon <= 0) throw new HouseholdError(`${where}: write "person: plex=name, jellyfin=name, emby=name"`);
		const label = line.slice(0, colon).trim();
		const ignore = foldName(label) === 'ignore';
		const names: Person['names'] = {};
		for (const part of line.slice(colon + 1).split(',')) {
			if (!part.trim()) continue;
			const eq = part.indexOf('=');
			const server = foldName(eq > 0 ? part.slice(0, eq) : '');
			const name = eq > 0 ? part.slice(eq + 1).trim() : '';
			if (!isServer(server)) throw new HouseholdError(`${where}: "${part.trim()}" should be plex=…, jellyfin=… or emby=…`);
			if (!name) throw new HouseholdError(`${where}: no user name after ${server}=`);
			if (server in names) throw new HouseholdError(`${where}: ${server} is named twice`);
			const none = name === '-';
			if (none && ignore) throw new HouseholdError(`${where}: "-" means "no user" and has no place on an ignore line`);
			names[server] = none ? null : name;
			if (!none) {
				const key = `${server}:${foldName(name)}`;
				const taken = owner.get(key);
				if (taken) throw new HouseholdError(`${where}: ${server} user "${name}" is already ${taken === 'ignore' ? 'left out' : `mapped to ${taken}`}; a user belongs to one person`);
				owner.set(key, ignore ? 'ignore' : label);
				if (ignore) household.ignored.add(key);
			}
		}
		if (ignore) return;
		if (Object.keys(names).length === 0) throw new HouseholdError(`${where}: name the person's user on at least one server`);
		if (household.persons.some((p) => foldName(p.key) === foldName(label))) throw new HouseholdError(`${where}: the person "${label}" has two lines`);
		household.persons.push({ key: label, names, explicit: true });
	});
	return household;
}

export type Placement = { person: Person } | { person?: undefined; reason: string };

/** Which person a server's user is, or why none. */
export function personOf(household: Household, backend: Backend, userName: string | undefined): Placement {
	const server = householdServerOf(backend);
	if (!server) return { reason: `${backend} users are not part of a household` };
	if (!userName) return { reason: `the ${server} event names no user` };
	const folded = foldName(userName);
	if (household.ignored.has(`${server}:${folded}`)) return { reason: `${server} user "${userName}" is left out of the household` };
	const mapped = household.persons.find((p) => typeof p.names[server] === 'string' && foldName(p.names[server]!) === folded);
	if (mapped) return { person: mapped };
	// A line that names no user on this server: the user named like that person elsewhere.
	const byName = household.persons.filter((p) => p.names[server] === undefined && candidateNames(p).includes(folded));
	if (byName.length > 1) return { reason: `${server} user "${userName}" could be ${byName.map((p) => p.key).join(' or ')}; name them on the household lines` };
	if (byName.length === 1) return { person: byName[0] };
	if (!household.matchByName) return { reason: `${server} user "${userName}" is not in the household mapping` };
	// Not on any line: the person who has this name on every server.
	return { person: { key: userName.trim(), names: {}, explicit: false } };
}

/** The names a person may have where a line does not name their user: the person's and their users'. */
function candidateNames(person: Person): string[] {
	return [...new Set([person.key, ...Object.values(person.names).filter((n): n is string => typeof n === 'string')].map(foldName))];
}

/**
 * The user a person has on a server, from its users (id and name): the mapped name, else the
 * user named like the person on the other servers. `null` when the person has no user there.
 * A mapped name the server does not have, or a name two users share, is an error.
 */
export function userFor<U extends { id: string; name: string }>(household: Household, person: Person, server: HouseholdServer, allUsers: U[]): U | null {
	// Accounts without a name (PMS lists system accounts) are nobody's.
	const users = allUsers.filter((u) => foldName(u.name) !== '');
	const named = (name: string) => users.filter((u) => foldName(u.name) === foldName(name));
	const mapped = person.names[server];
	if (mapped === null) return null;
	if (typeof mapped === 'string') {
		const hits = named(mapped);
		if (hits.length === 0) throw new HouseholdError(`the household maps ${person.key} to ${server} user "${mapped}", which this server does not have (users: ${users.map((u) => u.name).join(', ')})`);
		if (hits.length > 1) throw new HouseholdError(`${hits.length} ${server} users are named "${mapped}"; rename one so the household can tell them apart`);
		return hits[0];
	}
	const candidates = candidateNames(person);
	const hits = users.filter((u) => candidates.includes(foldName(u.name)) && !household.ignored.has(`${server}:${foldName(u.name)}`));
	// A user another person's line claims is not this person's.
	const free = hits.filter((u) => !household.persons.some((p) => p !== person && typeof p.names[server] === 'string' && foldName(p.names[server]!) === foldName(u.name)));
	if (free.length > 1) throw new HouseholdError(`${free.length} ${server} users could be ${person.key} (${free.map((u) => u.name).join(', ')}); map ${person.key} on a household line`);
	return free[0] ?? null;
}

/** Checks every name a household gives this server against the server's users, before any write. */
export function checkHouseholdOn(household: Household, server: HouseholdServer, users: Array<{ id: string; name: string }>): void {
	for (const person of household.persons) if (person.explicit) userFor(household, person, server, users);
	const seen = new Map<string, string>();
	for (const user of users) {
		const folded = foldName(user.name);
		if (!folded) continue;
		if (seen.has(folded) && household.matchByName) throw new HouseholdError(`${server} has two users named "${user.name}" ("${seen.get(folded)}"); the household cannot tell them apart by name`);
		seen.set(folded, user.name);
	}
}
