/**
 * The sync rules as properties over generated worlds: several servers holding overlapping subsets
 * of one catalogue, each item in a random state.
 */
import fc from 'fast-check';
import { planPerPerson, planSync, PlanAbort, type PlanItem, type PlannedWrite, type Snapshot } from '../../nodes/shared/sync/plan';
import type { Backend } from '../../nodes/shared/model';
import { fileNameFor } from '../../nodes/shared/media/guids';
import { joins } from '../../nodes/shared/sync/idindex';

const SERVERS: Backend[] = ['plex', 'jellyfin', 'emby'];
const T0 = Date.UTC(2025, 0, 1);
const iso = (t: number) => new Date(t).toISOString();
const NOW = iso(T0 + 400 * 86_400_000);

const stateArb = fc.record({
	played: fc.constantFrom<boolean | null>(true, false, null),
	positionMs: fc.constantFrom(0, 30_000, 600_000, 1_800_000, 5_900_000),
	day: fc.integer({ min: 0, max: 365 }),
});

/** A world: for each catalogue title, which servers have it and in what state. */
const worldArb = fc.array(
	fc.record({
		kind: fc.constantFrom<'movie' | 'episode'>('movie', 'episode'),
		copies: fc.array(fc.tuple(fc.constantFrom(...SERVERS), stateArb), { minLength: 1, maxLength: 4 }),
		// episodes sometimes only match through the show's ids + numbers
		byShowOnly: fc.boolean(),
	}),
	{ minLength: 1, maxLength: 25 },
);

function itemsOf(world: Array<{ kind: 'movie' | 'episode'; copies: Array<[Backend, { played: boolean | null; positionMs: number; day: number }]>; byShowOnly: boolean }>): PlanItem[] {
	const items: PlanItem[] = [];
	world.forEach((title, t) => {
		const seen = new Set<string>();
		for (const [server, state] of title.copies) {
			if (seen.has(server)) continue;
			seen.add(server);
			const at = iso(T0 + state.day * 86_400_000);
			const base: PlanItem = {
				backend: server,
				type: title.kind,
				id: `${server}-${t}`,
				title: `Title ${t}`,
				guids: title.kind === 'movie' ? { imdb: `tt${1000000 + t}` } : title.byShowOnly ? {} : { tvdb: String(5000 + t) },
				played: state.played,
				positionMs: state.played === true ? 0 : state.positionMs,
				durationMs: 6_000_000,
				playedAt: state.played === true ? at : undefined,
				updatedAt: at,
			};
			if (title.kind === 'episode') Object.assign(base, { show: { title: `Show ${t}`, guids: { tvdb: String(90000 + t) } }, season: 1, episode: 1 });
			items.push(base);
		}
	});
	return items;
}

/** What the servers look like after the writes are applied. */
function applyWrites(items: PlanItem[], writes: PlannedWrite[], at: string): PlanItem[] {
	return items.map((item) => {
		const w = writes.find((x) => x.backend === item.backend && x.target.id === item.id);
		if (!w) return item;
		if (w.op === 'mark-played') return { ...item, played: true, playedAt: w.playedAt, positionMs: 0, updatedAt: at };
		if (w.op === 'mark-unplayed') return { ...item, played: false, playedAt: undefined, positionMs: 0, updatedAt: at };
		return { ...item, positionMs: w.positionMs, updatedAt: at };
	});
}

const key = (w: PlannedWrite) => `${w.backend}/${w.target.id}/${w.op}/${w.playedAt ?? ''}/${w.positionMs ?? ''}`;

