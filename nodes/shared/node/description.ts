/**
 * The parameters of the Plex, Jellyfin and Emby action nodes. One builder so the three nodes offer
 * the same operations with the same names; backend differences are the `user` and `watched at`
 * fields (Plex acts as the token's user and records plays at the time of the call).
 */
import type { INodeProperties } from 'n8n-workflow';

export type MediaBackend = 'plex' | 'jellyfin' | 'emby';

const show = (resource: string[], operation?: string[]) => ({ show: operation ? { resource, operation } : { resource } });

/** Paging, concurrency, retries and timeout of a server's requests (the media nodes, Sync Servers). */
export const REQUEST_OPTIONS: INodeProperties = {
	displayName: 'Request Options',
	name: 'requestOptions',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
	{
			displayName: 'Concurrent Requests',
			name: 'concurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 16 },
			default: 4,
			description: 'How many listing pages to read at once',
		},
		{
			displayName: 'Page Size',
			name: 'pageSize',
			type: 'number',
			typeOptions: { minValue: 10, maxValue: 2000 },
			default: 200,
			description: 'Items per listing request',
		},
		{
			displayName: 'Retries',
			name: 'retries',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 10 },
			default: 4,
			description: 'Further attempts after a 429, a 5xx or a dropped connection, with backoff; Retry-After is honoured',
		},
		{
			displayName: 'Timeout (Seconds)',
			name: 'timeout',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 30,
			description: 'Time allowed for each request',
		},
	],
};

const ITEM_ID_EXAMPLE: Record<MediaBackend, string> = { plex: 'e.g. 40294', jellyfin: 'e.g. b1c2d3e4f5a6478899aabbccddeeff00', emby: 'e.g. 240270' };

/** An item's page in each server's web app, and where the item's id sits in its address. */
const ITEM_URL: Record<MediaBackend, { example: string; regex: string; error: string }> = {
	plex: {
		example: 'e.g. https://app.plex.tv/desktop/#!/server/0123abcd/details?key=%2Flibrary%2Fmetadata%2F40294',
		regex: 'key=(?:%2F|/)library(?:%2F|/)metadata(?:%2F|/)(\\d+)',
		error: 'Not the address of an item page in Plex Web (…details?key=/library/metadata/<id>)',
	},
	jellyfin: {
		example: 'e.g. http://jellyfin:8096/web/#/details?id=b1c2d3e4f5a6478899aabbccddeeff00',
		regex: '[?&]id=([0-9a-fA-F]{32}|[0-9a-fA-F-]{36})',
		error: 'Not the address of an item page in Jellyfin (…#/details?id=<id>)',
	},
	emby: {
		example: 'e.g. http://emby:8096/web/index.html#!/item?id=240270&serverId=a1b2c3',
		regex: '[?&]id=(\\d+)',
		error: 'Not the address of an item page in Emby (…#!/item?id=<id>)',
	},
};

