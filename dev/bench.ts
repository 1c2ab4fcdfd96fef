/**
 * `npm run bench`: figures a user relies on, measured in one run on this machine and printed as
 * a table (also written to docs/benchmarks.md):
 * - intake: parse + normalize of each trigger's payloads as a ratio to a bare JSON.parse;
 * - planner: 3 servers x 100k items (movies + episodes, overlapping ids, conflicts), time, heap,
 *   and the time ratio 200k / 100k;
 * - import: reading a 100k-item emulated library per server, items per second and requests;
 * - lookups: how often a title search finds an item whose title another server names differently;
 * - through a real n8n (the real-time template): webhook-to-write latency one event at a time at
 *   about 1k, 20k and 100k items, with requests per event per server, then a bounded sustained
 *   load and a burst, counting lost and doubled events (`--no-n8n` skips it);
 * - n8n's queue mode (Postgres, Redis, main, webhook processor, workers): the same burst drained
 *   with 1 and with 2 workers, on the same cores as everything else;
 * - the Watcher template through a real n8n: a play's stop on one server to the mark on the other
 *   two, at about 1k and 100k items, and the requests an idle Watcher costs the servers
 *   (`--only-watcher` runs this part alone).
 */
import { parseEmbyWebhook } from '../nodes/shared/backends/emby/webhook';
import { parseJellyfinWebhook } from '../nodes/shared/backends/jellyfin/webhook';
import { EmbyClient, JellyfinClient } from '../nodes/shared/backends/mediabrowser/api';
import { PlexClient } from '../nodes/shared/backends/plex/api';
import { parsePlexWebhook } from '../nodes/shared/backends/plex/webhook';
import { parseTautulliWebhook } from '../nodes/shared/backends/tautulli/webhook';
import type { HttpRequest, Send } from '../nodes/shared/transport/http';
import type { Backend } from '../nodes/shared/model';
import { planSync, type PlanItem } from '../nodes/shared/sync/plan';
import { tokensMatch } from '../nodes/shared/webhook/token';
import { startHouseholdServers } from './demo/household';
import { DEMO, startDemoServers, stopDemoServers, type DemoServers } from './demo/world';
import { seedLibrary, type EmulatedUser, type SeedItem } from './emulators/library';
import { loadableItems, percentile, runWebhookLoad } from './load';
import { report, type Server } from './demo/players';
import { startStack } from './n8n/stack';
import { EmbyEmulator, JellyfinEmulator } from './emulators/mediabrowser';
import { PlexEmulator } from './emulators/plex';
import { delay, existsSync, join, os, proc, readFileSync, resolve, writeFileSync } from './lib/builtins';

const rows: Array<[string, string, string]> = [];
const say = (line: string) => proc.stdout.write(`${line}\n`);
const now = () => Number(proc.hrtime.bigint()) / 1e6;

function time(fn: () => void, repeat: number): number {
	fn();
	const start = now();
	for (let i = 0; i < repeat; i++) fn();
	return (now() - start) / repeat;
}

function intake(): void {
	const dir = resolve('..', 'shared', 'fixtures', 'specs');
	const sets: Array<[string, (p: unknown, c: { receivedAt: string }) => unknown, string[]]> = [
		['Plex', parsePlexWebhook, ['plex/webhook-media.scrobble-episode.json', 'plex/webhook-media.stop-movie.json']],
		['Jellyfin', parseJellyfinWebhook, ['jellyfin/webhook-PlaybackStop-episode.json', 'jellyfin/webhook-UserDataSaved-TogglePlayed-movie.json']],
		['Emby', parseEmbyWebhook, ['emby/webhook-playback.stop-movie.json', 'emby/webhook-item.markplayed-episode.json']],
		['Tautulli', parseTautulliWebhook, ['tautulli/webhook-tautulli.watched-episode.json', 'tautulli/webhook-tautulli.play-movie.json']],
	];
	if (!existsSync(dir)) {
		rows.push(['intake', 'skipped', '../shared/fixtures not present']);
		return;
	}
	for (const [name, parse, files] of sets) {
		const texts = files.map((f) => readFileSync(join(dir, f), 'utf8'));
		const ctx = { receivedAt: new Date().toISOString(), progressEvents: true, allowWithoutUser: true };
		const bare = time(() => texts.forEach((t) => JSON.parse(t)), 20_000);
		const full = time(() => texts.forEach((t) => parse(JSON.parse(t), ctx)), 20_000);
		rows.push([`intake ${name}`, `${(full / bare).toFixed(2)}x JSON.parse`, `${((full / texts.length) * 1000).toFixed(1)} µs per payload`]);
	}
}

