/**
 * Property tests: whatever arrives, a parser returns one of its three outcomes (never throws), and
 * an event it lets through obeys the contract. Inputs are random JSON values plus real payloads
 * with fields deleted or replaced by values of the wrong type.
 */
import fc from 'fast-check';
import { parseEmbyWebhook } from '../../nodes/shared/backends/emby/webhook';
import { parseJellyfinWebhook } from '../../nodes/shared/backends/jellyfin/webhook';
import { parsePlexWebhook } from '../../nodes/shared/backends/plex/webhook';
import { parseTautulliWebhook } from '../../nodes/shared/backends/tautulli/webhook';
import type { ParseContext } from '../../nodes/shared/webhook/event';
import type { ParseOutcome } from '../../nodes/shared/webhook/outcome';
import { WATCH_EVENT_NAMES } from '../../nodes/shared/model';
import { fixtureJson, fixturesPresent } from '../support/fixtures';

const parsers = {
	plex: { parse: parsePlexWebhook, samples: ['specs/plex/webhook-media.scrobble-episode.json', 'specs/plex/webhook-media.stop-movie.json'] },
	jellyfin: {
		parse: parseJellyfinWebhook,
		samples: ['specs/jellyfin/webhook-PlaybackStop-episode.json', 'specs/jellyfin/webhook-UserDataSaved-TogglePlayed-movie.json'],
	},
	emby: { parse: parseEmbyWebhook, samples: ['specs/emby/webhook-playback.stop-movie.json', 'specs/emby/webhook-item.markplayed-episode.json'] },
	tautulli: { parse: parseTautulliWebhook, samples: ['specs/tautulli/webhook-tautulli.watched-episode.json'] },
};

const ctx: ParseContext = { receivedAt: '2026-01-02T03:04:05.000Z', progressEvents: true, allowWithoutUser: true };

function checkContract(outcome: ParseOutcome): void {
	expect(['event', 'ignored', 'invalid']).toContain(outcome.kind);
	if (outcome.kind === 'invalid') {
		expect(typeof outcome.reason).toBe('string');
		expect(outcome.status).toBeGreaterThanOrEqual(400);
		expect(outcome.status).toBeLessThan(500);
		expect(outcome.reason.length).toBeLessThan(400);
		return;
	}
	if (outcome.kind === 'ignored') {
		expect(typeof outcome.reason).toBe('string');
		expect(outcome.reason.length).toBeLessThan(400);
		return;
	}
	const e = outcome.event;
	expect(typeof e.id).toBe('string');
	expect(e.id.length).toBeGreaterThan(0);
	expect(e.id.length).toBeLessThanOrEqual(128);
	expect(['movie', 'episode']).toContain(e.type);
	expect(WATCH_EVENT_NAMES).toContain(e.event);
	expect([true, false, null]).toContain(e.played);
	expect(typeof e.tainted).toBe('boolean');
	// Only an explicit un-mark may carry an untainted "unplayed".
	if (e.played === false && !e.tainted) expect(e.event).toBe('unplayed');
	if (e.progress !== undefined) expect(e.progress >= 0 && e.progress <= 100).toBe(true);
	expect(Number.isNaN(Date.parse(e.updatedAt))).toBe(false);
}

/** Names that a plain-object table lookup would find on Object.prototype. */
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

/** Adds a key (as JSON.parse would, so `__proto__` becomes an own key) to one object in the tree. */
function addKey(root: unknown, path: number[], key: string, value: unknown): unknown {
	const copy = JSON.parse(JSON.stringify(root)) as Record<string, unknown>;
	let node = copy;
	for (const step of path) {
		const children = Object.values(node).filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && !Array.isArray(c));
		if (children.length === 0) break;
		node = children[step % children.length];
	}
	Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
	return copy;
}

/** Replaces or deletes one value somewhere in a JSON tree. */
function mutate(root: unknown, path: number[], replacement: unknown, remove: boolean): unknown {
	const copy = JSON.parse(JSON.stringify(root)) as unknown;
	let node = copy as Record<string, unknown>;
	for (let depth = 0; depth < path.length; depth++) {
		if (typeof node !== 'object' || node === null) break;
		const keys = Object.keys(node);
		if (keys.length === 0) break;
		const key = keys[path[depth] % keys.length];
		const child = node[key];
		if (depth === path.length - 1 || typeof child !== 'object' || child === null) {
			if (remove) delete node[key];
			else node[key] = replacement;
			break;
		}
		node = child as Record<string, unknown>;
	}
	return copy;
}

describe.each(Object.entries(parsers))('%s parser under random input', (_name, { parse, samples }) => {
	it('never throws on arbitrary JSON values', () => {
		fc.assert(
			fc.property(fc.jsonValue(), (value) => {
				checkContract(parse(value, ctx));
			}),
			{ numRuns: 500 },
		);
	});

	(fixturesPresent ? it : it.skip)('never throws on real payloads with fields removed or of the wrong type', () => {
		const payloads = samples.map((s) => fixtureJson(s));
		fc.assert(
			fc.property(
				fc.constantFrom(...payloads),
				fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
				fc.jsonValue({ maxDepth: 2 }),
				fc.boolean(),
				(payload, path, replacement, remove) => {
					checkContract(parse(mutate(payload, path, replacement, remove), ctx));
				},
			),
			{ numRuns: 1000 },
		);
	});

	(fixturesPresent ? it : it.skip)('treats prototype names (constructor, __proto__, …) as unknown names, in values and in keys', () => {
		const payloads = samples.map((sample) => fixtureJson(sample));
		fc.assert(
			fc.property(
				fc.constantFrom(...payloads),
				fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
				fc.constantFrom(...PROTOTYPE_NAMES),
				fc.boolean(),
				(payload, path, name, asKey) => {
					const changed = asKey ? addKey(payload, path, name, '12345') : mutate(payload, path, name, false);
					checkContract(parse(changed, ctx));
				},
			),
			{ numRuns: 600 },
		);
	});
});
