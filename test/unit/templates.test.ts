import { templates, templateText } from '../../dev/templates/generate';
import { bindTemplate } from '../../dev/n8n/stack';
import { join, readFileSync } from '../../dev/lib/builtins';
import pkg from '../../package.json';

const shipped = Object.entries(templates());
const ourTypes = new Set(pkg.n8n.nodes.map((p) => `n8n-nodes-watchstate.${p.split('/').pop()!.replace('.node.js', '').replace(/^./, (c) => c.toLowerCase())}`));

describe.each(shipped)('template %s', (file, workflow) => {
	const wf = workflow as { nodes: Array<{ name: string; type: string; parameters: Record<string, unknown>; credentials?: unknown; webhookId?: string }>; connections: Record<string, { main: Array<Array<{ node: string }>> }>; settings: Record<string, unknown> };

	it('is committed exactly as generated (npm run templates)', () => {
		expect(readFileSync(join('workflows', file), 'utf8')).toBe(templateText(workflow));
	});

	it('uses only this package\'s nodes and n8n core nodes, with no credentials or secrets inside', () => {
		for (const node of wf.nodes) {
			if (node.type.startsWith('n8n-nodes-watchstate.')) expect(ourTypes).toContain(node.type);
			else expect(node.type).toMatch(/^n8n-nodes-base\./);
			expect(node.credentials).toBeUndefined();
			if (node.type.endsWith('Trigger') && node.type.startsWith('n8n-nodes-watchstate.')) {
				// The secret lives in a credential: a token parameter would be stored in every execution.
				expect(node.parameters).not.toHaveProperty('token');
			}
			// No webhook ids: the editor gives each import its own, so a template imported twice can
			// be published twice (the browser e2e imports one twice and publishes both).
			expect(node.webhookId).toBeUndefined();
		}
		expect(new Set(wf.nodes.map((n) => n.name)).size).toBe(wf.nodes.length);
	});

	it("has at most one Manual Trigger: n8n allows one (manualTrigger's maxNodes: 1) and its editor drops the others on import", () => {
		expect(wf.nodes.filter((n) => n.type === 'n8n-nodes-base.manualTrigger').length).toBeLessThanOrEqual(1);
	});

	it('connects only nodes that exist, and runs branches in order (v1)', () => {
		const names = new Set(wf.nodes.map((n) => n.name));
		for (const [from, c] of Object.entries(wf.connections)) {
			expect(names).toContain(from);
			for (const out of c.main) for (const link of out) expect(names).toContain(link.node);
		}
		expect(wf.settings.executionOrder).toBe('v1');
	});
});

it('binds every webhook trigger of the demo to an id of its own, the same on every start', () => {
	const ids = (file: string, id: string) =>
		(bindTemplate(templates()[file] as Parameters<typeof bindTemplate>[0], id) as { nodes: Array<{ type: string; webhookId?: string }> }).nodes
			.filter((n) => /^n8n-nodes-watchstate\.(plex|jellyfin|emby|tautulli)Trigger$/.test(n.type))
			.map((n) => n.webhookId);
	const all = [...ids('realtime-sync.json', 'w1'), ...ids('playback-history.json', 'w2'), ...ids('trakt-scrobbling.json', 'w3')];
	expect(all).toHaveLength(12);
	for (const id of all) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
	expect(new Set(all).size).toBe(all.length);
	expect(ids('realtime-sync.json', 'w1')).toEqual(all.slice(0, 4));
});

it('saves the snapshot only from Sync Servers\' Snapshot output, which it hands on after its writes', () => {
	for (const file of ['full-sync.json', 'scheduled-import-export.json', 'trakt-scrobbling.json']) {
		const wf = templates()[file] as {
			nodes: Array<{ name: string; type: string; executeOnce?: boolean; parameters: Record<string, unknown> }>;
			connections: Record<string, { main: Array<Array<{ node: string }>> }>;
		};
		const syncs = wf.nodes.filter((n) => n.parameters.operation === 'syncServers');
		expect(syncs.length).toBeGreaterThan(0);
		for (const sync of syncs) {
			// Execute Once would hand it the first snapshot row only.
			expect(sync.executeOnce).toBeUndefined();
			const outputs = wf.connections[sync.name].main.map((targets) => targets.map((t) => t.node));
			expect(outputs[0] ?? []).toEqual([]);
			expect(outputs[1]).toEqual([sync.name.replace('Sync Servers', 'Save Snapshot')]);
		}
		// Nothing else writes the snapshot table.
		const savers = wf.nodes.filter((n) => n.type === 'n8n-nodes-base.dataTable' && n.parameters.operation === 'upsert');
		expect(savers.map((n) => n.name).sort()).toEqual(syncs.map((n) => n.name.replace('Sync Servers', 'Save Snapshot')).sort());
	}
});

