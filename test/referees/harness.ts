/**
 * What the referee tests share. They run under Node's own test runner with tsx (`npm run
 * referees`), because the referee clients are ES modules that jest's CommonJS runtime cannot load.
 * A referee is a client written by others against the real servers: every request it makes must
 * get what the real server would answer, so the emulator may refuse none of them.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EmulatedServer } from '../../dev/emulators/server';

export { after, assert, before, describe, it };

/** The requests the emulator refused, as readable lines (a referee's request must never be refused). */
export function refused(server: EmulatedServer): string[] {
	return server.violations.filter((v) => v.refused).map((v) => `${v.kind}: ${v.detail} (${v.request})`);
}