/**
 * A guess sharing all but the last character with the token must take as long to refuse as one
 * sharing nothing (a ratio near 1.00x), or the answer time would leak the token bit by bit.
 */
function tokenTiming(): void {
	const token = 'dummy-' + 'k'.repeat(58);
	const near = token.slice(0, -1) + 'j';
	const far = 'x'.repeat(token.length);
	const repeat = 200_000;
	// Interleaved rounds, so drift of the machine's speed hits both sides alike.
	let nearMs = 0;
	let farMs = 0;
	for (let round = 0; round < 10; round++) {
		nearMs += time(() => tokensMatch(token, near), repeat / 10);
		farMs += time(() => tokensMatch(token, far), repeat / 10);
	}
	rows.push(['token check', `${(nearMs / farMs).toFixed(2)}x`, `refusing a guess right but for its last character vs one wrong from the start (${((farMs / 10) * 1000).toFixed(2)} µs each)`]);
}

/** Three servers holding overlapping 90 % subsets of one catalogue, states drifting apart. */
function world(perServer: number): PlanItem[] {
	const items: PlanItem[] = [];
	const servers: Backend[] = ['plex', 'jellyfin', 'emby'];
	const catalogue = Math.round(perServer / 0.9);
	servers.forEach((backend, s) => {
		let count = 0;
		for (let n = 0; n < catalogue && count < perServer; n++) {
			if ((n + s * 7) % 10 === 0) continue;
			count++;
			const episode = n % 2 === 1;
			const day = (n * 7 + s * 13) % 365;
			const played = (n + s) % 5 === 0 ? true : (n + s) % 11 === 0 ? null : false;
			const at = new Date(Date.UTC(2025, 0, 1) + day * 86_400_000).toISOString();
			items.push({
				backend,
				type: episode ? 'episode' : 'movie',
				id: `${backend}-${n}`,
				title: `Title ${n}`,
				guids: episode ? (n % 13 === 0 ? {} : { tvdb: String(4_000_000 + n), imdb: `tt${3_000_000 + n}` }) : { imdb: `tt${1_000_000 + n}`, tmdb: String(100_000 + n) },
				show: episode ? { title: `Show ${n >> 5}`, guids: { tvdb: String(300_000 + (n >> 5)) } } : undefined,
				season: episode ? 1 + ((n >> 3) & 3) : undefined,
				episode: episode ? 1 + (n & 7) + (n >> 10) * 8 : undefined,
				played,
				positionMs: played === true ? 0 : (n % 3) * 600_000,
				durationMs: 6_000_000,
				playedAt: played === true ? at : undefined,
				updatedAt: at,
			});
		}
	});
	return items;
}

function planner(): void {
	const run = (perServer: number) => {
		const items = world(perServer);
		const heapBefore = proc.memoryUsage().heapUsed;
		const start = now();
		const result = planSync(items, undefined, { propagateUnplayed: true, now: new Date().toISOString() });
		const ms = now() - start;
		const heap = proc.memoryUsage().heapUsed - heapBefore;
		return { ms, heap, writes: result.writes.length, rss: proc.memoryUsage().rss };
	};
	run(20_000);
	const a = run(100_000);
	const b = run(200_000);
	rows.push(['planner 3 x 100k', `${(a.ms / 1000).toFixed(2)} s`, `${a.writes} writes; heap +${Math.round(a.heap / 2 ** 20)} MiB, rss ${Math.round(a.rss / 2 ** 20)} MiB`]);
	rows.push(['planner 3 x 200k', `${(b.ms / 1000).toFixed(2)} s`, `${b.writes} writes; rss ${Math.round(b.rss / 2 ** 20)} MiB`]);
	rows.push(['planner scaling', `${(b.ms / a.ms).toFixed(2)}x time for 2x items`, 'goal: under 2.2x']);
}

