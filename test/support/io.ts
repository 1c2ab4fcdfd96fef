/**
 * Node built-ins for tests and dev tools only. The community-node lint keeps runtime code to
 * n8n-workflow, lodash, luxon and crypto; test/ never ships (package.json `files` is dist/), so
 * this is the one place where test code reaches the file system, streams and sockets.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as querystring from 'node:querystring';
import * as stream from 'node:stream';

export const { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } = fs;
export const { tmpdir } = os;
export const { join, resolve } = path;
export const { Readable } = stream;
export const parseQueryString = querystring.parse;
