/**
 * The sync's report in words: what was written per person and server, and what could not be
 * matched and why; capped lists with whole counts.
 */
import { planPerPerson, type PlanItem } from '../../nodes/shared/sync/plan';
import { changesByPerson, clock, describeItem, LISTED_PER_SERVER } from '../../nodes/shared/sync/report';

const NOW = '2026-12-01T12:00:00.000Z';
const at = '2026-11-20T20:00:00.000Z';

function movie(backend: PlanItem['backend'], n: number, state: Partial<PlanItem>, person = 'alice'): PlanItem {
	return { backend, type: 'movie', id: `${backend}-${n}`, title: `Film ${n}`, year: 2000 + n, guids: { imdb: `tt${1000000 + n}` }, played: false, positionMs: 0, durationMs: 6_000_000, updatedAt: at, person, ...state };
}

describe('the report of a sync', () => {
	it('names films, episodes and resume points as a person would', () => {
		expect(describeItem({ type: 'movie', title: 'Heat', year: 1995 })).toBe('Heat (1995)');
		expect(describeItem({ type: 'episode', title: 'The Dundies', show: { title: 'The Office', guids: {} }, season: 2, episode: 1 })).toBe('The Office S02E01 · The Dundies');
		expect([clock(2_530_000), clock(4_210_000)]).toEqual(['42:10', '1:10:10']);
	});

	it('lists per person and server what the plan writes, and counts past the cap', () => {
		const items: PlanItem[] = [];
		// alice: 60 films played on Plex only; bob: one half-watched on Jellyfin.
		for (let n = 1; n <= 60; n++) items.push(movie('plex', n, { played: true, playedAt: at }), movie('jellyfin', n, {}));
		items.push(movie('jellyfin', 99, { positionMs: 2_530_000 }, 'bob'), movie('plex', 99, { updatedAt: '2026-10-01T20:00:00.000Z' }, 'bob'));
		const plan = planPerPerson(items, new Map(), { now: NOW, propagateUnplayed: false });
		const changes = changesByPerson(plan.writes, (w) => w.target.person ?? '');
		expect(Object.keys(changes).sort()).toEqual(['alice', 'bob']);
		expect(changes.alice.jellyfin).toHaveLength(LISTED_PER_SERVER + 1);
		expect(changes.alice.jellyfin[0]).toMatch(/^played: Film \d+ \(20\d\d\)$/);
		expect(changes.alice.jellyfin[LISTED_PER_SERVER]).toBe(`… and ${60 - LISTED_PER_SERVER} more`);
		expect(changes.alice.plex).toBeUndefined();
		expect(changes.bob).toEqual({ plex: ['resume at 42:10: Film 99 (2099)'] });
	});

	it('says what could not be matched: a played film without ids, and one no other server has; an unplayed one is not worth a line', () => {
		const items: PlanItem[] = [
			movie('plex', 1, { played: true, playedAt: at }),
			movie('jellyfin', 1, { played: true, playedAt: at }),
			movie('jellyfin', 2, { played: true, playedAt: at, guids: {} }),
			movie('plex', 3, { played: true, playedAt: at }),
			movie('plex', 4, {}),
			movie('jellyfin', 5, { guids: {} }),
		];
		const { summary } = planPerPerson(items, new Map(), { now: NOW, propagateUnplayed: false });
		expect(summary.unmatched).toEqual({
			jellyfin: { withoutIds: 1, onlyHere: 0, examples: ['Film 2 (2002): no external id (match it on jellyfin, or refresh its metadata)'] },
			plex: { withoutIds: 0, onlyHere: 1, examples: ['Film 3 (2003): not found on jellyfin'] },
		});
		expect(summary.people.alice.unmatched).toEqual(summary.unmatched);
	});

	it('reports nothing unmatched when one server is synced alone (there is nothing to match with)', () => {
		const { summary } = planPerPerson([movie('plex', 3, { played: true, playedAt: at }), movie('plex', 2, { played: true, playedAt: at, guids: {} })], new Map(), { now: NOW, propagateUnplayed: false });
		expect(summary.unmatched).toBeUndefined();
	});
});