function plainSend(base: string, headers: Record<string, string>): Send {
	return async (req: HttpRequest) => {
		const url = new URL(base + req.path);
		for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
		const res = await fetch(url, { method: req.method, headers: { ...headers, ...(req.headers ?? {}), 'content-type': 'application/json' }, body: req.body === undefined ? undefined : JSON.stringify(req.body) });
		const text = await res.text();
		return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
	};
}

async function importing(): Promise<void> {
	const library = seedLibrary({ movies: 50_000, shows: 2_500, seasonsPerShow: 2, episodesPerSeason: 10 });
	const retry = { retries: 2, baseDelayMs: 200, maxDelayMs: 2000, maxRetryAfterMs: 10_000, sleep: async () => undefined, random: Math.random };
	const user = { id: '5a0b1c2d3e4f40718293a4b5c6d7e8f9', name: 'alice', token: 'dummy-bench-user', admin: true };
	const plex = new PlexEmulator({ library, users: [{ ...user, id: '1' }] });
	const jellyfin = new JellyfinEmulator({ library, users: [user], apiKey: 'dummy-bench-key' });
	const emby = new EmbyEmulator({ library, users: [user], apiKey: 'dummy-bench-key' });
	await Promise.all([plex.start(), jellyfin.start(), emby.start()]);
	const options = { retry, pageSize: 1000, concurrency: 4, userId: user.id };
	const clients: Array<[string, { listWatchState: PlexClient['listWatchState']; requests: number }]> = [
		['Plex', new PlexClient({ ...options, send: plainSend(plex.url, { 'X-Plex-Token': user.token, Accept: 'application/json' }) })],
		['Jellyfin', new JellyfinClient({ ...options, send: plainSend(jellyfin.url, { Authorization: 'MediaBrowser Token="dummy-bench-key"' }) })],
		['Emby', new EmbyClient({ ...options, send: plainSend(emby.url, { 'X-Emby-Token': 'dummy-bench-key' }) })],
	];
	for (const [name, client] of clients) {
		const start = now();
		const items = await client.listWatchState({});
		const s = (now() - start) / 1000;
		rows.push([`import ${name} 100k`, `${Math.round(items.length / s)} items/s`, `${items.length} items, ${client.requests} requests (pages of 1000, 4 at once), ${s.toFixed(1)} s`]);
	}
	await Promise.all([plex.stop(), jellyfin.stop(), emby.stop()]);
}

/** Library sizes of the real-time runs: about 1k, 20k and 100k movies + episodes. */
const SIZES = [
	{ label: '1k', movies: 500, shows: 25 },
	{ label: '20k', movies: 10_000, shows: 500 },
	{ label: '100k', movies: 50_000, shows: 2_500 },
];
const libraryOf = (size: (typeof SIZES)[number]) => seedLibrary({ movies: size.movies, shows: size.shows, seasonsPerShow: 2, episodesPerSeason: 10, titles: 'realistic' });

/**
 * How often a title search finds the item on the 20k library whose servers name some titles
 * their own way (article, punctuation, accents, year, translated): every 10th item, as each
 * other server would send it, looked up on Plex and Jellyfin without the library read. A wrong
 * item would be a bug (ids are checked); a miss costs the library read in real use.
 */