it('real-time sync: ratings are off by default (no trigger listens for Rated) and one switch away (every Apply node takes them)', () => {
	const wf = templates()['realtime-sync.json'] as { nodes: Array<{ name: string; type: string; parameters: Record<string, Record<string, unknown>> }> };
	const triggers = wf.nodes.filter((n) => /\.(plex|jellyfin|emby|tautulli)Trigger$/.test(n.type));
	expect(triggers.length).toBe(4);
	for (const t of triggers) expect(t.parameters.options.events).not.toContain('rate');
	const appliers = wf.nodes.filter((n) => n.parameters.operation === ('apply' as unknown) && n.parameters.applyOptions);
	expect(appliers.length).toBeGreaterThanOrEqual(6);
	for (const a of appliers) expect(a.parameters.applyOptions.syncRatings).toBe(true);
});

it('Trakt scrobbling: ratings are off by default and one switch away (Ratings Only feeds Rate on Trakt from the Plex and Jellyfin Triggers)', () => {
	const wf = templates()['trakt-scrobbling.json'] as { nodes: Array<{ name: string; type: string; parameters: Record<string, Record<string, unknown> | string> }>; connections: Record<string, { main: Array<Array<{ node: string }>> }> };
	const triggers = wf.nodes.filter((n) => /\.(plex|jellyfin|emby|tautulli)Trigger$/.test(n.type));
	for (const t of triggers) expect((t.parameters.options as { events: string[] }).events).not.toContain('rate');
	const feeding = Object.entries(wf.connections)
		.filter(([, c]) => c.main.flat().some((to) => to.node === 'Ratings Only'))
		.map(([from]) => from)
		.sort();
	expect(feeding).toEqual(['Jellyfin Trigger (Trakt)', 'Plex Trigger (Trakt)']);
	expect(wf.connections['Ratings Only'].main[0].map((to) => to.node)).toEqual(['Rate on Trakt']);
	expect(wf.nodes.find((n) => n.name === 'Rate on Trakt')?.parameters).toMatchObject({ resource: 'rating', operation: 'set' });
});

it('every schedule is one the editor accepts (minutes 1–59, hours 1–23), and the import / export template writes nothing until Dry Run is turned off', () => {
	for (const [file, workflow] of shipped) {
		const wf = workflow as { nodes: Array<{ name: string; type: string; parameters: { rule?: { interval?: Array<Record<string, unknown>> } } & Record<string, unknown> }> };
		for (const node of wf.nodes.filter((n) => n.type === 'n8n-nodes-base.scheduleTrigger')) {
			for (const rule of node.parameters.rule?.interval ?? []) {
				const [value, max] = rule.field === 'minutes' ? [rule.minutesInterval, 59] : rule.field === 'hours' ? [rule.hoursInterval, 23] : [1, 1];
				expect({ file, node: node.name, inRange: Number.isInteger(value) && Number(value) >= 1 && Number(value) <= max }).toEqual({ file, node: node.name, inRange: true });
			}
		}
	}
	const wf = templates()['scheduled-import-export.json'] as { nodes: Array<{ name: string; type: string; parameters: Record<string, unknown> }> };
	const writers = wf.nodes.filter((n) => n.parameters.operation === 'syncServers' && n.parameters.targets !== 'none');
	expect(writers.map((n) => [n.name, n.parameters.dryRun])).toEqual([['Sync Servers (export)', true]]);
});

it('each sync workflow keeps its own snapshot table (the workflow id in its name), created, read and saved under one name', () => {
	for (const file of ['full-sync.json', 'scheduled-import-export.json', 'trakt-scrobbling.json']) {
		const wf = templates()[file] as { nodes: Array<{ type: string; parameters: { operation?: string; tableName?: string; dataTableId?: { value?: string } } }> };
		const tables = wf.nodes.filter((n) => n.type === 'n8n-nodes-base.dataTable').map((n) => n.parameters.tableName ?? n.parameters.dataTableId?.value);
		expect(tables.length).toBeGreaterThanOrEqual(3);
		expect(new Set(tables)).toEqual(new Set(["={{ 'watchstate_snapshots_' + $workflow.id }}"]));
	}
});
