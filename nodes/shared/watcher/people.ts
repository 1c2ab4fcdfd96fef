/**
 * Whom a Watcher watches: every user of the server the household places (all users, by name,
 * without a Watch State Household credential; `ignore:` lines left out), each read as themselves
 * (Plex: the user's own server token from plex.tv; Jellyfin / Emby: the API key and the user's id).
 * A person who cannot be acted for (a PIN user, plex.tv withholding a token) is left out with one
 * warning: that person's loss, not the household's.
 */
import type { MediaClient } from '../backends/client';
import { PersonUnreachable, type HouseholdActing } from '../node/household';
import type { Watched } from './events';
import type { WatcherLog } from './watcher';

/** Jellyfin and Emby write user ids with or without dashes, in either case. */
export const sameUserId = (a: string, b: string) => a.replace(/-/g, '').toLowerCase() === b.replace(/-/g, '').toLowerCase();

export class WatchedPeople {
	private everyoneOnce?: Promise<Watched[]>;
	private readonly unreachable = new Set<string>();

	constructor(
		private readonly acting: HouseholdActing,
		private readonly log: WatcherLog,
		private readonly label: string,
	) {}

	everyone(): Promise<Watched[]> {
		this.everyoneOnce ??= this.acting.users().then((users) =>
			users.flatMap((user) => {
				const placed = this.acting.placeOwn(user);
				return placed.person ? [{ user, person: placed.person.key }] : [];
			}),
		);
		return this.everyoneOnce;
	}

	/** The watched user with this id, or undefined (a user the household leaves out). */
	async byId(userId: string): Promise<Watched | undefined> {
		return (await this.everyone()).find((w) => sameUserId(w.user.id, userId));
	}

	/** A client acting as this user, or undefined for a person who cannot be acted for here. */
	async client(who: Watched): Promise<MediaClient | undefined> {
		return await this.acting.clientFor(who.user.id).catch((error: unknown) => {
			if (!(error instanceof PersonUnreachable)) throw error;
			if (!this.unreachable.has(who.user.id)) this.log.warn(`${this.label} Watcher: ${who.person} (user ${who.user.name}) is left out: ${error.message}`);
			this.unreachable.add(who.user.id);
			return undefined;
		});
	}
}
