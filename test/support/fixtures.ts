/**
 * Access to the shared sample payloads in ../shared/fixtures. They are never copied into this
 * repository; tests that need them are skipped (and say so) when the folder is not there.
 */
import { existsSync, readFileSync, resolve } from '../../dev/lib/builtins';

export const FIXTURES_DIR = resolve('..', 'shared', 'fixtures');
export const fixturesPresent = existsSync(FIXTURES_DIR);

/** `describe` when the shared fixtures exist, `describe.skip` otherwise. */
export const describeWithFixtures = fixturesPresent ? describe : describe.skip;

export function fixtureText(relative: string): string {
	return readFileSync(resolve(FIXTURES_DIR, relative), 'utf8');
}

export function fixtureJson<T = Record<string, unknown>>(relative: string): T {
	return JSON.parse(fixtureText(relative)) as T;
}
