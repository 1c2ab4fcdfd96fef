/**
 * `npm start`: the demo. Emulated Plex, Jellyfin and Emby (seeded, disagreeing), a real n8n with
 * this package and its templates imported, bound to the emulators and published. Prints the
 * editor URL and every webhook URL; Ctrl-C stops what it started.
 */
import { proc } from './lib/builtins';
import { DEMO, startDemoServers, stopDemoServers } from './demo/world';
import { startStack } from './n8n/stack';
import { templates } from './templates/generate';

const say = (line: string) => proc.stdout.write(`${line}\n`);

async function main(): Promise<void> {
	const port = Number(proc.env.N8N_PORT ?? 5678);
	const servers = await startDemoServers({ ports: { plex: 32401, jellyfin: 8097, emby: 8098, trakt: 8099 } });
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
