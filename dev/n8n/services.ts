/**
 * The Postgres and Redis that n8n's queue mode runs on, from Debian's packages (installed once by
 * install-services.sh), each started here as a child process on 127.0.0.1 with its data under
 * .e2e/ and stopped by the pid it was started with: a system Postgres or Redis is never touched.
 */
import { randomBytes } from 'node:crypto';
import { childProcess, delay, existsSync, fs, join, net, proc, rmSync, writeFileSync } from '../lib/builtins';
import { repositoryRoot } from '../lib/root';

export interface Service {
	name: string;
	port: number;
	pid: number;
	stop(): Promise<void>;
}

export interface Postgres extends Service {
	database: string;
	user: string;
	password: string;
	/** Runs a query and returns its rows (psql, JSON-aggregated). */
	rows(query: string): Array<Record<string, unknown>>;
}

const PG_USER = 'n8n';

export function ensureServices(log: (line: string) => void): void {
	if (pgBin('initdb') && hasCommand('redis-server')) return;
	log('installing postgresql and redis-server (first run only)...');
	childProcess.execFileSync('bash', [join(repositoryRoot(), 'dev', 'n8n', 'install-services.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function hasCommand(name: string): boolean {
	return childProcess.spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** A binary of the newest PostgreSQL Debian installed (/usr/lib/postgresql/<major>/bin). */
function pgBin(name: string): string | undefined {
	const base = '/usr/lib/postgresql';
	if (!existsSync(base)) return undefined;
	const majors = fs.readdirSync(base).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
	return majors.map((m) => join(base, m, 'bin', name)).find((p) => existsSync(p));
}

/** Postgres refuses to run as root: as root, its commands run as Debian's `postgres` user. */
function asPostgresUser(cmd: string, args: string[]): [string, string[]] {
	return proc.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

async function waitPort(port: number, child: import('node:child_process').ChildProcess, what: string, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it listened`);
		const open = await new Promise<boolean>((resolve) => {
			const socket = net.connect(port, '127.0.0.1', () => {
				socket.end();
				resolve(true);
			});
			socket.on('error', () => resolve(false));
		});
		if (open) return;
		await delay(200);
	}
	throw new Error(`${what} did not listen on ${port} within ${timeoutMs / 1000} s`);
}

/** Runs `use`; if it fails, stops the service before passing the failure on. */
async function orStop<T>(stop: () => Promise<void>, use: () => Promise<T>): Promise<T> {
	return await use().catch(async (error: unknown) => {
		await stop();
		throw error;
	});
}

function stopper(child: import('node:child_process').ChildProcess, signal: NodeJS.Signals): () => Promise<void> {
	return async () => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		try {
			proc.kill(-child.pid!, signal);
		} catch {
			return;
		}
		const timer = new AbortController();
		const gone = await Promise.race([exited.then(() => true), delay(20_000, timer.signal).then(() => false, () => true)]);
		timer.abort();
		if (!gone) {
			try {
				proc.kill(-child.pid!, 'SIGKILL');
			} catch {
				// already gone
			}
		}
	};
}

/** A fresh Postgres cluster in `dir` on 127.0.0.1:`port`, with a database and a user for n8n. */
export async function startPostgres(dir: string, port: number): Promise<Postgres> {
	const initdb = pgBin('initdb');
	const postgres = pgBin('postgres');
	const psql = pgBin('psql') ?? 'psql';
	if (!initdb || !postgres) throw new Error('PostgreSQL is not installed (dev/n8n/install-services.sh installs it)');
	rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	// A fresh password per cluster (it listens on 127.0.0.1 only and is deleted on the next start).
	const password = randomBytes(18).toString('base64url');
	const pwfile = join(dir, '..', `${port}.pw`);
	writeFileSync(pwfile, `${password}\n`);
	if (proc.getuid?.() === 0) childProcess.execFileSync('chown', ['postgres', dir, pwfile]);
	const [initCmd, initArgs] = asPostgresUser(initdb, ['-D', dir, '-U', PG_USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C']);
	childProcess.execFileSync(initCmd, initArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
	rmSync(pwfile, { force: true });
	const [cmd, args] = asPostgresUser(postgres, ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`]);
	const log = fs.openSync(join(dir, '..', `postgres-${port}.log`), 'a');
	const child = childProcess.spawn(cmd, args, { stdio: ['ignore', log, log], detached: true });
	// Postgres stops cleanly (and fast) on SIGINT.
	const stop = stopper(child, 'SIGINT');
	return await orStop(stop, async () => {
		await waitPort(port, child, 'postgres');
		const env = { ...proc.env, PGPASSWORD: password };
		const run = (sql: string, db = 'postgres') =>
			childProcess.execFileSync(psql, ['-h', '127.0.0.1', '-p', String(port), '-U', PG_USER, '-d', db, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
		// Accepting TCP is not accepting logins yet: retry the first statement briefly.
		let created = false;
		for (let attempt = 0; attempt < 50 && !created; attempt++) {
			try {
				run('CREATE DATABASE n8n');
				created = true;
			} catch {
				await delay(200);
			}
		}
		if (!created) throw new Error(`postgres on ${port} did not accept logins; see its log beside ${dir}`);
		const rows = (query: string) => JSON.parse(run(`SELECT coalesce(json_agg(t), '[]') FROM (${query}) t`, 'n8n')) as Array<Record<string, unknown>>;
		return { name: 'postgres', port, pid: child.pid!, database: 'n8n', user: PG_USER, password, rows, stop };
	});
}

/** A Redis on 127.0.0.1:`port` with nothing persisted (a queue for one test run). */
export async function startRedis(dir: string, port: number): Promise<Service> {
	fs.mkdirSync(dir, { recursive: true });
	const log = fs.openSync(join(dir, `redis-${port}.log`), 'a');
	const child = childProcess.spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', log, log], detached: true });
	const stop = stopper(child, 'SIGTERM');
	await orStop(stop, () => waitPort(port, child, 'redis-server'));
	return { name: 'redis', port, pid: child.pid!, stop };
}
