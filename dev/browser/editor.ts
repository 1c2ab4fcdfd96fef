/**
 * The shipped templates as a user sees them: a real browser (Debian's chromium, headless) logs
 * into the stack's n8n, opens each workflow in the editor, reads which nodes the canvas drew
 * and whether n8n knew this package's node types, and takes a screenshot.
 */
import { chromium, type Page } from 'playwright-core';
import type { Stack } from '../n8n/stack';
import { existsSync, join } from '../lib/builtins';
import { ownerCookie, restCall } from '../n8n/rest';

export const CHROMIUM = '/usr/bin/chromium';


// Quiet, self-contained headless chromium: no network beyond 127.0.0.1 is wanted or reachable.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export interface EditorView {
	workflow: string;
	/** Node names drawn on the canvas. */
	nodes: string[];
	/** This package's nodes drawn without their icon, i.e. not known to n8n. */
	unknown: string[];
	screenshot: string;
}

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

export interface Shot {
	/** The workflow to open. */
	workflowId: string;
	file: string;
	/** Open this node's panel before the picture. */
	openNode?: string;
	/** Open the node creator and search this before the picture. */
	search?: string;
}

/** A logged-in headless editor page for `work`; the browser is closed afterwards. */
async function inEditor<T>(stack: Stack, work: (page: Page) => Promise<T>): Promise<T> {
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

/** Opens a workflow on the canvas and waits until it is drawn. */
async function openWorkflow(page: Page, stack: Stack, workflowId: string): Promise<void> {
	await page.goto(`${stack.url}/workflow/${workflowId}`, { waitUntil: 'networkidle' });
	await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 30_000 });
	await page.waitForTimeout(1500);
	// n8n's first-visit "Production Checklist" panel would cover part of the canvas.
	const checklist = page.locator('[data-test-id="suggested-actions-close"]');
	if (await checklist.isVisible().catch(() => false)) {
		await checklist.click();
		await page.waitForTimeout(500);
	}
}

/** Pictures of the editor as the walkthrough shows it: a canvas, a node's panel, a node search. */
export async function takeShots(stack: Stack, outDir: string, shots: Shot[]): Promise<string[]> {
	return await inEditor(stack, async (page) => {
		const files: string[] = [];
		for (const shot of shots) {
			await openWorkflow(page, stack, shot.workflowId);
			if (shot.openNode) {
				await page.locator(`[data-test-id="canvas-node"][data-node-name="${shot.openNode}"]`).dblclick();
				await page.waitForSelector('[data-test-id="ndv"]', { timeout: 15_000 });
				await page.waitForTimeout(1500);
			}
			if (shot.search) {
				await page.locator('[data-test-id="node-creator-plus-button"]').first().click();
				const input = page.locator('[data-test-id="node-creator-search-bar"] input, input[data-test-id="node-creator-search-bar"]').first();
				await input.fill(shot.search);
				await page.waitForTimeout(1500);
			}
			const file = join(outDir, shot.file);
			await page.screenshot({ path: file });
			files.push(file);
		}
		return files;
	});
}

export async function viewTemplates(stack: Stack, outDir: string, files?: string[]): Promise<EditorView[]> {
	return await inEditor(stack, async (page) => {
		const views: EditorView[] = [];
		for (const w of stack.workflows.filter((x) => !files || files.includes(x.file))) {
			await openWorkflow(page, stack, w.id);
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
			const nodes = drawn.map((n) => n.name);
			const unknown = drawn.filter((n) => n.type.startsWith('n8n-nodes-watchstate.') && !n.iconLoaded).map((n) => n.name);
			const screenshot = join(outDir, w.file.replace(/\.json$/, '.png'));
			await page.screenshot({ path: screenshot });
			views.push({ workflow: w.file, nodes, unknown, screenshot });
		}
		return views;
	});
}

/** What a node's panel shows a user: the parameter labels and the credential pickers, in order. */
export interface PanelView {
	parameters: string[];
	credentials: string[];
}

/** Opens `node` of a workflow in the editor and reads which fields its panel shows. */
export async function nodePanel(stack: Stack, workflowId: string, node: string): Promise<PanelView> {
	return await inEditor(stack, async (page) => {
		await openWorkflow(page, stack, workflowId);
		await page.locator(`[data-test-id="canvas-node"][data-node-name="${node}"]`).dblclick();
		await page.waitForSelector('[data-test-id="ndv"]', { timeout: 15_000 });
		await page.waitForTimeout(1500);
		const texts = async (selector: string) => (await page.locator(`[data-test-id="ndv"] ${selector}`).allInnerTexts()).map((t) => t.split('\n')[0].trim()).filter(Boolean);
		return {
			parameters: await texts('[data-test-id="parameter-item"] label, [data-test-id="parameter-item"] .n8n-input-label'),
			credentials: await texts('[data-test-id="node-credentials-select"] label, .node-credentials label'),
		};
	});
}
