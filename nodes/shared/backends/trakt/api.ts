/**
 * Trakt API client: retries (429 honours Retry-After), paged
 * reads, and history writes in batches spaced to Trakt's one-write-per-second limit.
 */
import { BackendError, backoffMs, expectOk, sendWithRetry, type HttpRequest, type HttpResponse, type QueryValue, type RetryPolicy, type RetryWhen, type Send } from '../../transport/http';
import type { TraktRef } from './ids';

export interface TraktClientOptions {
	send: Send;
	retry: RetryPolicy;
	/** Items per history write. */
	batchSize: number;
	/** Pause between writes (Trakt allows one POST per second per user). */
	writeSpacingMs: number;
}

export type HistoryEntry = TraktRef & { watched_at?: string };

/** A film or an episode (by its own ids) to rate: what sync/ratings takes for one item. */
export interface RatingEntry {
	kind: 'movie' | 'episode';
	ref: { title?: string; year?: number; ids: Record<string, string | number> };
	rating?: number;
	rated_at?: string;
}

export class TraktClient {
	requests = 0;
	/** Called after every answer: a long read or write marks the run alive (Sync Servers' run lock). */
	heartbeat?: () => Promise<void>;
	private lastWrite = 0;

	constructor(private readonly options: TraktClientOptions) {}

	async call(what: string, request: HttpRequest, when: RetryWhen = 'any-failure'): Promise<HttpResponse> {
		if (request.method !== 'GET') {
			const wait = this.lastWrite + this.options.writeSpacingMs - Date.now();
			if (wait > 0) await this.options.retry.sleep(wait);
			this.lastWrite = Date.now();
		}
		this.requests++;
		// trakt-api-key, trakt-api-version and the token come from the credential (TraktApi.authenticate).
		const headers = { 'Content-Type': 'application/json', ...request.headers };
		const res = await sendWithRetry(this.options.send, { ...request, headers }, this.options.retry, when);
		await this.heartbeat?.();
		if (res.status !== 409) expectOk(res, what);
		return res;
	}

	async scrobble(action: 'start' | 'pause' | 'stop', ref: TraktRef, progress: number): Promise<{ status: number; body: Record<string, unknown> }> {
		const res = await this.call(`scrobble ${action}`, { method: 'POST', path: `/scrobble/${action}`, body: { ...ref, progress } });
		return { status: res.status, body: (res.body ?? {}) as Record<string, unknown> };
	}

	/**
	 * Adds (or removes) plays in batches; returns the summed counts and what Trakt did not find.
	 * Trakt does not de-duplicate history (a play sent twice is two plays: sync/index.ts), so an
	 * add is sent again only after a 429. When an add fails any other way (a 502, a dropped
	 * connection: Trakt may have applied it), `stillMissing` says which of the batch Trakt lacks,
	 * and only those are sent again; without it the failure stands. Removing is idempotent.
	 */
	async history(kind: 'add' | 'remove', entries: HistoryEntry[], stillMissing?: (batch: HistoryEntry[]) => Promise<HistoryEntry[]>): Promise<{ movies: number; episodes: number; notFound: unknown[] }> {
		const total = { movies: 0, episodes: 0, notFound: [] as unknown[] };
		for (let i = 0; i < entries.length; i += this.options.batchSize) {
			let batch = entries.slice(i, i + this.options.batchSize);
			for (let attempt = 0; batch.length > 0; attempt++) {
				const outcome = await this.call(`history ${kind}`, { method: 'POST', path: kind === 'add' ? '/sync/history' : '/sync/history/remove', body: historyBody(batch) }, kind === 'add' ? 'not-applied' : 'any-failure').then(
					(res) => ({ res }),
					(error: unknown) => ({ error }),
				);
				if ('res' in outcome) {
					const b = (outcome.res.body ?? {}) as Record<string, Record<string, unknown>>;
					const counts = kind === 'add' ? b.added : b.deleted;
					total.movies += Number(counts?.movies ?? 0);
					total.episodes += Number(counts?.episodes ?? 0);
					for (const list of Object.values(b.not_found ?? {})) if (Array.isArray(list)) total.notFound.push(...list);
					break;
				}
				const answered = outcome.error instanceof BackendError ? outcome.error.status : undefined;
				// A refusal (4xx) applied nothing and will not change; a lost answer may have applied it all.
				if (kind !== 'add' || !stillMissing || attempt >= this.options.retry.retries || (answered !== undefined && answered < 500)) throw outcome.error;
				await this.options.retry.sleep(backoffMs(attempt, this.options.retry));
				const missing = await stillMissing(batch);
				// What Trakt has now of the batch, it applied.
				for (const entry of batch) {
					if (missing.includes(entry)) continue;
					if (isMovie(entry)) total.movies++;
					else total.episodes++;
				}
				batch = missing;
			}
		}
		return total;
	}

