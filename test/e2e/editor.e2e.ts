/**
 * The templates and the walkthrough in a real n8n 2.41.1 editor, driven by headless chromium
 * (Debian's, installed by .ci/run; without it this file is skipped). The walkthrough is followed
 * click by click — credentials created in the Credentials tab, templates imported through the
 * workflow's ⋯ menu, nodes deleted, credentials picked, fields set, published, executed — and
 * what it then does is read on the emulated servers. The user guide's pictures come from here
 * (UPDATE_SCREENSHOTS=1 writes them into docs/images).
 */
import { watchedRequest } from '../../dev/demo/payloads';
import { DEMO, startDemoServers, stopDemoServers, type DemoServers } from '../../dev/demo/world';
import type { SeedMovie } from '../../dev/emulators/library';
import { browserAvailable, drawnNodes, inEditor, nodeTypesSeen, panelFields, rest, searchNodes, type PanelView } from '../../dev/browser/editor';
import * as ui from '../../dev/browser/setup';
import { fs, join, proc, readFileSync } from '../../dev/lib/builtins';
import { CREDENTIAL_IDS, ROOT, startStack, type Stack } from '../../dev/n8n/stack';
import { templates } from '../../dev/templates/generate';
import { delay, post, until } from './helpers';

const u = DEMO.user;
const log = (line: string) => void line;
const withBrowser = browserAvailable() ? describe : describe.skip;
const TEMPLATES = Object.keys(templates());
const file = (name: string) => join(ROOT, 'workflows', name);
// What a user types: their own names and secrets, not the demo's.
const MINE = { plex: 'My Plex', jellyfin: 'My Jellyfin', hook: 'My webhook token' };
const TYPED_HOOK_TEXT = 'dummy-walkthrough-webhook-5c1e0a9d7b';

