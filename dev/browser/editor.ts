/**
 * The editor as a user sees it: a real browser (Debian's chromium, headless) logged into the
 * stack's n8n; what the canvas drew and whether n8n knew this package's node types, which fields
 * a node's panel shows, the node search. setup.ts drives it.
 */
import { chromium, type Locator, type Page } from 'playwright-core';
import type { Stack } from '../n8n/stack';
import { existsSync } from '../lib/builtins';
import { ownerCookie, restCall } from '../n8n/rest';

export const CHROMIUM = '/usr/bin/chromium';

// Quiet, self-contained headless chromium: no network beyond 127.0.0.1 is wanted or reachable.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export function browserAvailable(): boolean {
	return existsSync(CHROMIUM);
}

/** A call to n8n's REST API as the owner (what the editor does behind its panels). */
export async function rest<T>(stack: Stack, path: string, body?: object): Promise<T> {
	return await restCall<T>(stack.url, path, body);
}

export interface NodeTypeSeen {
	name: string;
	displayName: string;
	codex?: { categories?: string[]; alias?: string[]; resources?: { primaryDocumentation?: Array<{ url: string }> } };
}

/** The node types n8n serves to its editor (with the codex each node's .node.json gave it). */
export async function nodeTypesSeen(stack: Stack): Promise<NodeTypeSeen[]> {
	const res = await fetch(`${stack.url}/types/nodes.json`, { headers: { cookie: `n8n-auth=${await ownerCookie(stack.url)}` } });
	if (res.status !== 200) throw new Error(`/types/nodes.json answered ${res.status}`);
	return (await res.json()) as NodeTypeSeen[];
}

/** A logged-in headless editor page for `work`; the browser is closed afterwards. */
export async function inEditor<T>(stack: Stack, work: (page: Page) => Promise<T>): Promise<T> {
	const auth = await ownerCookie(stack.url);
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
	try {
		const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 });
		await context.addCookies([{ name: 'n8n-auth', value: auth, url: stack.url }]);
		return await work(await context.newPage());
	} finally {
		await browser.close();
	}
}

/** The open workflow's canvas as drawn: node names, and this package's nodes n8n drew without their icon (types it does not know). */
export async function drawnNodes(page: Page): Promise<{ nodes: string[]; unknown: string[] }> {
	const drawn = await page.$$eval('[data-test-id="canvas-node"]', (els) =>
		els.map((e) => {
			const icon = e.querySelector('img');
			return {
				name: e.getAttribute('data-node-name') ?? '',
				type: e.getAttribute('data-node-type') ?? '',
				// n8n serves a community node's icon only when it knows the node type.
				iconLoaded: !!icon && icon.src.includes('/icons/n8n-nodes-watchstate/') && icon.complete && icon.naturalWidth > 0,
			};
		}),
	);
	return { nodes: drawn.map((n) => n.name), unknown: drawn.filter((n) => n.type.startsWith('n8n-nodes-watchstate.') && !n.iconLoaded).map((n) => n.name) };
}

/** What a node's panel shows a user: the parameter labels and the credential pickers, in order. */
export interface PanelView {
	parameters: string[];
	credentials: string[];
}

/** In an open node panel: which fields it shows. */
export async function panelFields(panel: Locator): Promise<PanelView> {
	const texts = async (selector: string) => (await panel.locator(selector).allInnerTexts()).map((t) => t.split('\n')[0].trim()).filter(Boolean);
	return {
		parameters: await texts('[data-test-id="parameter-item"] label, [data-test-id="parameter-item"] .n8n-input-label'),
		credentials: await texts('[data-test-id="node-credentials-select"] label, .node-credentials label'),
	};
}

/** Opens the node creator and searches `text` (the node search picture). */
export async function searchNodes(page: Page, text: string): Promise<void> {
	await page.locator('[data-test-id="node-creator-plus-button"]').first().click();
	const input = page.locator('[data-test-id="node-creator-search-bar"] input, input[data-test-id="node-creator-search-bar"]').first();
	await input.fill(text);
	await page.waitForTimeout(1500);
}