describe('planSync properties', () => {
	it('does not depend on the order of its inputs', () => {
		fc.assert(
			fc.property(worldArb, fc.boolean(), fc.infiniteStream(fc.nat()), (world, propagate, seeds) => {
				const items = itemsOf(world);
				const shuffled = [...items].map((item) => ({ item, k: seeds.next().value })).sort((a, b) => a.k - b.k).map((x) => x.item);
				const a = planSync(items, undefined, { propagateUnplayed: propagate, now: NOW });
				const b = planSync(shuffled, undefined, { propagateUnplayed: propagate, now: NOW });
				expect(b.writes.map(key)).toEqual(a.writes.map(key));
				expect(b.snapshot).toEqual(a.snapshot);
			}),
			{ numRuns: 300 },
		);
	});

	it('writes nothing on a second run after its writes are applied', () => {
		fc.assert(
			fc.property(worldArb, fc.boolean(), (world, propagate) => {
				const items = itemsOf(world);
				const first = planSync(items, undefined, { propagateUnplayed: propagate, now: NOW });
				const later = iso(Date.parse(NOW) + 3_600_000);
				const after = applyWrites(items, first.writes, NOW);
				const second = planSync(after, first.snapshot, { propagateUnplayed: propagate, now: later });
				expect(second.writes).toEqual([]);
			}),
			{ numRuns: 300 },
		);
	});

	it('never turns unknown into unplayed, and never un-marks without an explicit un-mark', () => {
		fc.assert(
			fc.property(worldArb, (world) => {
				const items = itemsOf(world);
				const plan = planSync(items, undefined, { propagateUnplayed: true, now: NOW });
				expect(plan.writes.filter((w) => w.op === 'mark-unplayed')).toEqual([]);
			}),
			{ numRuns: 300 },
		);
	});

	it('never lets a tainted played flag mark anything', () => {
		fc.assert(
			fc.property(worldArb, (world) => {
				const items = itemsOf(world).map((i) => (i.played === true ? { ...i, event: 'play' as const, tainted: true } : i));
				const plan = planSync(items, undefined, { propagateUnplayed: true, now: NOW });
				expect(plan.writes.filter((w) => w.op === 'mark-played')).toEqual([]);
			}),
			{ numRuns: 300 },
		);
	});

	it('only writes to allowed targets and only from allowed sources', () => {
		fc.assert(
			fc.property(worldArb, (world) => {
				const items = itemsOf(world);
				const plan = planSync(items, undefined, { propagateUnplayed: true, sources: ['plex'], targets: ['jellyfin'], now: NOW });
				for (const w of plan.writes) {
					expect(w.backend).toBe('jellyfin');
					expect(w.source.backend).toBe('plex');
				}
			}),
			{ numRuns: 200 },
		);
	});
});