export function mediaNodeProperties(backend: MediaBackend): INodeProperties[] {
	const perUser = backend !== 'plex';
	const properties: INodeProperties[] = [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: [
				{ name: 'Item', value: 'item' },
				{ name: 'Library', value: 'library' },
				{ name: 'User', value: 'user' },
			],
			default: 'item',
		},
		{
			displayName: 'Operation',
			name: 'operation',
			type: 'options',
			noDataExpression: true,
			displayOptions: show(['item']),
			options: [
				{
					name: 'Apply Watch State',
					value: 'apply',
					description: 'Make the matching item here agree with a watch-state item or event from another server',
					action: 'Apply watch state to item',
				},
				{ name: 'Find by External IDs', value: 'find', description: 'Find items by IMDb / TMDb / TVDB IDs', action: 'Find items by external ids' },
				{ name: 'Get', value: 'get', description: 'Read one item with its watch state', action: 'Get item' },
				{ name: 'Mark Played', value: 'markPlayed', action: 'Mark item as played' },
				{ name: 'Mark Unplayed', value: 'markUnplayed', action: 'Mark item as unplayed' },
				{ name: 'Remove Rating', value: 'removeRating', description: "Remove the user's own rating; nothing else changes", action: 'Remove rating of item' },
				{ name: 'Set Rating', value: 'setRating', description: "Set the user's own rating (1–10); played state, position and favourites stay", action: 'Set rating of item' },
				{ name: 'Set Resume Position', value: 'setPosition', action: 'Set resume position of item' },
			],
			default: 'apply',
		},
		{
			displayName: 'Operation',
			name: 'operation',
			type: 'options',
			noDataExpression: true,
			displayOptions: show(['library']),
			options: [
				{ name: 'Get Many', value: 'getAll', description: 'List the libraries', action: 'Get many libraries' },
				{
					name: 'Get Watch State',
					value: 'getWatchState',
					description: 'Every movie and episode with its watch state, one item each',
					action: 'Get watch state of libraries',
				},
			],
			default: 'getWatchState',
		},
		{
			displayName: 'Operation',
			name: 'operation',
			type: 'options',
			noDataExpression: true,
			displayOptions: show(['user']),
			options: [{ name: 'Get Many', value: 'getAll', description: 'List the users (IDs for trigger matching and multi-user setups)', action: 'Get many users' }],
			default: 'getAll',
		},
	];
	properties.push({
		displayName: 'For',
		name: 'whose',
		type: 'options',
		displayOptions: { show: { resource: ['item', 'library'], operation: ['apply', 'getWatchState'] } },
		options: [
			{ name: 'One User', value: 'one', description: perUser ? 'The user chosen below' : "The Plex credential token's user" },
			{
				name: 'Household',
				value: 'household',
				description:
					"Each person as themselves: Apply acts as the event's person's user here (or the user a planned write names), Get Watch State reads every household user. Who is who: a Watch State Household credential, else same user names.",
			},
		],
		default: 'one',
	});
	if (perUser) {
		properties.push({
			displayName: 'User',
			name: 'userId',
			type: 'resourceLocator',
			default: { mode: 'list', value: '' },
			displayOptions: { ...show(['item', 'library']), hide: { whose: ['household'] } },
			description: 'Whose watch state to read and change (with a Jellyfin user token it may stay empty: that token\'s user)',
			modes: [
				{ displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchUsers', searchable: true } },
				{ displayName: 'By ID', name: 'id', type: 'string', placeholder: backend === 'jellyfin' ? 'e.g. 5a0b1c2d3e4f40718293a4b5c6d7e8f9' : 'e.g. f0e1d2c3b4a5968778695a4b3c2d1e0f' },
			],
		});
	}
	properties.push(
		{
			displayName: 'Item',
			name: 'itemId',
			type: 'resourceLocator',
			required: true,
			default: { mode: 'id', value: '' },
			displayOptions: show(['item'], ['get', 'markPlayed', 'markUnplayed', 'setPosition', 'setRating', 'removeRating']),
			description: "The item on the server: its ID (Plex ratingKey, Jellyfin or Emby ID), or its page's address in the server's web app",
			modes: [
				{ displayName: 'By ID', name: 'id', type: 'string', placeholder: ITEM_ID_EXAMPLE[backend] },
				{
					displayName: 'By URL',
					name: 'url',
					type: 'string',
					placeholder: ITEM_URL[backend].example,
					extractValue: { type: 'regex', regex: ITEM_URL[backend].regex },
					validation: [{ type: 'regex', properties: { regex: ITEM_URL[backend].regex, errorMessage: ITEM_URL[backend].error } }],
				},
			],
		},
		{
			displayName: 'Find By',
			name: 'findBy',
			type: 'options',
			displayOptions: show(['item'], ['find']),
			options: [
				{ name: 'The Input Item (a WatchItem or WatchEvent)', value: 'input' },
				{ name: 'IDs Entered Here', value: 'ids' },
			],
			default: 'input',
		},
		{
			displayName: 'Media Type',
			name: 'mediaType',
			type: 'options',
			displayOptions: { show: { resource: ['item'], operation: ['find'], findBy: ['ids'] } },
			options: [
				{ name: 'Movie', value: 'movie' },
				{ name: 'Episode', value: 'episode' },
			],
			default: 'movie',
		},
		{
			displayName: 'External IDs',
			name: 'externalIds',
			type: 'collection',
			placeholder: 'Add ID',
			displayOptions: { show: { resource: ['item'], operation: ['find'], findBy: ['ids'] } },
			default: {},
			options: [
				{ displayName: 'Episode Number', name: 'episode', type: 'number', default: 1, description: 'With the show IDs, for episodes' },
				{ displayName: 'IMDb ID', name: 'imdb', type: 'string', default: '', placeholder: 'e.g. tt0468569' },
				{ displayName: 'Season Number', name: 'season', type: 'number', default: 1, description: 'With the show IDs, for episodes' },
				{ displayName: 'Show IMDb ID', name: 'showImdb', type: 'string', default: '' },
				{ displayName: 'Show TMDb ID', name: 'showTmdb', type: 'string', default: '' },
				{ displayName: 'Show TVDB ID', name: 'showTvdb', type: 'string', default: '' },
				{ displayName: 'TMDb ID', name: 'tmdb', type: 'string', default: '' },
				{ displayName: 'TVDB ID', name: 'tvdb', type: 'string', default: '' },
			],
		},
		{
			displayName: 'Rating',
			name: 'rating',
			type: 'number',
			required: true,
			typeOptions: { minValue: 1, maxValue: 10, numberPrecision: 0 },
			default: 8,
			description: 'A whole number from 1 to 10 (Trakt\'s scale; Plex shows 8 as four stars)',
			displayOptions: show(['item'], ['setRating']),
		},
		{
			displayName: 'Position',
			name: 'position',
			type: 'number',
			required: true,
			typeOptions: { minValue: 0 },
			default: 0,
			displayOptions: show(['item'], ['setPosition']),
		},
		{
			displayName: 'Position Unit',
			name: 'positionUnit',
			type: 'options',
			options: [
				{ name: 'Milliseconds', value: 'ms' },
				{ name: 'Seconds', value: 's' },
				{ name: 'Percent of Duration', value: 'percent' },
			],
			default: 'ms',
			displayOptions: show(['item'], ['setPosition']),
		},
	);
	if (perUser) {
		properties.push({
			displayName: 'Watched At',
			name: 'watchedAt',
			type: 'dateTime',
			default: '',
			displayOptions: show(['item'], ['markPlayed']),
			description: 'When it was watched; empty keeps the server\'s own date (now for a first play)',
		});
	}
	properties.push(
		{
			displayName: 'Apply Options',
			name: 'applyOptions',
			type: 'collection',
			placeholder: 'Add Option',
			displayOptions: show(['item'], ['apply']),
			default: {},
			options: [
				{
					displayName: 'Dry Run',
					name: 'dryRun',
					type: 'boolean',
					default: false,
					description: 'Whether to only report what would be written',
				},
				{
					displayName: 'Propagate Un-Marks',
					name: 'propagateUnplayed',
					type: 'boolean',
					default: false,
					description: 'Whether an explicit "mark unplayed" on the other server un-marks the item here too',
				},
				{
					displayName: 'Read Library When Not Found',
					name: 'libraryFallback',
					type: 'boolean',
					default: true,
					description:
						'Whether Plex and Jellyfin read the whole library when the title search finds no item with these IDs (a title that differs entirely between servers). Turn off when this server lacks many items the others have: those events then cost a few requests instead of a library read.',
				},
				{
					displayName: 'Remove Ratings',
					name: 'removeRatings',
					type: 'boolean',
					default: false,
					description: 'Whether a rating removed on the other server is removed here too (with Sync Ratings)',
				},
				{
					displayName: 'Set Positions',
					name: 'setPositions',
					type: 'boolean',
					default: true,
					description: 'Whether to copy resume positions (60 s or more, below the watched line)',
				},
				{
					displayName: 'Sync Ratings',
					name: 'syncRatings',
					type: 'boolean',
					default: false,
					description: "Whether a rate event (a person's own 1–10 rating) sets the same rating here. Only the rating is written; played state, positions, play counts and favourites stay.",
				},
			],
		},
		{
			displayName: 'Filters',
			name: 'filters',
			type: 'collection',
			placeholder: 'Add Filter',
			displayOptions: show(['library'], ['getWatchState']),
			default: {},
			options: [
				{
					displayName: 'Changed Before',
					name: 'changedBefore',
					type: 'dateTime',
					default: '',
					description: 'Only items last played at or before this time (with Changed Since: a window, as a catch-up reads it)',
				},
				{
					displayName: 'Changed Since',
					name: 'changedSince',
					type: 'dateTime',
					default: '',
					description: 'Only items last played at or after this time (an un-mark has no date; the full sync finds those)',
				},
				{
					displayName: 'Library Names or IDs',
					name: 'libraries',
					type: 'multiOptions',
					typeOptions: { loadOptionsMethod: 'getLibraries' },
					default: [],
					description:
						'The movie and show libraries to read; none selected reads them all. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
				},
				{
					displayName: 'Only',
					name: 'only',
					type: 'options',
					options: [
						{ name: 'All Items', value: 'all' },
						{ name: 'Played', value: 'played' },
						{ name: 'In Progress', value: 'inProgress' },
					],
					default: 'all',
				},
			],
		},
		REQUEST_OPTIONS,
	);
	return properties;
}
