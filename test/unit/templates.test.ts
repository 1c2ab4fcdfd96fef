import { templates, templateText } from '../../dev/templates/generate';
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
				expect(node.webhookId).toMatch(/^[0-9a-f-]{36}$/);
			}
		}
		expect(new Set(wf.nodes.map((n) => n.name)).size).toBe(wf.nodes.length);
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

it('has unique webhook ids across all templates', () => {
	const ids = shipped.flatMap(([, wf]) => (wf.nodes as Array<{ webhookId?: string }>).map((n) => n.webhookId).filter(Boolean));
	expect(new Set(ids).size).toBe(ids.length);
});

it('writes before it saves the snapshot (the write branch sits above on the canvas)', () => {
	const full = templates()['full-sync.json'] as { nodes: Array<{ name: string; position: [number, number] }> };
	const y = (name: string) => full.nodes.find((n) => n.name === name)!.position[1];
	expect(y('By Server')).toBeLessThan(y('Save Snapshot'));
});
