/**
 * Contract tests: every client operation of the Plex, Jellyfin and Emby nodes, driven through the
 * nodes' execute() against every emulated server version, must stay inside that version's
 * published spec (../shared/fixtures/specs/openapi): no route, method, parameter, value or body
 * the spec does not document. The emulators' own answers are checked against the spec's response
 * schemas too. Skipped (and said so) when the shared specs are not beside this repository.
 */
import type { ICredentialType, IDataObject, INodeType } from 'n8n-workflow';
import { EmbyApi } from '../../credentials/EmbyApi.credentials';
import { JellyfinApi } from '../../credentials/JellyfinApi.credentials';
import { PlexApi } from '../../credentials/PlexApi.credentials';
import { Emby } from '../../nodes/Emby/Emby.node';
import { Jellyfin } from '../../nodes/Jellyfin/Jellyfin.node';
import { Plex } from '../../nodes/Plex/Plex.node';
import { seedLibrary, type SeedItem } from '../../dev/emulators/library';
import { EmbyEmulator, JellyfinEmulator } from '../../dev/emulators/mediabrowser';
import { PlexEmulator } from '../../dev/emulators/plex';
import type { EmulatedServer } from '../../dev/emulators/server';
import type { Violation } from '../../dev/emulators/spec/gate';
import { specsPresent } from '../../dev/emulators/spec/files';
import { EMBY_VERSIONS, JELLYFIN_VERSIONS } from '../../dev/emulators/versions';
import { authenticatedRequest, runNode } from '../support/execute';
import type { MediaClient } from '../../nodes/shared/backends/client';
import { EmbyClient, JellyfinClient } from '../../nodes/shared/backends/mediabrowser/api';
import { PlexClient } from '../../nodes/shared/backends/plex/api';
import type { Send } from '../../nodes/shared/transport/http';

const describeWithSpecs = specsPresent ? describe : describe.skip;

const library = seedLibrary({ movies: 30, shows: 3, seasonsPerShow: 2, episodesPerSeason: 4 });
const admin = { id: '5a0b1c2d3e4f40718293a4b5c6d7e8f9', name: 'alice', token: 'dummy-contract-alice', admin: true };
const API_KEY = 'dummy-contract-api-key';

interface Target {
	label: string;
	server: EmulatedServer & { idOf?(item: SeedItem): string; keyOf?(item: SeedItem): string };
	node: INodeType;
	credentialType: ICredentialType;
	credentials: () => IDataObject;
	userId?: string;
	/** The server's own id of a seeded item. */
	id(item: SeedItem): string;
	canSetPositions: boolean;
}

function plexTarget(): Target {
	const server = new PlexEmulator({ library, users: [{ ...admin, id: '1' }] });
	return {
		label: 'Plex Media Server',
		server,
		node: new Plex(),
		credentialType: new PlexApi(),
		credentials: () => ({ baseUrl: server.url, token: admin.token, clientIdentifier: 'contract-test', ignoreSslIssues: false }),
		id: (item) => server.keyOf(item),
		canSetPositions: true,
	};
}

function jellyfinTarget(version: string): Target {
	const server = new JellyfinEmulator({ library, users: [admin], apiKey: API_KEY, version });
	return {
		label: `Jellyfin ${version}`,
		server,
		node: new Jellyfin(),
		credentialType: new JellyfinApi(),
		credentials: () => ({ baseUrl: server.url, token: API_KEY, ignoreSslIssues: false }),
		userId: admin.id,
		id: (item) => server.idOf(item),
		canSetPositions: !version.startsWith('10.8'),
	};
}

function embyTarget(version: string): Target {
	const server = new EmbyEmulator({ library, users: [admin], apiKey: API_KEY, version });
	return {
		label: `Emby ${version}`,
		server,
		node: new Emby(),
		credentialType: new EmbyApi(),
		credentials: () => ({ baseUrl: server.url, apiKey: API_KEY, ignoreSslIssues: false }),
		userId: admin.id,
		id: (item) => server.idOf(item),
		canSetPositions: true,
	};
}

const targets: Target[] = specsPresent ? [plexTarget(), ...JELLYFIN_VERSIONS.map(jellyfinTarget), ...EMBY_VERSIONS.map(embyTarget)] : [];