	/**
	 * Rates (or un-rates) films and episodes in one request per batch (sync/index.ts ratings.add /
	 * remove: `{ movies: [{ rating, rated_at, ids }], episodes: [...] }`). Rating again replaces, so
	 * a retry after a lost answer is harmless.
	 */
	async ratings(kind: 'add' | 'remove', entries: RatingEntry[]): Promise<{ movies: number; episodes: number; notFound: unknown[] }> {
		const total = { movies: 0, episodes: 0, notFound: [] as unknown[] };
		for (let i = 0; i < entries.length; i += this.options.batchSize) {
			const batch = entries.slice(i, i + this.options.batchSize);
			const body: Record<string, unknown[]> = {};
			for (const e of batch) {
				const extra = kind === 'add' ? { rating: e.rating, ...(e.rated_at ? { rated_at: e.rated_at } : {}) } : {};
				(body[e.kind === 'movie' ? 'movies' : 'episodes'] ??= []).push({ ...e.ref, ...extra });
			}
			const res = await this.call(`ratings ${kind}`, { method: 'POST', path: kind === 'add' ? '/sync/ratings' : '/sync/ratings/remove', body });
			const b = (res.body ?? {}) as Record<string, Record<string, unknown>>;
			const counts = kind === 'add' ? b.added : b.deleted;
			total.movies += Number(counts?.movies ?? 0);
			total.episodes += Number(counts?.episodes ?? 0);
			for (const list of Object.values(b.not_found ?? {})) if (Array.isArray(list)) total.notFound.push(...list);
		}
		return total;
	}

	/** Reads every page (or up to `limit` rows), `pageSize` rows a request. */
	async paged(what: string, path: string, query: Record<string, QueryValue>, limit?: number, pageSize = 100): Promise<unknown[]> {
		const rows: unknown[] = [];
		for (let page = 1; ; page++) {
			const res = await this.call(what, { method: 'GET', path, query: { ...query, page, limit: pageSize } });
			if (!Array.isArray(res.body)) throw new BackendError(`${what}: Trakt did not answer with a list`);
			rows.push(...res.body);
			const pages = Number(res.headers['x-pagination-page-count'] ?? 1);
			if (page >= pages || res.body.length === 0 || (limit !== undefined && rows.length >= limit)) break;
		}
		return limit !== undefined ? rows.slice(0, limit) : rows;
	}

	async get(what: string, path: string, query: Record<string, QueryValue> = {}): Promise<unknown> {
		return (await this.call(what, { method: 'GET', path, query })).body;
	}
}

const isMovie = (entry: HistoryEntry) => 'movie' in entry;

/** Groups entries the way /sync/history takes them. */
export function historyBody(entries: HistoryEntry[]): Record<string, unknown[]> {
	const movies: unknown[] = [];
	const episodes: unknown[] = [];
	const shows: unknown[] = [];
	for (const e of entries) {
		if ('movie' in e) movies.push({ ...e.movie, ...(e.watched_at ? { watched_at: e.watched_at } : {}) });
		else if ('show' in e) {
			shows.push({ ...e.show, seasons: [{ number: e.episode.season, episodes: [{ number: e.episode.number, ...(e.watched_at ? { watched_at: e.watched_at } : {}) }] }] });
		} else episodes.push({ ...e.episode, ...(e.watched_at ? { watched_at: e.watched_at } : {}) });
	}
	const body: Record<string, unknown[]> = {};
	if (movies.length) body.movies = movies;
	if (episodes.length) body.episodes = episodes;
	if (shows.length) body.shows = shows;
	return body;
}