describe('planSync rules by example', () => {
	const movie = (backend: Backend, extra: Partial<PlanItem>): PlanItem => ({
		backend,
		type: 'movie',
		id: `${backend}-1`,
		title: 'Heat',
		guids: { imdb: 'tt0113277' },
		played: false,
		positionMs: 0,
		durationMs: 6_000_000,
		updatedAt: '2025-01-01T00:00:00.000Z',
		...extra,
	});
	const snapshotWith = (played: Record<string, string[]>, takenAt = '2025-06-01T00:00:00.000Z'): Snapshot => ({
		kind: 'watchstate-snapshot',
		version: 1,
		takenAt,
		backends: Object.fromEntries(Object.entries(played).map(([k, v]) => [k, { count: 1, played: v }])),
	});

	it('marks played where it is not, with the watched date of the play', () => {
		const plan = planSync([movie('plex', { played: true, playedAt: '2025-03-01T00:00:00.000Z', updatedAt: '2025-03-01T00:00:00.000Z' }), movie('jellyfin', {})], undefined, { propagateUnplayed: false, now: NOW });
		expect(plan.writes).toEqual([expect.objectContaining({ backend: 'jellyfin', op: 'mark-played', playedAt: '2025-03-01T00:00:00.000Z', source: { backend: 'plex', id: 'plex-1', title: 'Heat' } })]);
		expect(plan.snapshot.backends).toEqual({ plex: { count: 1, played: ['plex-1'], resumed: [] }, jellyfin: { count: 1, played: ['jellyfin-1'], resumed: [] } });
	});

	it('lets a newer explicit un-mark (seen through the snapshot) win, and an older one lose', () => {
		const items = [movie('plex', { played: false }), movie('jellyfin', { played: true, playedAt: '2025-02-01T00:00:00.000Z' })];
		const newer = planSync(items, snapshotWith({ plex: ['plex-1'], jellyfin: ['jellyfin-1'] }), { propagateUnplayed: true, now: NOW });
		expect(newer.writes.map((w) => [w.backend, w.op])).toEqual([['jellyfin', 'mark-unplayed']]);
		const replayed = [items[0], movie('jellyfin', { played: true, playedAt: '2025-07-01T00:00:00.000Z' })];
		const older = planSync(replayed, snapshotWith({ plex: ['plex-1'], jellyfin: ['jellyfin-1'] }), { propagateUnplayed: true, now: NOW });
		expect(older.writes.map((w) => [w.backend, w.op])).toEqual([['plex', 'mark-played']]);
	});

	it('holds an un-mark it may not propagate instead of re-marking it', () => {
		const items = [movie('plex', { played: false }), movie('jellyfin', { played: true, playedAt: '2025-02-01T00:00:00.000Z' })];
		const first = planSync(items, snapshotWith({ plex: ['plex-1'], jellyfin: ['jellyfin-1'] }), { propagateUnplayed: false, now: NOW });
		expect(first.writes).toEqual([]);
		const second = planSync(items, first.snapshot, { propagateUnplayed: false, now: NOW });
		expect(second.writes).toEqual([]);
	});

	it('copies the newest position but not onto a newer or played target', () => {
		const plan = planSync(
			[
				movie('plex', { positionMs: 1_200_000, updatedAt: '2025-05-01T00:00:00.000Z' }),
				movie('jellyfin', { positionMs: 0, updatedAt: '2025-04-01T00:00:00.000Z' }),
				movie('emby', { positionMs: 300_000, updatedAt: '2025-06-01T00:00:00.000Z' }),
			],
			undefined,
			{ propagateUnplayed: false, now: NOW },
		);
		expect(plan.writes.map((w) => [w.backend, w.op, w.positionMs])).toEqual([
			['jellyfin', 'set-position', 300_000],
			['plex', 'set-position', 300_000],
		]);
	});

	it('matches episodes by show ids + numbers when they have no ids of their own', () => {
		const ep = (backend: Backend, extra: Partial<PlanItem>): PlanItem =>
			movie(backend, { type: 'episode', guids: {}, show: { title: 'S', guids: { tvdb: '81189' } }, season: 2, episode: 3, ...extra });
		const plan = planSync([ep('plex', { played: true }), ep('emby', { guids: { tvdb: '349232' } })], undefined, { propagateUnplayed: false, now: NOW });
		expect(plan.writes.map((w) => [w.backend, w.op])).toEqual([['emby', 'mark-played']]);
	});

	it('aborts when a listing is missing or shrank by more than the limit', () => {
		const prev: Snapshot = { kind: 'watchstate-snapshot', version: 1, takenAt: NOW, backends: { plex: { count: 100, played: [] }, emby: { count: 10, played: [] } } };
		const plexItems = (n: number) => Array.from({ length: n }, (_, i) => movie('plex', { id: `p${i}`, guids: { imdb: `tt${2000000 + i}` } }));
		expect(() => planSync(plexItems(95), prev, { propagateUnplayed: false, now: NOW })).toThrow(new PlanAbort('emby listed no items (the last run saw 10); its listing probably failed, so nothing is written'));
		const items = plexItems(85);
		const withEmby = [...items, ...Array.from({ length: 10 }, (_, i) => movie('emby', { id: `e${i}`, guids: { imdb: `tt${2000000 + i}` } }))];
		expect(() => planSync(withEmby, prev, { propagateUnplayed: false, now: NOW })).toThrow('plex listed 85 items, 15 % fewer than the 100 of the last run (limit 10 %); nothing is written');
		expect(planSync(withEmby, prev, { propagateUnplayed: false, now: NOW, maxShrinkPercent: 20 }).writes).toEqual([]);
	});
});

