/** plex.tv answers as JSON when asked, and as XML when it ignores the ask: both are read. */
import { PlexTvClient, PlexTvRefusal } from '../../nodes/shared/backends/plex/plextv';
import type { HttpRequest, HttpResponse, Send } from '../../nodes/shared/transport/http';

const MACHINE = 'ffff0000ffff0000ffff0000ffff0000ffff0000';
const users = { MediaContainer: { User: [{ id: 7, title: 'bob', username: 'bob', home: 0, protected: 0 }, { id: 8, title: 'eve', username: 'eve', home: 0, protected: 0 }] } };
const sharedJson = { MediaContainer: { SharedServer: [{ userID: 7, accessToken: 'tok-bob' }, { userID: 8 }] } };
const sharedXml = `<?xml version="1.0"?><MediaContainer size="2"><SharedServer userID="7" accessToken="tok-bob"/><SharedServer userID="8"/></MediaContainer>`;

function plexTv(shared: unknown): { client: PlexTvClient; calls: string[] } {
	const calls: string[] = [];
	const send: Send = async (request: HttpRequest): Promise<HttpResponse> => {
		calls.push(request.path);
		return { status: 200, headers: {}, body: request.path === '/api/users' ? users : shared };
	};
	const retry = { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1, sleep: async () => undefined, random: () => 0 };
	return { client: new PlexTvClient({ send, sendAs: () => send, retry }), calls };
}

describe.each([
	['JSON', sharedJson],
	['XML', sharedXml],
])('plex.tv shared servers as %s', (_label, shared) => {
	it("reads a friend's token; one request for every friend; a share without a token is a refusal", async () => {
		const { client, calls } = plexTv(shared);
		expect(await client.serverToken('7', MACHINE)).toBe('tok-bob');
		await expect(client.serverToken('8', MACHINE)).rejects.toBeInstanceOf(PlexTvRefusal);
		await expect(client.serverToken('9', MACHINE)).rejects.toThrow(/knows no friend or home user 9/);
		expect(calls.filter((c) => c.includes('shared_servers'))).toHaveLength(1);
	});
});
