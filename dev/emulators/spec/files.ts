/**
 * The published specs the emulators play, read from the steering repository's shared fixtures
 * (`../shared/fixtures/specs/openapi`, see the README there for sources and licences). They are
 * test data: never copied into this repository or the package. Without that folder the emulators
 * still run, unbound, and the contract tests say they were skipped.
 */
import { parse as parseYaml } from 'yaml';
import { existsSync, join, readFileSync, resolve } from '../../lib/builtins';
import { repositoryRoot } from '../../lib/root';
import type { Schema } from './schema';

export const SPEC_DIR = resolve(repositoryRoot(), '..', 'shared', 'fixtures', 'specs', 'openapi');
export const specsPresent = existsSync(SPEC_DIR);

const cache = new Map<string, Schema>();

/** A spec by file name (`jellyfin-10.11.json`, `plex.yaml`), parsed once per process. */
export function loadSpec(file: string): Schema | undefined {
	if (!specsPresent) return undefined;
	let spec = cache.get(file);
	if (!spec) {
		const path = join(SPEC_DIR, file);
		if (!existsSync(path)) throw new Error(`spec ${file} is not in ${SPEC_DIR}`);
		const text = readFileSync(path, 'utf8');
		spec = (file.endsWith('.yaml') ? parseYaml(text) : JSON.parse(text)) as Schema;
		cache.set(file, spec);
	}
	return spec;
}
