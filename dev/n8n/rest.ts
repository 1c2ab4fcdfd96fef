/**
 * n8n's REST API as the editor uses it, as the instance owner (created on the first call: owner
 * setup works once, on a fresh instance), and an n8n API key made that way.
 */
export const OWNER = { email: 'owner@example.com', firstName: 'Demo', lastName: 'Owner', password: 'Dummy-demo-password-1' };

const cookies = new Map<string, Promise<string>>();

/** n8n's auth cookie for the instance owner: created on the first call (owner setup), reused after. */
export async function ownerCookie(url: string): Promise<string> {
	let cookie = cookies.get(url);
	if (!cookie) cookies.set(url, (cookie = setUpOwner(url)));
	return await cookie;
}

async function setUpOwner(url: string): Promise<string> {
	let res = await fetch(`${url}/rest/owner/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OWNER) });
	// Another process set the owner up already (e.g. a probe against a running stack): log in.
	if (res.status === 400 && /already setup/i.test(await res.clone().text())) {
		res = await fetch(`${url}/rest/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }) });
	}
	if (res.status !== 200) throw new Error(`owner setup answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
	const cookie = (res.headers.getSetCookie?.() ?? []).find((c) => c.startsWith('n8n-auth='));
	if (!cookie) throw new Error('owner setup set no n8n-auth cookie');
	return cookie.split(';')[0].slice('n8n-auth='.length);
}

/** A call to n8n's REST API as the owner (what the editor does behind its panels). */
export async function restCall<T>(url: string, path: string, body?: object): Promise<T> {
	const res = await fetch(`${url}${path}`, {
		method: body ? 'POST' : 'GET',
		headers: { cookie: `n8n-auth=${await ownerCookie(url)}`, 'content-type': 'application/json', 'browser-id': 'watchstate-e2e' },
		body: body ? JSON.stringify(body) : undefined,
	});
	const text = await res.text();
	if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 300)}`);
	const parsed = JSON.parse(text) as { data?: T };
	return (parsed.data ?? parsed) as T;
}

/** A new n8n API key with every scope the instance offers (Settings → n8n API does the same). */
export async function createApiKey(url: string, label: string): Promise<string> {
	const scopes = await restCall<string[]>(url, '/rest/api-keys/scopes');
	const created = await restCall<{ rawApiKey: string }>(url, '/rest/api-keys', { label, scopes, expiresAt: null });
	return created.rawApiKey;
}
