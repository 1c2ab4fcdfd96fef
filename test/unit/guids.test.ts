import {
	guidsFromPlex,
	guidsFromProviderIds,
	guidsFromProviderKeys,
	guidsFromTautulli,
	makeGuids,
	parsePlexGuid,
} from '../../nodes/shared/media/guids';
import { describeWithFixtures, fixtureJson } from '../support/fixtures';

describe('parsePlexGuid', () => {
	it.each([
		['imdb://tt0468569', { guids: { imdb: 'tt0468569' } }],
		['tmdb://155', { guids: { tmdb: '155' } }],
		['tvdb://349232', { guids: { tvdb: '349232' } }],
		['com.plexapp.agents.imdb://tt0468569?lang=en', { guids: { imdb: 'tt0468569' } }],
		['com.plexapp.agents.themoviedb://155?lang=en', { guids: { tmdb: '155' } }],
		['com.plexapp.agents.thetvdb://301376/1/14?lang=en', { guids: {}, showGuids: { tvdb: '301376' }, season: 1, episode: 14 }],
		['com.plexapp.agents.themoviedb://1396/2/3?lang=en', { guids: {}, showGuids: { tmdb: '1396' }, season: 2, episode: 3 }],
		['com.plexapp.agents.thetvdb://81189?lang=en', { guids: { tvdb: '81189' } }],
		['com.plexapp.agents.hama://anidb-1234?lang=en', { guids: { anidb: '1234' } }],
		['com.plexapp.agents.hama://tvdb2-81189/1/2', { guids: {}, showGuids: { tvdb: '81189' }, season: 1, episode: 2 }],
		['com.plexapp.agents.tvmaze://169', { guids: { tvmaze: '169' } }],
		['plex://movie/5d776825880197001ec967c1', { guids: {} }],
		['local://1234', { guids: {} }],
		['com.plexapp.agents.none://abc', { guids: {} }],
		['com.plexapp.agents.plexmusic://gracenote/track/7572499', { guids: {} }],
		['imdb://xx', { guids: {} }],
		['tmdb://0', { guids: {} }],
		['tvdb://00194', { guids: { tvdb: '194' } }],
		['IMDB://TT0468569', { guids: { imdb: 'tt0468569' } }],
		['com.plexapp.agents.thetvdb://81189/x/2', { guids: {} }],
		['', { guids: {} }],
		['not a guid', { guids: {} }],
	])('%s', (guid, expected) => {
		expect(parsePlexGuid(guid)).toEqual(expected);
	});

	it('ignores non-strings', () => {
		for (const v of [undefined, null, 5, {}, ['imdb://tt0468569']]) expect(parsePlexGuid(v)).toEqual({ guids: {} });
	});
});

describe('guidsFromPlex', () => {
	it('merges the Guid array with the legacy guid, new agents first', () => {
		const r = guidsFromPlex([{ id: 'imdb://tt0111111' }, { id: 'tmdb://12' }, { id: 'bogus' }, 'tvdb://7', null], 'com.plexapp.agents.imdb://tt0999999');
		expect(r).toEqual({ guids: { imdb: 'tt0111111', tmdb: '12', tvdb: '7' } });
	});
	it('keeps the legacy show/season/episode form beside episode ids', () => {
		expect(guidsFromPlex([{ id: 'tvdb://349232' }], 'com.plexapp.agents.thetvdb://81189/1/1')).toEqual({
			guids: { tvdb: '349232' },
			showGuids: { tvdb: '81189' },
			season: 1,
			episode: 1,
		});
	});
	it('survives garbage', () => {
		expect(guidsFromPlex('imdb://tt0468569', 42)).toEqual({ guids: {} });
		expect(guidsFromPlex([{ id: { nested: true } }], undefined)).toEqual({ guids: {} });
	});
});

describe('provider id maps', () => {
	it('reads Jellyfin / Emby ProviderIds with any key casing and drops unknown or invalid keys', () => {
		expect(
			guidsFromProviderIds({ IMDB: 'tt0468569', tmdb: '155', Tvdb: 194, TvRage: '', TmdbCollection: '263', Zap2It: 'x', AniDB: '5' }),
		).toEqual({ imdb: 'tt0468569', tmdb: '155', tvdb: '194', anidb: '5' });
		expect(guidsFromProviderIds(null)).toEqual({});
		expect(guidsFromProviderIds(['tt0468569'])).toEqual({});
	});
	it('reads Jellyfin webhook Provider_* keys', () => {
		expect(guidsFromProviderKeys({ Provider_imdb: 'tt0959621', Provider_tvdb: '349232', PROVIDER_TMDB: '62085', Name: 'x' })).toEqual({
			imdb: 'tt0959621',
			tmdb: '62085',
			tvdb: '349232',
		});
	});
	it('reads Tautulli Guids with empty strings for unknown ids', () => {
		expect(guidsFromTautulli({ imdb: 'tt0903747', tvdb: '', tmdb: '1396', tvmaze: '' })).toEqual({ imdb: 'tt0903747', tmdb: '1396' });
	});
	it('keeps the first valid value for a provider and a stable key order', () => {
		expect(Object.keys(makeGuids([['tvdb', '1'], ['imdb', 'tt00000001'], ['thetvdb', '2']]))).toEqual(['imdb', 'tvdb']);
		expect(makeGuids([['tvdb', 'junk'], ['thetvdb', '2']])).toEqual({ tvdb: '2' });
	});
});

describeWithFixtures('ids in the shared API listings', () => {
	it('reads every Plex listing item (new agents)', () => {
		const movies = fixtureJson<{ MediaContainer: { Metadata: Array<{ Guid?: unknown; guid?: unknown }> } }>(
			'specs/plex/api-library-sections-1-all-type1-movies.json',
		);
		const [m] = movies.MediaContainer.Metadata;
		expect(guidsFromPlex(m.Guid, m.guid)).toEqual({ guids: { imdb: 'tt0000001', tmdb: '1', tvdb: '1' } });
	});
	it('reads Jellyfin and Emby ProviderIds from the listings', () => {
		const jf = fixtureJson<{ Items: Array<{ ProviderIds: unknown }> }>('specs/jellyfin/api-items-list.json');
		const emby = fixtureJson<{ Items: Array<{ ProviderIds: unknown }> }>('specs/emby/api-users-items-list.json');
		const expected = [
			{ imdb: 'tt0468569', tmdb: '155' },
			{ imdb: 'tt0959621', tvdb: '349232' },
		];
		expect(jf.Items.map((i) => guidsFromProviderIds(i.ProviderIds))).toEqual(expected);
		expect(emby.Items.map((i) => guidsFromProviderIds(i.ProviderIds))).toEqual(expected);
	});
});
