import type { IDataObject } from 'n8n-workflow';
import { PlexTokenStore } from '../../nodes/shared/node/plextokens';

describe('kept Plex household tokens', () => {
	const MACHINE = '0123456789abcdef0123456789abcdef01234567';

	it('are read back by the same owner and server, and stored only sealed', () => {
		const data: IDataObject = {};
		const store = new PlexTokenStore(data, 'owner-token', MACHINE);
		store.set('3001', 'member-secret-1');
		store.set('3002', 'member-secret-2');
		store.drop('3002');
		expect(JSON.stringify(data)).not.toMatch(/member-secret|owner-token|3001/);
		const again = new PlexTokenStore(JSON.parse(JSON.stringify(data)) as IDataObject, 'owner-token', MACHINE);
		expect([again.get('3001'), again.get('3002')]).toEqual(['member-secret-1', undefined]);
	});

	it('are unreadable with another owner token (a copied workflow), and a damaged seal reads as none', () => {
		const data: IDataObject = {};
		new PlexTokenStore(data, 'owner-token', MACHINE).set('3001', 'member-secret-1');
		expect(new PlexTokenStore(data, 'someone-else', MACHINE).get('3001')).toBeUndefined();
		const slots = data.watchstatePlexTokens as IDataObject;
		const slot = Object.keys(slots)[0];
		const [iv, tag, sealed] = String(slots[slot]).split('.');
		const bytes = Buffer.from(sealed, 'base64');
		bytes[0] ^= 0xff;
		slots[slot] = [iv, tag, bytes.toString('base64')].join('.');
		expect(new PlexTokenStore(data, 'owner-token', MACHINE).get('3001')).toBeUndefined();
	});
});
