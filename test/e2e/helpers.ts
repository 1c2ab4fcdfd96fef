/** Building real webhook requests and waiting on the emulators, for the end-to-end tests. */
import FormData from 'form-data';
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

export function plexMultipart(payload: object, asFilePart: boolean, thumb?: Buffer): { body: Buffer; headers: Record<string, string> } {
	const form = new FormData();
	const json = JSON.stringify(payload);
	if (asFilePart) form.append('payload', json, { contentType: 'application/json' });
	else form.append('payload', json);
	if (thumb) form.append('thumb', thumb, { filename: 'thumb.jpg', contentType: 'image/jpeg' });
	return { body: form.getBuffer(), headers: { ...form.getHeaders(), 'user-agent': 'PlexMediaServer/1.43.0.10492-121068a07' } };
}

export function embyMultipart(payload: object): { body: Buffer; headers: Record<string, string> } {
	const form = new FormData();
	form.append('data', JSON.stringify(payload));
	return { body: form.getBuffer(), headers: { ...form.getHeaders(), 'user-agent': 'Emby Server/4.9.3.0' } };
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
