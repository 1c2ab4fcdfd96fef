/** Building real webhook requests and waiting on the emulators, for the end-to-end tests. */
import { delay } from '../../dev/lib/builtins';

export async function post(url: string, body: Buffer | string, headers: Record<string, string>, method = 'POST'): Promise<{ status: number; body: string }> {
	// Retry briefly on 404: right after start n8n may not have registered a webhook yet.
	for (let attempt = 0; ; attempt++) {
		const res = await fetch(url, { method, headers, body });
		const text = await res.text();
		if (res.status !== 404 || attempt >= 10) return { status: res.status, body: text };
		await delay(500);
	}
}

/** Polls until `check` holds (returns true) or the time is up; returns whether it held. */
export async function until(check: () => boolean, timeoutMs = 30_000, stepMs = 250): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (check()) return true;
		await delay(stepMs);
	}
	return check();
}

export { delay };
export { embyMultipart, plexMultipart } from '../../dev/demo/payloads';