async function lookupHitRate(): Promise<void> {
	const library = libraryOf(SIZES[1]);
	const user = { id: '5a0b1c2d3e4f40718293a4b5c6d7e8f9', name: 'alice', token: 'dummy-bench-user', admin: true };
	const servers = {
		plex: new PlexEmulator({ library, users: [{ ...user, id: '1' }], titleVariants: true }),
		jellyfin: new JellyfinEmulator({ library, users: [user], apiKey: 'dummy-bench-key', titleVariants: true }),
		emby: new EmbyEmulator({ library, users: [user], apiKey: 'dummy-bench-key', titleVariants: true }),
	};
	await Promise.all(Object.values(servers).map((x) => x.start()));
	const retry = { retries: 2, baseDelayMs: 200, maxDelayMs: 2000, maxRetryAfterMs: 10_000, sleep: async () => undefined, random: Math.random };
	const options = { retry, pageSize: 1000, concurrency: 4, userId: user.id, lookup: 'targeted' as const, indexFallback: false };
	const items = [...library.movies, ...library.episodes].filter((item, i) => i % 10 === 0 && Object.keys(item.guids).length > 0);
	for (const target of ['plex', 'jellyfin'] as const) {
		const idOn = (item: SeedItem) => (target === 'plex' ? servers.plex.keyOf(item) : servers.jellyfin.idOf(item));
		let found = 0;
		let missed = 0;
		let unexplained = 0;
		let wrong = 0;
		let requests = 0;
		for (const from of (['plex', 'jellyfin', 'emby'] as const).filter((x) => x !== target)) {
			for (const item of items) {
				// A fresh client per lookup, as in a fresh execution.
				const client =
					target === 'plex'
						? new PlexClient({ ...options, send: plainSend(servers.plex.url, { 'X-Plex-Token': user.token, Accept: 'application/json' }) })
						: new JellyfinClient({ ...options, send: plainSend(servers.jellyfin.url, { Authorization: 'MediaBrowser Token="dummy-bench-key"' }) });
				const source = servers[from];
				const query = item.kind === 'movie' ? { type: 'movie' as const, guids: item.guids, title: source.titleOf(item), year: item.year } : { type: 'episode' as const, guids: item.guids, show: { guids: item.show.guids, title: source.titleOf(item.show) }, season: item.season, episode: item.episode };
				const hits = await client.findItems(query);
				requests += client.requests;
				const titles = [source, servers[target]].map((x) => (item.kind === 'movie' ? x.titleOf(item) : x.titleOf(item.show)));
				if (hits.length === 0) {
					missed++;
					// Translated on one side: no search by the other title can find it.
					if (!titles.some((t) => / Film \d+$/.test(t))) unexplained++;
				}
				else if (hits.every((h) => h.id === idOn(item))) found++;
				else wrong++;
			}
		}
		const total = found + missed + wrong;
		rows.push([
			`title search hit rate on ${target === 'plex' ? 'Plex' : 'Jellyfin'}`,
			`${((found / total) * 100).toFixed(1)} %, ${wrong} wrong`,
			`${total} lookups from the two other servers' titles, 20k library with per-server title variants; ${missed} missed, ${missed - unexplained} of them translated titles (the library read finds those); ${(requests / total).toFixed(2)} requests per lookup before the write`,
		]);
	}
	await Promise.all(Object.values(servers).map((x) => x.stop()));
}

/** Movies and episodes spread over the whole library, every one with ids. */
function spreadItems(servers: DemoServers, count: number): SeedItem[] {
	const all = loadableItems(servers);
	const step = Math.max(1, Math.floor(all.length / count));
	return Array.from({ length: count }, (_, i) => all[(i * step + 7) % all.length]);
}

