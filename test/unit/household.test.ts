import { checkHouseholdOn, HouseholdError, parseHousehold, personOf, userFor } from '../../nodes/shared/sync/household';

const users = (...names: string[]) => names.map((name, i) => ({ id: String(i + 1), name }));
const MAPPING = `
# the family
mum: plex=mum, jellyfin=Mom, emby=mother
kid: plex=kid, jellyfin=Kiddo, emby=-
ignore: plex=guest
`;

describe('household mapping', () => {
	const household = parseHousehold(MAPPING);

	it('places a mapped user, a user matched by name, and says why it places none', () => {
		expect(personOf(household, 'plex', 'Mum ').person?.key).toBe('mum');
		expect(personOf(household, 'jellyfin', 'mom').person?.key).toBe('mum');
		expect(personOf(household, 'emby', 'alice').person).toEqual({ key: 'alice', names: {}, explicit: false });
		expect(personOf(household, 'plex', 'guest')).toEqual({ reason: 'plex user "guest" is left out of the household' });
		expect(personOf(household, 'plex', undefined)).toEqual({ reason: 'the plex event names no user' });
		// Tautulli names the Plex user: it is placed by the plex= names, and honours plex ignores.
		expect(personOf(household, 'tautulli', 'kid').person?.key).toBe('kid');
		expect(personOf(household, 'tautulli', 'guest')).toEqual({ reason: 'plex user "guest" is left out of the household' });
		expect(personOf(household, 'trakt', 'mum')).toEqual({ reason: 'trakt users are not part of a household' });
		expect(personOf(parseHousehold(MAPPING, false), 'plex', 'alice')).toEqual({ reason: 'plex user "alice" is not in the household mapping' });
	});

	it("finds a person's user on each server: mapped, by name, or none", () => {
		const mum = personOf(household, 'plex', 'mum').person!;
		const kid = personOf(household, 'plex', 'kid').person!;
		const alice = personOf(household, 'plex', 'alice').person!;
		expect(userFor(household, mum, 'emby', users('alice', 'mother'))).toEqual({ id: '2', name: 'mother' });
		expect(userFor(household, kid, 'emby', users('kid', 'alice'))).toBeNull();
		expect(userFor(household, alice, 'jellyfin', users('Mom', 'ALICE'))).toEqual({ id: '2', name: 'ALICE' });
		expect(userFor(household, alice, 'jellyfin', users('Mom'))).toBeNull();
	});

	it('a line without a user on one server matches that server by the names on the line', () => {
		const h = parseHousehold('dad: jellyfin=Daddy');
		expect(personOf(h, 'plex', 'dad').person?.key).toBe('dad');
		expect(personOf(h, 'emby', 'daddy').person?.key).toBe('dad');
		expect(userFor(h, personOf(h, 'plex', 'dad').person!, 'emby', users('Daddy'))).toEqual({ id: '1', name: 'Daddy' });
	});

	it('never places a user another line claims under a different person', () => {
		// Plex "mother" is not mum: mum's Plex user is "mum"; a user named like a mapped one elsewhere stays apart.
		const h = parseHousehold('mum: plex=mum, emby=mother\nother: emby=mum');
		const mum = personOf(h, 'plex', 'mum').person!;
		expect(userFor(h, mum, 'emby', users('mum', 'mother'))).toEqual({ id: '2', name: 'mother' });
		expect(personOf(h, 'emby', 'mum').person?.key).toBe('other');
	});

	it.each([
		['mum plex=mum', 'household line 1 ("mum plex=mum"): write "person: plex=name, jellyfin=name, emby=name"'],
		['mum: kodi=mum', 'household line 1 ("mum: kodi=mum"): "kodi=mum" should be plex=…, jellyfin=… or emby=…'],
		['mum: plex=', 'household line 1 ("mum: plex="): no user name after plex='],
		['mum: plex=a, plex=b', 'household line 1 ("mum: plex=a, plex=b"): plex is named twice'],
		['mum: plex=a\ndad: plex=A', 'household line 2 ("dad: plex=A"): plex user "A" is already mapped to mum; a user belongs to one person'],
		['mum: plex=a\nmum: emby=b', 'household line 2 ("mum: emby=b"): the person "mum" has two lines'],
		['ignore: plex=a\nmum: plex=a', 'household line 2 ("mum: plex=a"): plex user "a" is already left out; a user belongs to one person'],
		['ignore: plex=-', 'household line 1 ("ignore: plex=-"): "-" means "no user" and has no place on an ignore line'],
		['mum:', 'household line 1 ("mum:"): name the person\'s user on at least one server'],
	])('refuses %j', (text, message) => {
		expect(() => parseHousehold(text)).toThrow(new HouseholdError(message));
	});

	it('checks every name it gives a server against that server before any write', () => {
		expect(() => checkHouseholdOn(household, 'jellyfin', users('Mom', 'Kiddo', 'alice'))).not.toThrow();
		expect(() => checkHouseholdOn(household, 'jellyfin', users('Mum', 'Kiddo'))).toThrow('the household maps mum to jellyfin user "Mom", which this server does not have (users: Mum, Kiddo)');
		expect(() => checkHouseholdOn(household, 'emby', users('mother', 'Alice', 'alice'))).toThrow('emby has two users named "alice" ("Alice"); the household cannot tell them apart by name');
		// Nameless system accounts (PMS lists some) are nobody, not two people with one name.
		expect(() => checkHouseholdOn(household, 'plex', users('', '', 'mum', 'kid'))).not.toThrow();
		expect(userFor(household, personOf(household, 'plex', 'alice').person!, 'plex', users('', 'mum'))).toBeNull();
	});
});
