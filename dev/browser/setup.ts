/**
 * A user's first hour in n8n's editor, driven through the UI only (clicks and typing in a real
 * headless chromium, no REST call behind its back): create a credential from the Credentials
 * tab, import a workflow file through the workflow's ⋯ menu, delete and disable nodes, pick a
 * node's credentials, set a field, publish, execute, copy a trigger's Production URL. The
 * selectors are the data-test-ids n8n 2.41.1's editor draws.
 */
import type { Locator, Page } from 'playwright-core';

/** Overview → Credentials → Create credential → type → fields → name → Save; whether its test passed. */
export async function createCredential(page: Page, url: string, type: string, name: string, fields: Record<string, string>): Promise<boolean> {
	await page.goto(`${url}/home/credentials`, { waitUntil: 'networkidle' });
	await page.locator('[data-test-id="add-resource-credential"]').click();
	await page.locator('[data-test-id="new-credential-type-select"] input').fill(type);
	await page.locator('[role=option]:visible', { hasText: type }).first().click();
	await page.locator('[data-test-id="new-credential-type-button"]').click();
	const modal = page.locator('[data-test-id="editCredential-modal"]');
	await modal.waitFor();
	for (const [field, value] of Object.entries(fields)) {
		await modal.locator(`[data-test-id="parameter-input-${field}"] input, [data-test-id="parameter-input-${field}"] textarea`).first().fill(value);
	}
	await modal.locator('[data-test-id="credential-name"] [data-test-id="inline-edit-preview"]').click();
	const input = modal.locator('[data-test-id="credential-name"] [data-test-id="inline-edit-input"]');
	await input.fill(name);
	await input.press('Enter');
	await modal.locator('[data-test-id="credential-save-button"]').click();
	// Saving runs the credential's test; the modal stays open and says how it went.
	const verdict = modal.getByText(/Connection tested successfully|Couldn.t connect|failed/i).first();
	await verdict.waitFor({ timeout: 20_000 }).catch(() => undefined);
	const passed = /successfully/i.test((await verdict.textContent().catch(() => '')) ?? '');
	await page.keyboard.press('Escape');
	await modal.waitFor({ state: 'hidden' });
	return passed;
}

/** + → New workflow, then ⋯ → Import → From file; the editor saves it and answers its id. */
export async function importWorkflowFile(page: Page, url: string, file: string): Promise<string> {
	await page.goto(`${url}/workflow/new`, { waitUntil: 'networkidle' });
	await page.locator('[data-test-id="workflow-menu"]').click();
	await page.locator('[data-test-id="workflow-menu-item-import"]').hover();
	const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.locator('[data-test-id="workflow-menu-item-import-from-file"]').click()]);
	await chooser.setFiles(file);
	await page.waitForSelector('[data-test-id="canvas-node"]');
	await page.waitForURL(/\/workflow\/(?!new)[A-Za-z0-9]+/);
	await dismissToasts(page);
	// The canvas draws only the nodes in view: fit the whole workflow, as the editor does on open.
	await page.locator('[data-test-id="zoom-to-fit"]').click();
	await page.waitForTimeout(800);
	return /\/workflow\/([A-Za-z0-9]+)/.exec(page.url())![1];
}

/** The names of the nodes drawn on the canvas (sticky notes are not canvas nodes). */
export async function canvasNodes(page: Page): Promise<string[]> {
	return await page.locator('[data-test-id="canvas-node"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node-name') ?? ''));
}