async function throughN8n(): Promise<void> {
	const ports = { plex: 5711, jellyfin: 5712, emby: 5713, trakt: 5714 };
	const ms = (x: number) => `${Math.round(x)} ms`;
	let servers = await startDemoServers({ library: libraryOf(SIZES[0]), titleVariants: true, drift: false, ports });
	const stack = await startStack(servers, { name: 'bench', port: 5698, brokerPort: 5699, templates: ['realtime-sync.json'], log: say }).catch(async (error: Error) => {
		await stopDemoServers(servers);
		throw error;
	});
	try {
		// One event at a time at each library size: webhook -> both writes, and requests per event.
		const p50: number[] = [];
		for (const size of SIZES) {
			if (size !== SIZES[0]) {
				await stopDemoServers(servers);
				servers = await startDemoServers({ library: libraryOf(size), titleVariants: true, drift: false, ports });
			}
			const items = spreadItems(servers, 66);
			// Warm-up: n8n compiles and caches on first use; not counted.
			await runWebhookLoad(stack, servers, { items: items.slice(0, 6), concurrency: 1, mode: 'closed', settleMs: 300_000 });
			const one = await runWebhookLoad(stack, servers, { items: items.slice(6), concurrency: 1, mode: 'closed', settleMs: 300_000 });
			p50.push(one.latency.p50);
			const itemsCount = servers.library.movies.length + servers.library.episodes.length;
			// Per target: the median and the most requests one event cost, and how many went past 6
			// (a title the search could not find, then the library read).
			const requests = (['plex', 'jellyfin', 'emby'] as const)
				.map((t) => {
					const list = [...one.eventRequests[t]].sort((a, b) => a - b);
					const label = t === 'plex' ? 'Plex' : t === 'jellyfin' ? 'Jellyfin' : 'Emby';
					return `${label} ${list[Math.floor(list.length / 2)]} (max ${list[list.length - 1]}, ${list.filter((n) => n > 6).length} of ${list.length} over 6)`;
				})
				.join(', ');
			rows.push([
				`n8n webhook→write, ${size.label} library`,
				`p50 ${ms(one.latency.p50)}, p95 ${ms(one.latency.p95)}`,
				`${itemsCount} items (${servers.library.movies.length} movies + ${servers.library.episodes.length} episodes), titles varying per server; ${one.events} events (Plex, Jellyfin, Emby in turn), each to 2 servers; requests per event on the target, median: ${requests}; max ${ms(one.latency.max)}; lost ${one.lost}, doubled ${one.doubled}`,
			]);
		}
		rows.push(['n8n p50 at 100k / at 1k', `${(p50[2] / p50[0]).toFixed(2)}x`, 'goal: at most 1.5x']);

		// Sustained load and a burst, on the 20k library.
		await stopDemoServers(servers);
		servers = await startDemoServers({ library: libraryOf(SIZES[1]), titleVariants: true, drift: false, ports });
		const items = spreadItems(servers, 700);
		const load = await runWebhookLoad(stack, servers, { items: items.slice(0, 400), concurrency: 8, mode: 'closed', settleMs: 300_000 });
		rows.push([
			'n8n sustained, 8 events in flight, 20k library',
			`${load.eventsPerSecond.toFixed(1)} events/s, lost ${load.lost}`,
			`${load.events} events, ${load.accepted} answered 200, doubled ${load.doubled}; latency p50 ${ms(load.latency.p50)}, p95 ${ms(load.latency.p95)}; ${load.wallSeconds.toFixed(1)} s`,
		]);
		const burst = await runWebhookLoad(stack, servers, { items: items.slice(400), concurrency: 8, mode: 'burst', settleMs: 300_000 });
		rows.push([
			'n8n burst, sent as fast as answered, 20k library',
			`${burst.eventsPerSecond.toFixed(1)} events/s drained, lost ${burst.lost}`,
			`${burst.events} events, ${burst.accepted} answered 200, doubled ${burst.doubled}; last write ${ms(burst.latency.max)} after its request (queued in n8n)`,
		]);
	} finally {
		await stack.stop();
		await stopDemoServers(servers);
	}
}

