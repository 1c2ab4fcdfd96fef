/**
 * `npm start`'s preflight: a taken port stops it before anything starts, naming an n8n when one
 * answers there; and the commands it prints to look at the emulated servers really answer the
 * demo user's state.
 */
import { http } from '../../dev/lib/builtins';
import { portsProblem } from '../../dev/demo/preflight';
import { DEMO, startDemoServers, stateCommands, stopDemoServers } from '../../dev/demo/world';

async function listen(handler: http.RequestListener): Promise<{ port: number; close: () => Promise<void> }> {
	const server = http.createServer(handler);
	await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
	const port = (server.address() as { port: number }).port;
	return { port, close: async () => await new Promise<void>((done) => server.close(() => done())) };
}

describe('npm start preflight', () => {
	it('refuses a port something holds, and says when it is an n8n (an earlier npm start)', async () => {
		const n8n = await listen((req, res) => void res.writeHead(200, { 'Content-Type': 'application/json' }).end(req.url === '/healthz' ? '{"status":"ok"}' : ''));
		const other = await listen((_req, res) => void res.writeHead(404).end());
		const free = await listen(() => undefined);
		await free.close();
		try {
			expect(await portsProblem({ n8n: free.port })).toBeUndefined();
			const problem = await portsProblem({ n8n: n8n.port, 'emulated Plex': other.port, broker: free.port });
			expect(problem).toContain(`port ${n8n.port} (n8n) is taken by an n8n that is already running`);
			expect(problem).toMatch(new RegExp(`port ${other.port} \\(emulated Plex\\) is taken\\.`));
			expect(problem).not.toContain(String(free.port));
		} finally {
			await Promise.all([n8n.close(), other.close()]);
		}
	});

	it("the printed commands answer each server's state of the demo user", async () => {
		const servers = await startDemoServers({ movies: 10, shows: 1 });
		try {
			const film = servers.library.movies[0];
			servers.plex.seedState(DEMO.user.plexId, film, { played: true, playCount: 1, lastPlayedAt: Date.UTC(2025, 0, 1), updatedAt: Date.UTC(2025, 0, 1) });
			servers.jellyfin.seedState(DEMO.user.jellyfinId, film, { played: true, playCount: 1, updatedAt: Date.UTC(2025, 0, 1) });
			servers.emby.seedState(DEMO.user.embyId, film, { positionMs: 600_000, updatedAt: Date.UTC(2025, 0, 1) });
			const answers = await Promise.all(
				stateCommands(servers).map(async (line) => {
					const url = /'(http[^']+)'$/.exec(line)![1];
					const res = await fetch(url, { headers: line.includes('Accept: application/json') ? { Accept: 'application/json' } : {} });
					return [res.status, (await res.json()) as Record<string, unknown>] as const;
				}),
			);
			expect(answers.map(([status]) => status)).toEqual([200, 200, 200, 200]);
			const plexFilms = ((answers[0][1].MediaContainer as Record<string, unknown>).Metadata as Array<Record<string, unknown>>).filter((m) => m.ratingKey === servers.plex.keyOf(film));
			expect(plexFilms.map((m) => m.viewCount)).toEqual([1]);
			const row = (body: Record<string, unknown>, id: string) => (body.Items as Array<Record<string, unknown>>).find((i) => i.Id === id)?.UserData as Record<string, unknown>;
			expect(row(answers[2][1], servers.jellyfin.idOf(film))).toMatchObject({ Played: true });
			expect(row(answers[3][1], servers.emby.idOf(film))).toMatchObject({ PlaybackPositionTicks: 600_000 * 10_000 });
		} finally {
			await stopDemoServers(servers);
		}
	});
});
