/**
 * `npm start`: the demo. Emulated Plex, Jellyfin and Emby (seeded, disagreeing), a real n8n with
 * this package and its templates imported, bound to the emulators and published. Prints the
 * editor URL and every webhook URL; Ctrl-C stops what it started.
 */
import { proc } from './lib/builtins';
import { DEMO, startDemoServers, stateCommands, stopDemoServers } from './demo/world';
import { startStack } from './n8n/stack';
import { templates } from './templates/generate';
import { portsProblem } from './demo/preflight';

const say = (line: string) => proc.stdout.write(`${line}\n`);

async function main(): Promise<void> {
	const port = Number(proc.env.N8N_PORT ?? 5678);
	const ports = { plex: 32401, jellyfin: 8097, emby: 8098, trakt: 8099 };
	const problem = await portsProblem({ n8n: port, "n8n's task broker": port + 1, 'emulated Plex': ports.plex, 'emulated Jellyfin': ports.jellyfin, 'emulated Emby': ports.emby, 'emulated Trakt': ports.trakt });
	if (problem) throw new Error(problem);
	const servers = await startDemoServers({ ports });
	say(`emulated Plex     ${servers.plex.url}  (X-Plex-Token ${DEMO.plexToken})`);
	say(`emulated Jellyfin ${servers.jellyfin.url}  (API key ${DEMO.jellyfinApiKey})`);
	say(`emulated Emby     ${servers.emby.url}  (API key ${DEMO.embyApiKey})`);
	say(`emulated Trakt    ${servers.trakt.url}  (OAuth ${servers.trakt.auth.url})`);
	const stack = await startStack(servers, {
		name: 'demo',
		port,
		brokerPort: port + 1,
		templates: Object.keys(templates()),
		// The demo's Trakt account is the demo user's (the Trakt sync still starts as a dry run).
		traktPerson: DEMO.user.name,
		// Redelivery needs an n8n API key, which the owner makes after the first visit.
		redelivery: 'disabled',
		log: say,
	}).catch(async (error: Error) => {
		await stopDemoServers(servers);
		throw error;
	});
	say('');
	say(`n8n editor: ${stack.url}  (first visit: create the owner account)`);
	say('redelivery of failed runs (real-time template): create an API key in Settings → n8n API, put it in the "n8n API (demo)" credential, enable "Redeliver Failed Runs"');
	for (const w of stack.workflows) {
		say(`workflow "${w.name}" (published)`);
		for (const h of w.webhooks) say(`  ${h.node}: ${h.method} ${h.url}`);
	}
	say('');
	say(`what each emulated server holds for ${DEMO.user.name} now (played, resume points, ratings):`);
	for (const line of stateCommands(servers)) say(`  ${line}`);
	say(`backup files (the templates' /home/node/.n8n-files): ${stack.filesFolder}`);
	say(`n8n log: ${stack.logFile}`);
	say('Ctrl-C stops n8n and the emulators.');
	let stopping = false;
	const shutdown = async () => {
		if (stopping) return;
		stopping = true;
		say('stopping...');
		await stack.stop();
		await stopDemoServers(servers);
		proc.exit(0);
	};
	proc.on('SIGINT', () => void shutdown());
	proc.on('SIGTERM', () => void shutdown());
}

main().catch((error: Error) => {
	proc.stderr.write(`${error.message}\n`);
	proc.exit(1);
});
