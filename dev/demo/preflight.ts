/**
 * Before `npm start` starts anything: every port it needs must be free. A port already answered
 * (most often the n8n of an earlier `npm start` whose terminal was closed) would otherwise get
 * the success banner printed against the old n8n, with the old templates and credentials.
 */
import { net } from '../lib/builtins';

/** Whether something accepts connections on 127.0.0.1:port. */
export async function portInUse(port: number): Promise<boolean> {
	return await new Promise<boolean>((done) => {
		const socket = net.createConnection({ host: '127.0.0.1', port });
		socket.once('connect', () => {
			socket.destroy();
			done(true);
		});
		socket.once('error', () => done(false));
	});
}

/** Whether an n8n answers on the port (its health endpoint says `{"status":"ok"}`). */
async function isN8n(port: number): Promise<boolean> {
	const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
	const body = res ? await res.text().catch(() => '') : '';
	return res?.ok === true && body.includes('"status":"ok"');
}

/** Why `npm start` cannot start, or undefined when every port is free. */
export async function portsProblem(ports: Record<string, number>): Promise<string | undefined> {
	const taken: string[] = [];
	for (const [what, port] of Object.entries(ports)) {
		if (!(await portInUse(port))) continue;
		const n8n = await isN8n(port);
		taken.push(`port ${port} (${what}) is taken${n8n ? ' by an n8n that is already running, probably an earlier `npm start`' : ''}`);
	}
	if (taken.length === 0) return undefined;
	return [
		`cannot start: ${taken.join('; ')}.`,
		'Stop what holds it (Ctrl-C in the terminal of the earlier `npm start`, or `fuser -k <port>/tcp`), or start on other ports: N8N_PORT=5700 npm start.',
	].join('\n');
}