const movie = library.movies[4];
const movieTmdbOnly = library.movies[12]; // n = 13: no imdb id
const episode = library.episodes[5];
const NOW = '2026-03-01T10:00:00.000Z';

function run(target: Target, params: IDataObject, input?: IDataObject[]) {
	return runNode(target.node, {
		credentialType: target.credentialType,
		credentials: target.credentials(),
		params: { requestOptions: { retries: 0, timeout: 10, pageSize: 7 }, userId: target.userId ?? '', ...params },
		input,
	});
}

/** The node's client for a target, sending through the credential as n8n would. */
async function clientOf(target: Target): Promise<MediaClient> {
	const request = authenticatedRequest(target.credentialType, target.credentials());
	const base = String(target.credentials().baseUrl);
	const send: Send = async (r) => {
		const out = (await request({ url: `${base}${r.path}`, method: r.method, qs: r.query as IDataObject, headers: r.headers, body: r.body as IDataObject, json: true, returnFullResponse: true, ignoreHttpStatusErrors: true })) as { statusCode: number; headers: Record<string, unknown>; body: unknown };
		return { status: out.statusCode, headers: out.headers, body: out.body };
	};
	const options = { send, retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1, sleep: async () => undefined, random: () => 0 }, pageSize: 7, concurrency: 1, userId: target.userId, clientIdentifier: 'contract-test' };
	if (target.node instanceof Plex) return new PlexClient(options);
	return target.node instanceof Jellyfin ? new JellyfinClient(options) : new EmbyClient(options);
}

const describeReadable = (violations: Violation[]) => violations.map((v) => `${v.kind}: ${v.detail}\n    ${v.request}`).join('\n');

beforeAll(async () => {
	await Promise.all(targets.map((t) => t.server.start()));
});
afterAll(async () => {
	await Promise.all(targets.map((t) => t.server.stop()));
});

// Without the specs the table is empty, which jest.each refuses: one skipped row says so instead.
const rows = targets.length > 0 ? targets.map((t) => [t.label, t] as const) : [['published specs absent', undefined as unknown as Target] as const];