describe('planPerPerson: a household is planned person by person', () => {
	const PEOPLE = ['alice', 'bob', 'kid'];
	/** The same catalogue for every person, each with their own states, as one listing per server and user. */
	const householdArb = fc.tuple(worldArb, worldArb, worldArb);
	const withPeople = (worlds: Parameters<typeof itemsOf>[0][]) =>
		worlds.flatMap((world, p) => itemsOf(world).map((item) => ({ ...item, userId: `${PEOPLE[p]}-${item.backend}`, userName: PEOPLE[p], person: PEOPLE[p] })));

	it('never writes one person\'s state onto another person\'s user, with un-marks propagated', () => {
		fc.assert(
			fc.property(householdArb, (worlds) => {
				const items = withPeople(worlds);
				const result = planPerPerson(items, new Map(), { propagateUnplayed: true, now: NOW });
				for (const w of result.writes) {
					expect(w.source.person).toBe(w.target.person);
					expect(w.target.userId).toBe(`${w.target.person}-${w.backend}`);
				}
				// Exactly what each person's items alone would plan.
				const alone = PEOPLE.flatMap((p) => planSync(items.filter((i) => i.person === p), undefined, { propagateUnplayed: true, now: NOW }).writes);
				expect(result.writes).toEqual(alone);
			}),
			{ numRuns: 200 },
		);
	});

	it('keeps a snapshot per person, so one person\'s un-mark is seen against their own last run', () => {
		const movie = (backend: Backend, person: string, played: boolean): PlanItem => ({ backend, type: 'movie', id: `m-${backend}`, title: 'M', guids: { imdb: 'tt1' }, played, updatedAt: iso(T0), playedAt: played ? iso(T0) : undefined, userId: `${person}-${backend}`, person });
		// Last run: alice played it on both servers; bob on neither.
		const first = planPerPerson([movie('plex', 'alice', true), movie('emby', 'alice', true), movie('plex', 'bob', false), movie('emby', 'bob', false)], new Map(), { propagateUnplayed: true, now: iso(T0 + 1000) });
		expect(first.writes).toEqual([]);
		expect([...first.snapshots.keys()]).toEqual(['alice', 'bob']);
		// Now alice un-marked it on Plex; bob played it on Emby.
		const second = planPerPerson([movie('plex', 'alice', false), movie('emby', 'alice', true), movie('plex', 'bob', false), movie('emby', 'bob', true)], first.snapshots, { propagateUnplayed: true, now: iso(T0 + 2000) });
		expect(second.writes.map((w) => [w.target.person, w.backend, w.op])).toEqual([
			['alice', 'emby', 'mark-unplayed'],
			['bob', 'plex', 'mark-played'],
		]);
	});

	it("guards each person's listing against their own last count, and names the person", () => {
		const items = (person: string, n: number) => Array.from({ length: n }, (_, i): PlanItem => ({ backend: 'plex', type: 'movie', id: String(i), title: 'x', guids: { imdb: `tt${i}` }, played: false, updatedAt: iso(T0), person, userId: person }));
		const previous = new Map<string, Snapshot>([
			['alice', { kind: 'watchstate-snapshot', version: 1, takenAt: iso(T0), backends: { plex: { count: 100, played: [] } } }],
			['bob', { kind: 'watchstate-snapshot', version: 1, takenAt: iso(T0), backends: { plex: { count: 10, played: [] } } }],
		]);
		// bob sees 10 of 100 (a user restricted to one library): his own baseline, no abort.
		expect(() => planPerPerson([...items('alice', 100), ...items('bob', 10)], previous, { propagateUnplayed: false, now: NOW })).not.toThrow();
		expect(() => planPerPerson([...items('alice', 100)], previous, { propagateUnplayed: false, now: NOW })).toThrow(new PlanAbort('bob: plex listed no items (the last run saw 10); its listing probably failed, so nothing is written'));
	});
});