/** The single-process burst again, through n8n's queue mode with one worker, then two. */
async function throughQueueMode(): Promise<void> {
	const ports = { plex: 5711, jellyfin: 5712, emby: 5713, trakt: 5714 };
	const servers = await startDemoServers({ library: libraryOf(SIZES[1]), titleVariants: true, drift: false, ports });
	const queue = { workers: 1, ports: { postgres: 5722, redis: 5723, webhook: 5724, base: 5730 } };
	const stack = await startStack(servers, { name: 'bench-queue', port: 5720, brokerPort: 5721, templates: ['realtime-sync.json'], queue, log: say }).catch(async (error: Error) => {
		await stopDemoServers(servers);
		throw error;
	});
	try {
		const items = spreadItems(servers, 700);
		// Warm-up: each worker compiles and caches on its first executions; not counted.
		await runWebhookLoad(stack, servers, { items: items.slice(0, 20), concurrency: 8, mode: 'burst', settleMs: 300_000 });
		for (const workers of [1, 2]) {
			if (workers === 2) {
				await stack.addWorker();
				await runWebhookLoad(stack, servers, { items: items.slice(20, 40), concurrency: 8, mode: 'burst', settleMs: 300_000 });
			}
			const slice = workers === 1 ? items.slice(100, 400) : items.slice(400, 700);
			const burst = await runWebhookLoad(stack, servers, { items: slice, concurrency: 8, mode: 'burst', settleMs: 300_000 });
			rows.push([
				`n8n queue mode burst, ${workers} worker${workers > 1 ? 's' : ''}, 20k library`,
				`${burst.eventsPerSecond.toFixed(1)} events/s drained, lost ${burst.lost}`,
				`${burst.events} events, ${burst.accepted} answered 200 by the webhook processor, doubled ${burst.doubled}; main + webhook processor + ${workers} worker${workers > 1 ? 's' : ''} (concurrency 10 each) + Postgres + Redis + the emulators on the same ${os.cpus().length} cores`,
			]);
		}
	} finally {
		await stack.stop();
		await stopDemoServers(servers);
	}
}

/** The n8n process's peak resident memory (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/**
 * The full-sync template's first run through n8n (one process, SQLite) on disagreeing servers:
 * from the first request to the servers until the last write, the writes, the requests per write
 * (every request the servers answered in that time, listings included, over the writes), and the
 * n8n process's peak memory; a fresh n8n per case, so each peak is that run's. n8n runs as a
 * default install does, with no heap cap; one case caps it (--max-old-space-size) as a small box
 * would, to show the run still completes there.
 */