describeWithSpecs.each(rows)('%s: every client operation stays inside the spec', (_label, target) => {
	const server = target?.server; // undefined in the one skipped row without specs

	beforeAll(() => {
		server.resetCounters();
	});

	it('the credential test request', async () => {
		const test = (target.credentialType as ICredentialType & { test: { request: { url: string } } }).test.request;
		const response = (await authenticatedRequest(target.credentialType, target.credentials())({ url: `${server.url}${test.url}`, method: 'GET', returnFullResponse: true, ignoreHttpStatusErrors: true })) as { statusCode: number };
		expect(response.statusCode).toBe(200);
	});

	it('users and libraries', async () => {
		expect((await run(target, { resource: 'user', operation: 'getAll' })).length).toBeGreaterThan(0);
		expect((await run(target, { resource: 'library', operation: 'getAll' })).map((i) => i.json.type)).toEqual(['movie', 'show']);
	});

	it('library listings with every filter', async () => {
		const all = await run(target, { resource: 'library', operation: 'getWatchState', filters: {} });
		expect(all).toHaveLength(30 + 24);
		for (const filters of [{ libraries: 'Movies' }, { only: 'played' }, { only: 'inProgress' }, { changedSince: '2025-01-01T00:00:00Z' }]) {
			await run(target, { resource: 'library', operation: 'getWatchState', filters });
		}
	});

	it('get, find by every kind of id, and not found', async () => {
		expect((await run(target, { resource: 'item', operation: 'get', itemId: target.id(episode) }))[0].json).toMatchObject({ type: 'episode', season: episode.season });
		const find = (externalIds: IDataObject, mediaType = 'movie') => run(target, { resource: 'item', operation: 'find', findBy: 'ids', mediaType, externalIds });
		expect((await find({ imdb: movie.guids.imdb }))[0].json.id).toBe(target.id(movie));
		expect((await find({ tmdb: movieTmdbOnly.guids.tmdb, imdb: 'tt0000404' }))[0].json.id).toBe(target.id(movieTmdbOnly));
		expect((await find({ tvdb: episode.guids.tvdb }, 'episode'))[0].json.id).toBe(target.id(episode));
		expect((await find({ showTvdb: episode.show.guids.tvdb, season: episode.season, episode: episode.episode }, 'episode'))[0].json.id).toBe(target.id(episode));
		expect((await find({ imdb: 'tt0000404' }))[0].json).toMatchObject({ found: false });
	});

	it('mark played with a date, unplayed, and a resume position', async () => {
		const id = target.id(movie);
		await run(target, { resource: 'item', operation: 'markPlayed', itemId: id, watchedAt: NOW });
		await run(target, { resource: 'item', operation: 'markUnplayed', itemId: id });
		const position = run(target, { resource: 'item', operation: 'setPosition', itemId: id, position: 600, positionUnit: 's' });
		if (target.canSetPositions) expect((await position)[0].json).toMatchObject({ positionMs: 600_000 });
		else await expect(position).rejects.toThrow(/has no API to set a resume position/);
	});

	it('Apply Watch State and planned writes', async () => {
		const other = library.movies[7];
		const source = { backend: 'trakt', type: 'movie', id: 'x', title: other.title, guids: { ...other.guids }, played: true, event: 'scrobble', tainted: false, updatedAt: NOW, playedAt: NOW };
		// Plex records the play at the time of the call, so the un-mark comes after now.
		const unmark = { ...source, played: false, event: 'unplayed', updatedAt: new Date(Date.now() + 60_000).toISOString(), playedAt: undefined };
		const out = await run(target, { resource: 'item', operation: 'apply', applyOptions: { propagateUnplayed: true } }, [source, unmark]);
		expect(out.map((i) => i.json.action)).toEqual(['marked-played', 'marked-unplayed']);
		const listed = (await run(target, { resource: 'item', operation: 'get', itemId: target.id(library.movies[8]) }))[0].json;
		const write = { kind: 'watchstate-write', backend: listed.backend, op: 'set-position', target: listed, positionMs: 900_000, reason: 'contract', source: {} };
		const applied = await run(target, { resource: 'item', operation: 'apply', applyOptions: {} }, [write]);
		expect(applied[0].json.action).toBe(target.canSetPositions ? 'progress' : 'skipped');
	});

	it('what is playing now, and the played threshold (Sync Servers reads them before writing)', async () => {
		const sessions = (server as unknown as { sessions: Array<Record<string, unknown>> }).sessions;
		sessions.push({ userId: target.label.startsWith('Plex') ? '1' : admin.id, item: movie, positionMs: 60_000, state: 'playing' });
		try {
			const client = await clientOf(target);
			expect(await client.playingNow()).toEqual([{ userId: target.label.startsWith('Plex') ? '1' : admin.id, itemId: target.id(movie) }]);
			expect(await client.playedThresholdPercent()).toBe(90);
		} finally {
			sessions.length = 0;
		}
	});

	it('re-reads several items in one request (Sync Servers before its writes): the same state as one by one, a gone id left out', async () => {
		const client = await clientOf(target);
		const items = [movie, episode, library.movies[3]];
		const before = [...server.requestsByRoute.values()].reduce((a, b) => a + b, 0);
		const states = await client.readStates(items.map((i) => target.id(i)));
		expect([...server.requestsByRoute.values()].reduce((a, b) => a + b, 0) - before).toBeLessThanOrEqual(2);
		for (const item of items) {
			const one = await client.getItem(target.id(item));
			const many = states.get(target.id(item))!;
			expect([many.type, many.played, many.positionMs, many.playedAt, many.updatedAt]).toEqual([one.type, one.played, one.positionMs, one.playedAt, one.updatedAt]);
		}
		const gone = target.label.startsWith('Plex') ? '99999999' : target.label.startsWith('Emby') ? '99999999' : 'ffffffffffffffffffffffffffffffff';
		expect([...(await client.readStates([target.id(movie), gone])).keys()]).toEqual([target.id(movie)]);
		expect((await client.readStates([gone])).size).toBe(0);
	});

	it('sent nothing the spec does not document', () => {
		const outside = server.violations.filter((v) => v.kind !== 'answer');
		expect(describeReadable(outside)).toBe('');
	});

	it("answered with what the spec's response schemas allow", () => {
		expect(describeReadable(server.violations.filter((v) => v.kind === 'answer'))).toBe('');
	});
});