describe('a play history (Trakt) as a source and a target', () => {
	const movie = (backend: Backend, id: string, played: boolean | null, day: number, extra: Partial<PlanItem> = {}): PlanItem => ({
		backend,
		type: 'movie',
		id,
		title: 'Heat',
		year: 1995,
		guids: { imdb: 'tt0113277' },
		played,
		playedAt: played ? iso(T0 + day * 86_400_000) : undefined,
		updatedAt: iso(T0 + day * 86_400_000),
		durationMs: 6_000_000,
		...extra,
	});
	const history = { backend: 'trakt', person: '' };
	const plan = (items: PlanItem[], extra: object = {}) => planSync(items, undefined, { propagateUnplayed: false, now: NOW, history, ...extra });

	it('gets a play it lacks, with the play date, even when only one server has the item', () => {
		const { writes } = plan([movie('plex', 'p1', true, 10)]);
		expect(writes).toEqual([expect.objectContaining({ backend: 'trakt', op: 'mark-played', playedAt: iso(T0 + 10 * 86_400_000), target: expect.objectContaining({ id: '', guids: { imdb: 'tt0113277' } }) })]);
	});

	it('is a source: its play reaches the servers that have the item unplayed', () => {
		const { writes } = plan([movie('trakt', 'movie:1', true, 20), movie('plex', 'p1', false, 5), movie('jellyfin', 'j1', null, 5)]);
		expect(writes.map((w) => [w.backend, w.op, w.playedAt])).toEqual([
			['jellyfin', 'mark-played', iso(T0 + 20 * 86_400_000)],
			['plex', 'mark-played', iso(T0 + 20 * 86_400_000)],
		]);
	});

	it('gets no resume positions, and nothing when played only there or nowhere', () => {
		const paused = movie('plex', 'p1', false, 30, { positionMs: 1_200_000 });
		expect(plan([paused, movie('trakt', 'movie:1', false, 1)]).writes).toEqual([]);
		expect(plan([paused]).writes).toEqual([]);
		expect(plan([movie('trakt', 'movie:1', true, 1)]).writes).toEqual([]);
	});

	it('is written for its own person only: another person of the household never reaches it', () => {
		const mine = { ...movie('plex', 'p1', true, 10), person: 'alice' };
		const theirs = { ...movie('plex', 'p2', true, 10), person: 'bob', guids: { imdb: 'tt0000002' } };
		const { writes } = planPerPerson([mine, theirs], new Map(), { propagateUnplayed: false, now: NOW, history: { backend: 'trakt', person: 'alice' } });
		expect(writes.map((w) => [w.backend, w.target.guids.imdb, w.source.person])).toEqual([['trakt', 'tt0113277', 'alice']]);
	});

	it('is not written when Servers to Write leaves it out', () => {
		expect(plan([movie('plex', 'p1', true, 10)], { targets: ['plex', 'jellyfin'] }).writes).toEqual([]);
	});

	it('after its writes are applied, a second run plans nothing', () => {
		const items = [movie('plex', 'p1', true, 10), movie('jellyfin', 'j1', false, 3), { ...movie('emby', 'e1', true, 12), guids: { imdb: 'tt0000009' } }];
		const first = plan(items);
		expect(first.writes.map((w) => [w.backend, w.op])).toEqual([
			['jellyfin', 'mark-played'],
			['trakt', 'mark-played'],
			['trakt', 'mark-played'],
		]);
		const servers = applyWrites(items, first.writes.filter((w) => w.backend !== 'trakt'), NOW);
		const trakt = first.writes.filter((w) => w.backend === 'trakt').map((w, i) => ({ ...w.target, id: `movie:${i}`, played: true, playedAt: w.playedAt, updatedAt: w.playedAt! }));
		expect(planSync([...servers, ...trakt], first.snapshot, { propagateUnplayed: false, now: NOW, history }).writes).toEqual([]);
	});

	it('an explicit un-mark reaches it only with Propagate Un-Marks', () => {
		const snapshot: Snapshot = { kind: 'watchstate-snapshot', version: 1, takenAt: iso(T0 + 50 * 86_400_000), backends: { plex: { count: 1, played: ['p1'] }, trakt: { count: 1, played: ['movie:1'] } } };
		const items = [movie('plex', 'p1', false, 60), movie('trakt', 'movie:1', true, 10)];
		expect(planSync(items, snapshot, { propagateUnplayed: false, now: NOW, history }).writes).toEqual([]);
		expect(planSync(items, snapshot, { propagateUnplayed: true, now: NOW, history }).writes.map((w) => [w.backend, w.op])).toEqual([['trakt', 'mark-unplayed']]);
	});
});