async function fullSyncThroughN8n(): Promise<void> {
	const ports = { plex: 5711, jellyfin: 5712, emby: 5713, trakt: 5714 };
	const cases: Array<{ label: string; start: () => Promise<DemoServers>; people: number; heapMiB?: number }> = [
		...SIZES.map((size) => ({ label: `${size.label} library, one user`, start: async () => await startDemoServers({ library: libraryOf(size), drift: true, ports }), people: 1 })),
		{ label: '100k library with the heap capped at 512 MiB, one user', start: async () => await startDemoServers({ library: libraryOf(SIZES[2]), drift: true, ports }), people: 1, heapMiB: 512 },
		{ label: '20k library, household of 3', start: async () => await startHouseholdServers(libraryOf(SIZES[1])), people: 3 },
	];
	// `--case=100k` measures only the cases whose label contains that text.
	const only = proc.argv.find((a) => a.startsWith('--case='))?.slice('--case='.length);
	for (const c of cases.filter((x) => !only || x.label.includes(only))) {
		const servers = await c.start();
		const all = () => [servers.plex, servers.jellyfin, servers.emby];
		const writes = () => all().reduce((n, x) => n + x.writes.length, 0);
		const requests = () => all().reduce((n, x) => n + x.requests, 0);
		const stack = await startStack(servers, { name: 'bench-full', port: 5698, brokerPort: 5699, templates: ['full-sync.json'], scheduleEverySeconds: 20, heapMiB: c.heapMiB, log: say }).catch(async (error: Error) => {
			await stopDemoServers(servers);
			throw error;
		});
		try {
			const idle = requests();
			const alive = () => {
				if (!stack.processes[0].running()) throw new Error(`n8n stopped during the run (see ${stack.logFile}; e.g. "JavaScript heap out of memory")`);
			};
			while (requests() === idle) await delay(50);
			const started = Date.now();
			while (writes() === 0) {
				alive();
				await delay(200);
			}
			// Done when the writes stop for a minute, in which later runs (every 20 s) read everything again.
			let last = writes();
			let requestsAtLastWrite = requests();
			let quiet = 0;
			while (quiet < 60) {
				await delay(1000);
				alive();
				const now = writes();
				if (now !== last) requestsAtLastWrite = requests();
				quiet = now === last ? quiet + 1 : 0;
				last = now;
			}
			const lastWrite = Math.max(started, ...all().flatMap((x) => x.writes.map((w) => w.at ?? 0)));
			const seconds = (lastWrite - started) / 1000;
			const items = servers.library.movies.length + servers.library.episodes.length;
			const perWrite = (requestsAtLastWrite - idle) / Math.max(last, 1);
			rows.push([
				`n8n full sync, ${c.label}`,
				`${seconds.toFixed(0)} s, ${perWrite.toFixed(2)} requests per write, peak RSS ${peakRssMiB(stack.processes[0].pid)} MiB`,
				`${items} items per server x 3 servers${c.people > 1 ? ` x ${c.people} people` : ''}; first run: ${last} writes (${(last / Math.max(seconds, 0.001)).toFixed(0)} writes/s), time from its first request to its last write; no write in the minute after (runs every 20 s, overlapping ones skipped by the run lock); Sync Servers in the full-sync template, n8n 2.41.1 one process (SQLite), ${c.heapMiB ? `--max-old-space-size=${c.heapMiB}` : 'no heap cap'}, emulators on the same ${os.cpus().length} cores`,
			]);
			say(rows[rows.length - 1].join(' | '));
		} catch (error) {
			// A case that cannot finish (n8n ran out of memory) is a row too, and the others still run.
			rows.push([`n8n full sync, ${c.label}`, 'did not complete', (error as Error).message]);
			say(rows[rows.length - 1].join(' | '));
		} finally {
			await stack.stop();
			await stopDemoServers(servers);
		}
	}
}

/** The demo's one user on each server, as its players sign in. */
const DEMO_USERS: Record<Server, EmulatedUser> = {
	plex: { id: DEMO.user.plexId, name: DEMO.user.name, token: DEMO.plexToken },
	jellyfin: { id: DEMO.user.jellyfinId, name: DEMO.user.name, token: 'dummy-demo-jellyfin-alice' },
	emby: { id: DEMO.user.embyId, name: DEMO.user.name, token: 'dummy-demo-emby-alice' },
};

const requestsServed = (servers: DemoServers) => (['plex', 'jellyfin', 'emby'] as const).reduce((sum, s) => sum + [...servers[s].requestsByRoute.values()].reduce((a, b) => a + b, 0), 0);

/**
 * The Watcher template (no webhooks) through a real n8n, one library size per n8n: what an idle
 * minute costs the servers, then plays one at a time, Plex, Jellyfin, Emby in turn, each timed
 * from the player's stop report to the later of the two marks on the other servers.
 */
