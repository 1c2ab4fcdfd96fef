/** The repository root, found from the working directory (sources under ts-jest, or .dev-build). */
import { existsSync, join, proc, resolve } from './builtins';

export function repositoryRoot(): string {
	let dir = proc.cwd();
	while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'workflows'))) {
		const up = resolve(dir, '..');
		if (up === dir) throw new Error('run from inside the repository');
		dir = up;
	}
	return dir;
}