describe('what a person did after a run is never undone by it', () => {
	const film = (backend: Backend, extra: Partial<PlanItem>): PlanItem => ({
		backend,
		type: 'movie',
		id: `${backend}-9`,
		title: 'Ran',
		guids: { imdb: 'tt0089881' },
		played: false,
		positionMs: 0,
		durationMs: 9_600_000,
		updatedAt: '2024-01-01T00:00:00.000Z',
		...extra,
	});
	const RUN1 = '2026-05-01T10:00:00.000Z';
	const RUN2 = '2026-05-01T11:00:00.000Z';
	const ORIGIN = Date.UTC(2025, 2, 1);
	// The first run wrote the Plex copy 3 s after planning; PMS dated it with its clock, 20 s ahead.
	const stamped = new Date(Date.parse(RUN1) + 23_000).toISOString();
	const previous = (plex: Partial<Snapshot['backends'][string]>, jellyfin: Partial<Snapshot['backends'][string]>): Snapshot => ({
		kind: 'watchstate-snapshot',
		version: 1,
		takenAt: RUN1,
		backends: { plex: { count: 1, played: [], ...plex }, jellyfin: { count: 1, played: [], ...jellyfin } },
	});
	const stamp = { id: 'plex-9', origin: ORIGIN, from: Date.parse(RUN1) + 2_000, to: Date.parse(RUN1) + 3_000 };

	it('a play the sync copied to Plex is dated as the play it copied, so the later un-mark wins', () => {
		const items = [film('plex', { played: true, playedAt: stamped, updatedAt: stamped }), film('jellyfin', { played: false })];
		const remembered = planSync(items, previous({ played: ['plex-9'], written: [stamp] }, { played: ['jellyfin-9'] }), { propagateUnplayed: true, now: RUN2 });
		expect(remembered.writes.map((w) => [w.backend, w.op])).toEqual([['plex', 'mark-unplayed']]);
		// The write names the target as Plex listed it (its real date), so the re-read agrees with it.
		expect(remembered.writes[0].target.updatedAt).toBe(stamped);
		// Without the record, the copy looks like a newer play and re-marks Jellyfin: what this prevents.
		const forgotten = planSync(items, previous({ played: ['plex-9'] }, { played: ['jellyfin-9'] }), { propagateUnplayed: true, now: RUN2 });
		expect(forgotten.writes.map((w) => [w.backend, w.op])).toEqual([['jellyfin', 'mark-played']]);
	});

	it('a play made on Plex after the sync wrote is the person\'s, and keeps its date', () => {
		const later = new Date(Date.parse(RUN1) + 20 * 60_000).toISOString();
		const items = [film('plex', { played: true, playedAt: later, updatedAt: later }), film('jellyfin', { played: false })];
		const plan = planSync(items, previous({ played: ['plex-9'], written: [stamp] }, { played: ['jellyfin-9'] }), { propagateUnplayed: true, now: RUN2 });
		expect(plan.writes.map((w) => [w.backend, w.op])).toEqual([['jellyfin', 'mark-played']]);
	});

	it('a record is kept while a later run could still date an un-mark before it, then dropped', () => {
		const items = [film('plex', { played: true, playedAt: stamped, updatedAt: stamped }), film('jellyfin', { played: true, playedAt: new Date(ORIGIN).toISOString() })];
		const soon = planSync(items, previous({ played: ['plex-9'], written: [stamp] }, { played: ['jellyfin-9'] }), { propagateUnplayed: true, now: new Date(Date.parse(RUN1) + 30_000).toISOString() });
		expect(soon.snapshot.backends.plex.written).toEqual([stamp]);
		expect(planSync(items, previous({ played: ['plex-9'], written: [stamp] }, { played: ['jellyfin-9'] }), { propagateUnplayed: true, now: RUN2 }).snapshot.backends.plex.written).toBeUndefined();
	});

	it('a resume point reset since the last run is not overwritten by an older one, run after run', () => {
		const items = [film('plex', { positionMs: 1_800_000, updatedAt: stamped }), film('jellyfin', { positionMs: 0, updatedAt: '2024-01-01T00:00:00.000Z' })];
		const first = planSync(items, previous({ resumed: ['plex-9'], written: [stamp] }, { resumed: ['jellyfin-9'] }), { propagateUnplayed: false, now: RUN2 });
		expect(first.writes).toEqual([]);
		// The reset is held: the next runs see it again, whatever the copy's date.
		expect(first.snapshot.backends.jellyfin.resumed).toEqual(['jellyfin-9']);
		const second = planSync(items, first.snapshot, { propagateUnplayed: false, now: '2026-05-02T11:00:00.000Z' });
		expect(second.writes).toEqual([]);
		// Without the snapshot's memory of the resume point, the older position comes back.
		expect(planSync(items, previous({}, {}), { propagateUnplayed: false, now: RUN2 }).writes.map((w) => [w.backend, w.op])).toEqual([['jellyfin', 'set-position']]);
	});

	it('a mark-played onto a newer rewatch keeps its resume point; onto an older position it does not', () => {
		const played = film('jellyfin', { played: true, playedAt: new Date(ORIGIN).toISOString(), updatedAt: new Date(ORIGIN).toISOString() });
		const rewatch = planSync([played, film('plex', { positionMs: 1_800_000, updatedAt: '2026-04-30T20:00:00.000Z' })], undefined, { propagateUnplayed: false, now: RUN2 });
		expect(rewatch.writes.map((w) => [w.backend, w.op, w.keepPositionMs])).toEqual([['plex', 'mark-played', 1_800_000]]);
		expect(rewatch.snapshot.backends.plex).toMatchObject({ played: ['plex-9'], resumed: ['plex-9'] });
		const stale = planSync([played, film('plex', { positionMs: 1_800_000, updatedAt: '2024-06-01T00:00:00.000Z' })], undefined, { propagateUnplayed: false, now: RUN2 });
		expect(stale.writes.map((w) => [w.backend, w.op, w.keepPositionMs])).toEqual([['plex', 'mark-played', undefined]]);
	});

	it('a server that could not be read for a person is left out for them: no abort, its snapshot kept', () => {
		const last = previous({ count: 40, played: ['plex-9'] }, { count: 1, played: [] });
		const plan = planPerPerson([film('jellyfin', { person: 'gran' })], new Map([['gran', last]]), { propagateUnplayed: true, now: RUN2 }, new Map([['gran', ['plex']]]));
		expect(plan.writes).toEqual([]);
		expect(plan.snapshots.get('gran')!.backends.plex).toEqual({ count: 40, played: ['plex-9'], resumed: [] });
		expect(() => planPerPerson([film('jellyfin', { person: 'gran' })], new Map([['gran', last]]), { propagateUnplayed: true, now: RUN2 })).toThrow(PlanAbort);
	});
});