async function watcherThroughN8n(): Promise<void> {
	const ports = { plex: 5711, jellyfin: 5712, emby: 5713, trakt: 5714 };
	const ms = (x: number) => `${Math.round(x)} ms`;
	const order: Server[] = ['plex', 'jellyfin', 'emby'];
	const p50: number[] = [];
	for (const size of [SIZES[0], SIZES[2]]) {
		const servers = await startDemoServers({ library: libraryOf(size), titleVariants: true, drift: false, ports });
		const stack = await startStack(servers, { name: 'bench-watcher', port: 5698, brokerPort: 5699, templates: ['watcher-sync.json'], log: say }).catch(async (error: Error) => {
			await stopDemoServers(servers);
			throw error;
		});
		try {
			const deadline = Date.now() + 120_000;
			while (!order.every((s) => servers[s].live.open.size > 0) && Date.now() < deadline) await delay(200);
			await delay(5000);
			const before = requestsServed(servers);
			await delay(60_000);
			const idle = requestsServed(servers) - before;
			const items = spreadItems(servers, 33);
			const latencies: number[] = [];
			let lost = 0;
			for (let i = 0; i < items.length; i++) {
				const item = items[i];
				const from = order[i % 3];
				const targets = order.filter((s) => s !== from);
				const user = DEMO_USERS[from];
				await report(servers, from, user, item, 'start', 0, `bench-${i}`);
				await report(servers, from, user, item, 'playing', item.durationMs * 0.5, `bench-${i}`);
				const stoppedAt = Date.now();
				await report(servers, from, user, item, 'stopped', item.durationMs * 0.95, `bench-${i}`);
				const idOn = (s: Server) => (s === 'plex' ? servers.plex.keyOf(item) : servers[s].idOf(item));
				const markOn = (s: Server) => servers[s].writes.find((w) => w.itemId === idOn(s) && w.action === 'played' && w.userId === DEMO_USERS[s].id);
				const end = Date.now() + 60_000;
				while (!targets.every(markOn) && Date.now() < end) await delay(20);
				if (!targets.every(markOn)) {
					lost++;
					continue;
				}
				// The first three warm n8n up (compiling, caches) and are not counted.
				if (i >= 3) latencies.push(Math.max(...targets.map((s) => markOn(s)!.at ?? Date.now())) - stoppedAt);
			}
			latencies.sort((a, b) => a - b);
			p50.push(percentile(latencies, 50));
			const count = servers.library.movies.length + servers.library.episodes.length;
			rows.push([
				`n8n Watcher stop→write, ${size.label} library`,
				`p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}`,
				`${count} items, titles varying per server; ${latencies.length} plays (Plex, Jellyfin, Emby in turn) after 3 warm-up ones, each to the 2 other servers through the live connections, no webhook; max ${ms(latencies[latencies.length - 1])}; lost ${lost}`,
			]);
			rows.push([`n8n Watcher idle, ${size.label} library`, `${idle} requests/min`, 'three Watchers (Plex, Jellyfin, Emby), one person, Mark Poll Interval 30 s (Jellyfin and Emby each read the person\'s newest played items); Plex costs none: its socket carries everything']);
		} finally {
			await stack.stop();
			await stopDemoServers(servers);
		}
	}
	rows.push(['n8n Watcher p50 at 100k / at 1k', `${(p50[1] / p50[0]).toFixed(2)}x`, 'goal: at most 1.5x']);
}

async function main(): Promise<void> {
	if (proc.argv.includes('--only-watcher')) {
		await watcherThroughN8n();
		say(rows.map((r) => r.join(' | ')).join('\n'));
		return;
	}
	if (proc.argv.includes('--only-full-sync')) {
		await fullSyncThroughN8n();
		say(rows.map((r) => r.join(' | ')).join('\n'));
		return;
	}
	intake();
	tokenTiming();
	planner();
	await importing();
	await lookupHitRate();
	if (!proc.argv.includes('--no-n8n')) {
		await fullSyncThroughN8n();
		await throughN8n();
		await throughQueueMode();
		await watcherThroughN8n();
	}
	const width = Math.max(...rows.map((r) => r[0].length));
	const table = rows.map(([a, b, c]) => `| ${a.padEnd(width)} | ${b} | ${c} |`);
	const text = [`| measure | result | detail |`, `| --- | --- | --- |`, ...table].join('\n');
	say(text);
	const header = `# Benchmarks\n\nMeasured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, Node ${proc.version}, ${os.cpus().length} cores. One run; ratios and sizes, not timed unit tests.\n\n`;
	// Keep the hand-written reading notes below the marker; only the measured part is replaced.
	const file = join('docs', 'benchmarks.md');
	const marker = '<!-- notes: kept by npm run bench -->';
	const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
	const notes = previous.includes(marker) ? previous.slice(previous.indexOf(marker)) : `${marker}\n`;
	writeFileSync(file, `${header}${text}\n\n${notes}`);
}

void main();
