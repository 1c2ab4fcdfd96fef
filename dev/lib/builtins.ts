/**
 * Node built-ins for tests and dev tools (emulators, runners, benchmarks) only. The community-node
 * lint keeps runtime code to n8n-workflow, lodash, luxon and crypto; test/ and dev/ never ship
 * (package.json `files` is dist/), so this is the one place where they reach the file system,
 * sockets, child processes and the process object.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports */
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import nodeProcess from 'node:process';
import * as querystring from 'node:querystring';
import * as stream from 'node:stream';
import * as timers from 'node:timers/promises';
import * as callbackTimers from 'node:timers';
import * as url from 'node:url';

export { childProcess, fs, http, net, os, path };
export const { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } = fs;
export const { tmpdir } = os;
export const { join, resolve } = path;
export const { Readable } = stream;
export const parseQueryString = querystring.parse;
export const { URL } = url;
/** A promise that resolves after `ms` unless `signal` aborts it first (then it rejects). */
export const delay = (ms: number, signal?: AbortSignal): Promise<void> => timers.setTimeout(ms, undefined, { signal });
/** Calls `fn` every `ms` until `stopRepeating` (an emulator's own clock: keep-alive watches, tests' heartbeats). */
export const repeat = (ms: number, fn: () => void): ReturnType<typeof callbackTimers.setInterval> => callbackTimers.setInterval(fn, ms);
export const stopRepeating = (timer: ReturnType<typeof callbackTimers.setInterval> | undefined): void => callbackTimers.clearInterval(timer);
/** The process object, for CLIs (argv, env, signals). */
export const proc = nodeProcess;
/** This folder (dev/lib, or its compiled copy), to find the repository from. */
// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals
export const DEV_LIB_DIR = __dirname;
/**
 * Gives a Node without a global WebSocket (jest runs on Node 20) one, as Node 22+ has it: the
 * Watcher triggers use the global. A real n8n (Node 24) uses its own.
 */
export function provideWebSocket(ctor: unknown): void {
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals
	const g = globalThis as { WebSocket?: unknown };
	g.WebSocket ??= ctor;
}