describe('matching needs the ids to agree', () => {
	const at = '2025-03-01T00:00:00.000Z';
	const film = (backend: Backend, id: string, guids: PlanItem['guids'], extra: Partial<PlanItem> = {}): PlanItem => ({ backend, type: 'movie', id, title: id, guids, played: false, positionMs: 0, updatedAt: '2024-01-01T00:00:00.000Z', ...extra });
	const ALIEN = { imdb: 'tt0078748', tmdb: '348' };
	const ALIENS = { imdb: 'tt0090605', tmdb: '679' };

	it('one shared id beside a contradicting one is a conflict, reported and not written (Aliens with Alien\'s TMDb id)', () => {
		const items = [
			film('plex', 'alien', ALIEN, { played: true, playedAt: at }),
			film('plex', 'aliens', ALIENS),
			// Jellyfin's Aliens carries a wrong TMDb id: Alien's.
			film('jellyfin', 'jf-aliens', { imdb: ALIENS.imdb, tmdb: ALIEN.tmdb }),
		];
		const plan = planSync(items, undefined, { propagateUnplayed: false, now: NOW });
		expect(plan.writes).toEqual([]);
		expect(plan.conflicts.map((c) => [c.reason, c.items.map((i) => i.id).sort()])).toEqual(
			expect.arrayContaining([
				[expect.stringMatching(/imdb ids differ/), ['alien', 'jf-aliens']],
				[expect.stringMatching(/tmdb ids differ/), ['aliens', 'jf-aliens']],
			]),
		);
		expect(plan.summary.conflicts).toBe(2);
	});

	it('items without ids join by their file name alone (case folded), never an item with ids, and the backends keep the name only for id-less items', () => {
		const played = { played: true, playedAt: at };
		const items = [
			film('plex', 'home', {}, { ...played, file: 'Holiday 2019.mkv' }),
			film('jellyfin', 'jf-home', {}, { file: 'holiday 2019.MKV' }),
			film('emby', 'em-other', {}, { file: 'Holiday 2020.mkv' }),
			film('emby', 'em-alien', ALIEN),
		];
		const plan = planSync(items, undefined, { propagateUnplayed: false, now: NOW });
		expect(plan.writes.map((w) => [w.backend, w.target.id, w.op])).toEqual([['jellyfin', 'jf-home', 'mark-played']]);
		expect(joins(film('plex', 'x', {}, { file: 'Alien.mkv' }), film('jellyfin', 'y', ALIEN))).toBe(false);
		expect(fileNameFor(true, '/media/home/Holiday 2019.mkv', {})).toBe('Holiday 2019.mkv');
		expect(fileNameFor(true, 'D:\\Videos\\Holiday 2019.mkv', {})).toBe('Holiday 2019.mkv');
		expect(fileNameFor(true, '/media/movies/Alien (1979).mkv', ALIEN)).toBeUndefined();
		expect(fileNameFor(true, '/media/tv/Show/S01E01.mkv', {}, { tvdb: '1' })).toBeUndefined();
		expect(fileNameFor(false, '/media/home/Holiday 2019.mkv', {})).toBeUndefined();
	});

	it('a chain that joins contradicting items through a third is a conflict as a whole', () => {
		const items = [film('plex', 'a', { imdb: 'tt1', tmdb: '1' }, { played: true, playedAt: at }), film('jellyfin', 'b', { imdb: 'tt1' }), film('emby', 'c', { imdb: 'tt1', tmdb: '2' })];
		const plan = planSync(items, undefined, { propagateUnplayed: false, now: NOW });
		// b agrees with both a and c, which contradict each other: nothing is joined or written.
		expect(plan.writes).toEqual([]);
		expect(plan.conflicts).toHaveLength(1);
	});

	it('episodes by show and numbers only where their own ids do not contradict (DVD against aired order)', () => {
		const ep = (backend: Backend, id: string, episode: number, tvdb: string | undefined, extra: Partial<PlanItem> = {}): PlanItem => ({
			...film(backend, id, tvdb ? { tvdb } : {}),
			type: 'episode',
			show: { title: 'S', guids: { tvdb: '81189' } },
			season: 1,
			episode,
			...extra,
		});
		const items = [ep('trakt', 't1', 1, '5001', { played: true, playedAt: at }), ep('plex', 'p1', 1, '5002'), ep('plex', 'p2', 2, '5001')];
		const plan = planSync(items, undefined, { propagateUnplayed: false, now: NOW });
		expect(plan.writes.map((w) => w.target.id)).toEqual(['p2']);
		expect(plan.conflicts).toEqual([]);
	});

	it('a server that lost its watch state does not un-mark everywhere with Propagate Un-Marks; without it nothing is lost anyway', () => {
		const many = Array.from({ length: 40 }, (_, i) => i);
		const items = many.flatMap((i) => [film('plex', `p${i}`, { imdb: `tt${i + 100}` }, { played: i >= 30 ? true : false }), film('jellyfin', `j${i}`, { imdb: `tt${i + 100}` }, { played: true, playedAt: at })]);
		const previous: Snapshot = { kind: 'watchstate-snapshot', version: 1, takenAt: '2025-06-01T00:00:00.000Z', backends: { plex: { count: 40, played: many.map((i) => `p${i}`) }, jellyfin: { count: 40, played: many.map((i) => `j${i}`) } } };
		expect(() => planSync(items, previous, { propagateUnplayed: true, now: NOW })).toThrow(/plex shows 30 of its 40 plays as unplayed since the last run/);
		// Off: the plays are held (and Plex is re-marked from Jellyfin: the way back from a lost database).
		expect(planSync(items, previous, { propagateUnplayed: false, now: NOW }).writes.filter((w) => w.op === 'mark-unplayed')).toEqual([]);
		// A person un-marking a few is no loss.
		const few = items.map((item) => (item.backend === 'plex' && Number(item.id.slice(1)) < 3 ? item : item.backend === 'plex' ? { ...item, played: true, playedAt: at } : item));
		expect(planSync(few, previous, { propagateUnplayed: true, now: NOW }).writes.filter((w) => w.op === 'mark-unplayed')).toHaveLength(3);
	});
});