withBrowser('the templates and the walkthrough in the n8n editor, seen by headless chromium', () => {
	let servers: DemoServers;
	let stack: Stack;
	beforeAll(async () => {
		servers = await startDemoServers({ drift: false });
		// No workflow: every one is imported below through the editor, as a user does.
		stack = await startStack(servers, { name: 'e2e-editor', port: 5688, brokerPort: 5689, templates: [], log });
	});
	afterAll(async () => {
		await stack?.stop();
		if (servers) await stopDemoServers(servers);
	});
	// UPDATE_SCREENSHOTS=1 refreshes the pictures the user guide shows.
	const outDir = () => {
		const out = proc.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'images') : join(stack.userFolder, 'screenshots');
		fs.mkdirSync(out, { recursive: true });
		return out;
	};
	const allWrites = () => [...servers.plex.writes, ...servers.jellyfin.writes, ...servers.emby.writes].length;
	const saved = (id: string) => rest<{ active: boolean; nodes: Array<{ name: string; disabled?: boolean; credentials?: Record<string, { name: string }>; parameters: Record<string, unknown> }> }>(stack, `/rest/workflows/${id}`);
	const movie = (n: number): SeedMovie => servers.library.movies[n - 1];

	describe('walkthrough, step by step in the editor', () => {
		let realtimeId = '';
		let plexUrl = '';
		let jellyfinUrl = '';

		it('2. creates the Plex, Jellyfin and webhook credentials in the Credentials tab, each tested by n8n as it saves', async () => {
			const tested = await inEditor(stack, async (page) => [
				await ui.createCredential(page, stack.url, 'Plex Media Server API', MINE.plex, { baseUrl: servers.plex.url, token: DEMO.plexToken }),
				await ui.createCredential(page, stack.url, 'Jellyfin API', MINE.jellyfin, { baseUrl: servers.jellyfin.url, token: DEMO.jellyfinApiKey }),
				await ui.createCredential(page, stack.url, 'Watch State Webhook API', MINE.hook, { token: TYPED_HOOK_TEXT }),
			]);
			// Plex and Jellyfin are asked; the webhook token's test is its strength.
			expect(tested).toEqual([true, true, true]);
			const names = (await rest<Array<{ name: string }>>(stack, '/rest/credentials')).map((c) => c.name);
			expect(names).toEqual(expect.arrayContaining(Object.values(MINE)));
		});

		it('3. imports the real-time template, deletes the Tautulli and Emby nodes, picks the credentials, publishes; the trigger shows its Production URL', async () => {
			const result = await inEditor(stack, async (page) => {
				const id = await ui.importWorkflowFile(page, stack.url, file('realtime-sync.json'));
				await ui.deleteNodes(page, (await ui.canvasNodes(page)).filter((n) => /Tautulli|Emby/.test(n)));
				await ui.disableNodes(page, ['Every 2 Minutes']);
				for (const node of ['Jellyfin → Plex', 'Plex: Plays to Catch Up']) await ui.inNodePanel(page, node, (p) => ui.pickCredential(page, p, MINE.plex));
				for (const node of ['Plex → Jellyfin', 'Jellyfin: Plays to Catch Up']) await ui.inNodePanel(page, node, (p) => ui.pickCredential(page, p, MINE.jellyfin));
				for (const node of ['Plex Trigger', 'Jellyfin Trigger']) await ui.inNodePanel(page, node, (p) => ui.pickCredential(page, p, MINE.hook));
				const published = await ui.publish(page);
				await page.screenshot({ path: join(outDir(), 'walkthrough-realtime.png') });
				// Step 1's picture: the node panel finds the package by what a user wants.
				await searchNodes(page, 'watched');
				await page.screenshot({ path: join(outDir(), 'walkthrough-search.png') });
				await page.keyboard.press('Escape');
				const urls = [] as string[];
				for (const node of ['Plex Trigger', 'Jellyfin Trigger']) {
					urls.push(
						await ui.inNodePanel(page, node, async (p) => {
							const url = await ui.productionUrl(p);
							if (node === 'Plex Trigger') await page.screenshot({ path: join(outDir(), 'walkthrough-plex-trigger.png') });
							return url;
						}),
					);
				}
				return { id, published, urls, nodes: await ui.canvasNodes(page) };
			});
			expect(result.published).toEqual({ published: true, message: expect.stringContaining('Workflow published') });
			expect(result.nodes.filter((n) => /Emby|Tautulli/.test(n))).toEqual([]);
			[realtimeId, plexUrl, jellyfinUrl] = [result.id, ...result.urls];
			// Each import gets webhook ids of its own (the template ships none).
			expect(plexUrl).toMatch(new RegExp(`^${stack.webhookUrl}/webhook/[0-9a-f-]{36}/plex$`));
			expect(jellyfinUrl).toMatch(new RegExp(`^${stack.webhookUrl}/webhook/[0-9a-f-]{36}/jellyfin$`));
			const workflow = await saved(realtimeId);
			expect(workflow.active).toBe(true);
			const picked = Object.fromEntries(workflow.nodes.filter((n) => n.credentials && !n.disabled).map((n) => [n.name, Object.values(n.credentials!).map((c) => c.name)]));
			expect(picked).toMatchObject({
				'Plex Trigger': [MINE.hook],
				'Jellyfin Trigger': [MINE.hook],
				'Plex → Jellyfin': [MINE.jellyfin],
				'Jellyfin → Plex': [MINE.plex],
			});
			expect(workflow.nodes.find((n) => n.name === 'Every 2 Minutes')?.disabled).toBe(true);
		});

		it('3. a movie finished on Plex is played on Jellyfin, and one finished on Jellyfin on Plex, through the copied URLs and the typed token', async () => {
			expect(plexUrl).not.toBe('');
			const [onPlex, onJellyfin] = [movie(3), movie(4)];
			// What the servers themselves then hold: the movie played where it was finished.
			const at = Date.parse('2026-12-01T21:00:00Z');
			servers.plex.seedState(u.plexId, onPlex, { played: true, playCount: 1, lastPlayedAt: at, updatedAt: at });
			servers.jellyfin.seedState(u.jellyfinId, onJellyfin, { played: true, playCount: 1, lastPlayedAt: at, updatedAt: at });
			const before = allWrites();
			const fromPlex = watchedRequest(servers, onPlex, 'plex');
			// A wrong token is refused: the URL alone is not enough.
			expect((await post(`${plexUrl}?apikey=not-the-token`, fromPlex.body, fromPlex.headers)).status).toBe(401);
			expect((await post(`${plexUrl}?apikey=${TYPED_HOOK_TEXT}`, fromPlex.body, fromPlex.headers)).status).toBe(200);
			const fromJellyfin = watchedRequest(servers, onJellyfin, 'jellyfin');
			expect((await post(`${jellyfinUrl}?apikey=${TYPED_HOOK_TEXT}`, fromJellyfin.body, fromJellyfin.headers)).status).toBe(200);
			expect(await until(() => servers.jellyfin.stateOf(u.jellyfinId, onPlex).played && servers.plex.stateOf(u.plexId, onJellyfin).played)).toBe(true);
			await delay(1500);
			// One write each, and nothing on Emby, whose nodes were deleted.
			expect(allWrites() - before).toBe(2);
			expect(servers.emby.writes).toEqual([]);
		});

		it('4. full sync: Servers set to Plex and Jellyfin with their credentials; a Dry Run writes nothing, the real run converges, the next one writes nothing', async () => {
			const [plexOnly, jellyfinOnly, halfway] = [movie(10), movie(11), movie(12)];
			servers.plex.seedState(u.plexId, plexOnly, { played: true, playCount: 1, lastPlayedAt: Date.parse('2026-11-01T20:00:00Z'), updatedAt: Date.parse('2026-11-01T20:00:00Z') });
			servers.jellyfin.seedState(u.jellyfinId, jellyfinOnly, { played: true, playCount: 1, lastPlayedAt: Date.parse('2026-11-02T20:00:00Z'), updatedAt: Date.parse('2026-11-02T20:00:00Z') });
			servers.jellyfin.seedState(u.jellyfinId, halfway, { positionMs: Math.round(halfway.durationMs / 2), lastPlayedAt: Date.parse('2026-11-03T20:00:00Z'), updatedAt: Date.parse('2026-11-03T20:00:00Z') });
			const writes = () => ({ plex: servers.plex.writes.length, jellyfin: servers.jellyfin.writes.length, emby: servers.emby.writes.length });
			const start = writes();
			const counts: Array<typeof start> = [];
			const verdicts: string[] = [];
			const id = await inEditor(stack, async (page) => {
				const id = await ui.importWorkflowFile(page, stack.url, file('full-sync.json'));
				await ui.inNodePanel(page, 'Sync Servers', async (p) => {
					await ui.chooseOptions(page, p, 'servers', ['Plex', 'Jellyfin']);
					await ui.pickCredential(page, p, MINE.plex, 'Credential for Plex Media Server API');
					await ui.pickCredential(page, p, MINE.jellyfin, 'Credential for Jellyfin API');
					await ui.setSwitch(p, 'dryRun', true);
					await page.screenshot({ path: join(outDir(), 'walkthrough-full-sync.png') });
				});
				verdicts.push(await ui.executeWorkflow(page, 'Run Now'));
				counts.push(writes());
				await ui.inNodePanel(page, 'Sync Servers', (p) => ui.setSwitch(p, 'dryRun', false));
				for (let run = 0; run < 2; run++) {
					verdicts.push(await ui.executeWorkflow(page, 'Run Now'));
					counts.push(writes());
				}
				return id;
			});
			expect(verdicts).toEqual(Array(3).fill('Workflow executed successfully'));
			expect(counts[0]).toEqual(start);
			expect(counts[1]).toEqual({ plex: start.plex + 2, jellyfin: start.jellyfin + 1, emby: start.emby });
			expect(counts[2]).toEqual(counts[1]);
			expect([servers.jellyfin.stateOf(u.jellyfinId, plexOnly).played, servers.plex.stateOf(u.plexId, jellyfinOnly).played]).toEqual([true, true]);
			expect(servers.plex.stateOf(u.plexId, halfway).positionMs).toBe(Math.round(halfway.durationMs / 2));
			const sync = (await saved(id)).nodes.find((n) => n.name === 'Sync Servers')!;
			const credentials = Object.fromEntries(Object.entries(sync.credentials ?? {}).map(([type, c]) => [type, c.name]));
			expect([sync.parameters.servers, credentials]).toEqual([['plex', 'jellyfin'], { plexApi: MINE.plex, jellyfinApi: MINE.jellyfin }]);
		});
	});

	it("imports every template fresh through the ⋯ menu: every node drawn and known, Sync Servers', Back Up's and Restore's own fields shown, published — the real-time one twice", async () => {
		const panels: Record<string, PanelView> = {};
		// n8n publishes only what has a trigger of its own; Restore and Migrate run by hand.
		const runByHand = (name: string) => {
			const { nodes } = JSON.parse(readFileSync(file(name), 'utf8')) as { nodes: Array<{ type: string }> };
			return !nodes.some((n) => /Trigger$/.test(n.type) && n.type !== 'n8n-nodes-base.manualTrigger');
		};
		const seen = await inEditor(stack, async (page) => {
			const results: Array<{ file: string; nodes: string[]; unknown: string[]; published: boolean; message: string }> = [];
			for (const [i, name] of [...TEMPLATES, 'realtime-sync.json'].entries()) {
				await ui.importWorkflowFile(page, stack.url, file(name));
				await ui.closeChecklist(page);
				const drawn = await drawnNodes(page);
				if (i < TEMPLATES.length) await page.screenshot({ path: join(outDir(), name.replace(/\.json$/, '.png')) });
				for (const node of { 'full-sync.json': ['Sync Servers'], 'backup.json': ['Back Up'], 'restore.json': ['Restore Backup'] }[name] ?? []) {
					panels[node] = await ui.inNodePanel(page, node, (p) => panelFields(p));
				}
				if (runByHand(name)) {
					const offered = await ui.publishOffered(page);
					results.push({ file: name, ...drawn, published: !offered, message: offered ? 'Publish offered for a workflow with no trigger' : '' });
					continue;
				}
				const { published, message } = await ui.publish(page);
				results.push({ file: name, ...drawn, published, message: published ? '' : message });
			}
			return results;
		});
		expect(TEMPLATES.filter(runByHand)).toEqual(['restore.json', 'migrate.json']);
		expect(seen.map((r) => [r.file, r.published, r.message])).toEqual([...TEMPLATES, 'realtime-sync.json'].map((name) => [name, true, '']));
		for (const view of seen) {
			const template = JSON.parse(readFileSync(file(view.file), 'utf8')) as { nodes: Array<{ name: string; type: string }> };
			// Sticky notes are drawn as notes, not as canvas nodes.
			const nodes = template.nodes.filter((n) => n.type !== 'n8n-nodes-base.stickyNote');
			expect([view.file, [...view.nodes].sort()]).toEqual([view.file, nodes.map((n) => n.name).sort()]);
			expect([view.file, view.unknown]).toEqual([view.file, []]);
		}
		for (const name of TEMPLATES) {
			const png = readFileSync(join(outDir(), name.replace(/\.json$/, '.png')));
			// PNG signature, then the IHDR width and height: the full 1600 x 1000 viewport.
			expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
			expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1600, 1000]);
			expect(png.length).toBeGreaterThan(30_000);
		}
		// One credential picker per server, none drawn as n8n's auth-type picker.
		const servers = ['Credential for Plex Media Server API', 'Credential for Jellyfin API', 'Credential for Emby API'];
		expect(panels['Sync Servers'].parameters).toEqual(expect.arrayContaining(['Operation', 'Servers', 'For', 'Source Servers', 'Servers to Write', 'Dry Run']));
		expect(panels['Sync Servers'].credentials).toEqual([...servers, 'Credential for Trakt API', 'Credential for Watch State Household API']);
		expect(panels['Back Up'].parameters).toEqual(expect.arrayContaining(['Operation', 'Servers', 'For']));
		expect(panels['Restore Backup'].parameters).toEqual(expect.arrayContaining(['Operation', 'Restore Into', 'Dry Run']));
		expect(panels['Restore Backup'].credentials).toEqual([...servers, 'Credential for Watch State Household API']);
	});

	it("serves every node's codex (category, aliases, docs) to the node panel, and finds the nodes by alias", async () => {
		const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { n8n: { nodes: string[] } };
		// Nodes usable as AI tools appear a second time as "<name>Tool"; the panel lists the nodes.
		const ours = (await nodeTypesSeen(stack)).filter((t) => t.name.startsWith('n8n-nodes-watchstate.') && !t.name.endsWith('Tool'));
		expect(new Set(ours.map((t) => t.name)).size).toBe(pkg.n8n.nodes.length);
		for (const type of ours) {
			expect([type.name, type.codex?.categories]).toEqual([type.name, ['Miscellaneous']]);
			expect(type.codex?.resources?.primaryDocumentation?.[0]?.url).toMatch(/^https:\/\/github\.com\/n8n-nodes-watchstate\//);
		}
		expect(ours.filter((t) => t.codex?.alias?.includes('Watched')).length).toBeGreaterThanOrEqual(8);
	});

	it('loads the Libraries list and the User list from the servers, as the node panel does', async () => {
		const libraries = await rest<Array<{ name: string; value: string }>>(stack, '/rest/dynamic-node-parameters/options', {
			nodeTypeAndVersion: { name: 'n8n-nodes-watchstate.plex', version: 1 },
			path: 'filters.libraries',
			methodName: 'getLibraries',
			currentNodeParameters: { resource: 'library', operation: 'getWatchState', filters: {} },
			credentials: { plexApi: { id: CREDENTIAL_IDS.plex, name: 'Plex (emulator)' } },
		});
		expect(libraries.map((l) => l.name).sort()).toEqual(['Movies', 'TV Shows']);
		const users = await rest<{ results: Array<{ name: string; value: string }> }>(stack, '/rest/dynamic-node-parameters/resource-locator-results', {
			nodeTypeAndVersion: { name: 'n8n-nodes-watchstate.jellyfin', version: 1 },
			path: 'userId',
			methodName: 'searchUsers',
			filter: 'ali',
			currentNodeParameters: { resource: 'item', operation: 'get' },
			credentials: { jellyfinApi: { id: CREDENTIAL_IDS.jellyfin, name: 'Jellyfin (emulator)' } },
		});
		expect(users.results).toEqual([{ name: 'alice (admin)', value: u.jellyfinId }]);
	});

	it("the walkthrough's pictures are full-size", () => {
		for (const shot of ['walkthrough-search.png', 'walkthrough-realtime.png', 'walkthrough-plex-trigger.png', 'walkthrough-full-sync.png']) {
			const png = readFileSync(join(outDir(), shot));
			expect([shot, png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([shot, 1600, 1000]);
			expect(png.length).toBeGreaterThan(30_000);
		}
	});
});
