/** The Item field's "By URL" mode: the id is taken from an item page of each server's web app. */
import type { INodeProperties, INodePropertyMode } from 'n8n-workflow';
import { mediaNodeProperties, type MediaBackend } from '../../nodes/shared/node/description';

function idFromUrl(backend: MediaBackend, url: string): string | undefined {
	const item = mediaNodeProperties(backend).find((p: INodeProperties) => p.name === 'itemId')!;
	const mode = item.modes!.find((m: INodePropertyMode) => m.name === 'url')!;
	const regex = (mode.extractValue as { regex: string }).regex;
	return new RegExp(regex).exec(url)?.[1];
}

describe('Item by URL', () => {
	it("takes the id from each server's item page", () => {
		expect(idFromUrl('plex', 'https://app.plex.tv/desktop/#!/server/0123abcd/details?key=%2Flibrary%2Fmetadata%2F40294&context=home')).toBe('40294');
		expect(idFromUrl('plex', 'http://192.168.1.5:32400/web/index.html#!/server/0123abcd/details?key=/library/metadata/7')).toBe('7');
		expect(idFromUrl('jellyfin', 'http://jellyfin:8096/web/#/details?id=b1c2d3e4f5a6478899aabbccddeeff00&serverId=6f1f')).toBe('b1c2d3e4f5a6478899aabbccddeeff00');
		expect(idFromUrl('emby', 'http://emby:8096/web/index.html#!/item?id=240270&serverId=a1b2c3')).toBe('240270');
	});

	it('finds nothing in an address that is not an item page', () => {
		expect(idFromUrl('plex', 'https://app.plex.tv/desktop/#!/media/0123abcd/com.plexapp.plugins.library?source=1')).toBeUndefined();
		expect(idFromUrl('jellyfin', 'http://jellyfin:8096/web/#/home.html')).toBeUndefined();
		expect(idFromUrl('emby', 'http://emby:8096/web/index.html#!/home')).toBeUndefined();
	});
});
