/**
 * The walkthrough's home: Plex + Jellyfin, no Emby, no Tautulli. Made from the shipped templates
 * exactly as docs/walkthrough.md tells a user to: delete the nodes of the servers you do not have,
 * and pick your servers in Sync Servers. The editor e2e imports these and takes the guide's
 * pictures from them.
 */
import { templates } from './generate';

type Json = Record<string, unknown>;
interface Node {
	name: string;
	type: string;
	parameters: Json;
}
type Connections = Record<string, { main: Array<Array<{ node: string }>> }>;

const GONE = /\.(emby|embyTrigger|tautulliTrigger)$/;

const STARTS = /(Trigger|\.stickyNote|\.scheduleTrigger|\.manualTrigger)$/;

/** The workflow without the `gone` nodes, and without the nodes only they fed (e.g. "Emby → Plex"). */
function without(workflow: Json, gone: (node: Node) => boolean, name: string): Json {
	const all = workflow.nodes as Node[];
	const edges = Object.entries(workflow.connections as Connections).flatMap(([from, c]) => c.main.flat().map((t) => [from, t.node] as const));
	const removed = new Set(all.filter(gone).map((n) => n.name));
	for (let changed = true; changed; ) {
		changed = false;
		for (const n of all) {
			if (removed.has(n.name) || STARTS.test(n.type)) continue;
			if (!edges.some(([from, to]) => to === n.name && !removed.has(from))) {
				removed.add(n.name);
				changed = true;
			}
		}
	}
	const nodes = all.filter((n) => !removed.has(n.name));
	const kept = new Set(nodes.map((n) => n.name));
	const connections: Connections = {};
	for (const [from, c] of Object.entries(workflow.connections as Connections)) {
		if (!kept.has(from)) continue;
		connections[from] = { main: c.main.map((targets) => targets.filter((t) => kept.has(t.node))) };
	}
	return { ...workflow, name, nodes, connections };
}

export function twoServerHome(): Record<string, Json> {
	const shipped = templates();
	const realtime = without(shipped['realtime-sync.json'], (n) => GONE.test(n.type), 'Plex + Jellyfin: real-time sync');
	const full = without(shipped['full-sync.json'], () => false, 'Plex + Jellyfin: nightly full sync');
	for (const node of full.nodes as Node[]) {
		if (node.parameters.operation === 'syncServers') node.parameters = { ...node.parameters, servers: ['plex', 'jellyfin'] };
	}
	return { 'walkthrough-realtime.json': realtime, 'walkthrough-full-sync.json': full };
}
