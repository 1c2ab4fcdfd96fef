/**
 * The repository root: the nearest folder above this module (sources under ts-jest or tsx, or the
 * compiled copy in .dev-build) or above the working directory that has package.json and workflows/.
 */
import { DEV_LIB_DIR, existsSync, join, proc, resolve } from './builtins';

function rootAbove(start: string): string | undefined {
	let dir = start;
	while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'workflows'))) {
		const up = resolve(dir, '..');
		if (up === dir) return undefined;
		dir = up;
	}
	return dir;
}

export function repositoryRoot(): string {
	const root = rootAbove(DEV_LIB_DIR) ?? rootAbove(proc.cwd());
	if (!root) throw new Error('run from inside the repository');
	return root;
}