function canvasNode(page: Page, name: string): Locator {
	return page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`);
}

/** Click a node, press Delete: the way a user removes the nodes of a server they do not have. */
export async function deleteNodes(page: Page, names: string[]): Promise<void> {
	for (const name of names) {
		await canvasNode(page, name).click();
		await page.keyboard.press('Delete');
		await canvasNode(page, name).waitFor({ state: 'detached' });
	}
}

/** Click a node, press D (n8n's shortcut for Deactivate). */
export async function disableNodes(page: Page, names: string[]): Promise<void> {
	for (const name of names) {
		await canvasNode(page, name).click();
		await page.keyboard.press('d');
		await page.waitForTimeout(200);
	}
}

/** Opens a node's panel, runs `work` in it, closes it. */
export async function inNodePanel<T>(page: Page, node: string, work: (panel: Locator) => Promise<T>): Promise<T> {
	await canvasNode(page, node).dblclick();
	const panel = page.locator('[data-test-id="ndv"]');
	await panel.waitFor();
	const result = await work(panel);
	await panel.locator('[data-test-id="ndv-close-button"]').click();
	await panel.waitFor({ state: 'hidden' });
	return result;
}

/** In an open panel: picks `credential` in the credential picker labelled `slot` (the first when left out). */
export async function pickCredential(page: Page, panel: Locator, credential: string, slot?: string): Promise<void> {
	const slots = panel.locator('[data-test-id="node-credentials-slot"]');
	const target = slot ? slots.filter({ has: page.getByText(slot, { exact: true }) }) : slots.first();
	const option = page.locator('[role=option]:visible', { hasText: credential }).first();
	// A dropdown still closing swallows the first click now and then: open until the list shows.
	for (let attempt = 0; !(await option.isVisible()); attempt++) {
		if (attempt === 5) throw new Error(`the ${slot ?? 'credential'} picker lists no "${credential}"`);
		await target.locator('[data-test-id="node-credentials-select"]').click();
		await option.waitFor({ timeout: 2000 }).catch(() => undefined);
	}
	await option.click();
	await page.waitForTimeout(300);
}

/** In an open panel: makes a multi-options field hold exactly `chosen` (by their labels). */
export async function chooseOptions(page: Page, panel: Locator, field: string, chosen: string[]): Promise<void> {
	await panel.locator(`[data-test-id="parameter-input-${field}"]`).click();
	const options = page.locator('[role=option]:visible');
	await options.first().waitFor();
	for (const option of await options.all()) {
		const label = (await option.innerText()).trim();
		const selected = /selected|is-selected/.test((await option.getAttribute('class')) ?? '') || (await option.getAttribute('aria-selected')) === 'true';
		if (selected !== chosen.includes(label)) await option.click();
	}
	await page.keyboard.press('Escape');
	await options.first().waitFor({ state: 'hidden' });
}

/** In an open panel: turns a boolean field on or off. */
export async function setSwitch(panel: Locator, field: string, on: boolean): Promise<void> {
	const input = panel.locator(`[data-test-id="parameter-input-${field}"]`);
	const isOn = async () => /is-checked/.test((await input.locator('.el-switch').first().getAttribute('class')) ?? '');
	if ((await isOn()) !== on) await input.locator('.el-switch').first().click();
}

/** In an open trigger panel: Webhook URLs → Production URL, and the URL it then shows. */
export async function productionUrl(panel: Locator): Promise<string> {
	await panel.getByText('Webhook URLs', { exact: true }).click();
	await panel.locator('[data-test-id="radio-button-production"]').click();
	const found = (await panel.locator('[data-test-id="node-parameters"]').innerText()).match(/https?:\/\/\S+\/webhook\/\S+/);
	if (!found) throw new Error('the trigger panel shows no Production URL');
	return found[0];
}

/**
 * Publish → (the version name offered) → Publish. n8n then says "Workflow published" (closed
 * with Got it) or why not (e.g. "Conflicting Trigger Path"). Answers what it said.
 */
export async function publish(page: Page): Promise<{ published: boolean; message: string }> {
	await page.locator('[data-test-id="workflow-open-publish-modal-button"]').click();
	await page.locator('[data-test-id="workflow-publish-button"]').click();
	const done = page.locator('[data-test-id="activation-modal"]');
	const refused = page.locator('#app-modals, .el-notification').getByText(/cannot be activated|conflict|problem|could not|issues?\b/i);
	await done.or(refused).first().waitFor({ timeout: 30_000 });
	if (await done.isVisible()) {
		const message = await done.innerText();
		await done.getByText('Got it').click();
		await done.waitFor({ state: 'hidden' });
		await page.waitForTimeout(1000);
		await closeChecklist(page);
		return { published: true, message };
	}
	const message = (await page.locator('#app-modals').innerText()).replace(/^[\s\S]*?Publish\n/, '');
	for (let i = 0; i < 3; i++) await page.keyboard.press('Escape');
	return { published: false, message };
}

/** Whether the editor offers Publish (it does not for a workflow without a trigger of its own). */
export async function publishOffered(page: Page): Promise<boolean> {
	return await page.locator('[data-test-id="workflow-open-publish-modal-button"]').isEnabled();
}

/**
 * Execute workflow (from `trigger` when the workflow has several); waits for n8n's verdict
 * ("Workflow executed successfully", or the problem) and answers it.
 */
export async function executeWorkflow(page: Page, trigger?: string): Promise<string> {
	await dismissToasts(page);
	if (trigger) await canvasNode(page, trigger).hover();
	await page.locator(trigger ? `[data-test-id="execute-workflow-button-${trigger}"]` : '[data-test-id="execute-workflow-button"]').click();
	const verdict = page.locator('.el-notification:visible').filter({ hasText: /executed successfully|problem|error|failed/i }).first();
	await verdict.waitFor({ timeout: 10 * 60_000 });
	const text = (await verdict.innerText()).replace(/\s+/g, ' ').trim();
	await dismissToasts(page);
	return text;
}

/** n8n's first-visit "Production Checklist" panel covers part of the canvas: close it when it shows. */
export async function closeChecklist(page: Page): Promise<void> {
	const checklist = page.locator('[data-test-id="suggested-actions-close"]');
	if (await checklist.isVisible().catch(() => false)) {
		await checklist.click();
		await page.waitForTimeout(500);
	}
}

async function dismissToasts(page: Page): Promise<void> {
	for (const close of await page.locator('.el-notification__closeBtn:visible').all()) await close.click().catch(() => undefined);
	await page.locator('.el-notification:visible').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
}
