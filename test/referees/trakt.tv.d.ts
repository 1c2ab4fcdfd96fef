/** The part of the trakt.tv package (no types of its own) that the referee test uses. */
declare module 'trakt.tv' {
	// Answers are Trakt's JSON, read loosely by the test.
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	type Answer = any;
	type Call = (params?: object) => Promise<Answer>;
	interface Token {
		access_token: string;
		refresh_token: string;
		expires: number;
	}
	export default class Trakt {
		constructor(settings: { client_id: string; client_secret?: string; redirect_uri?: string; api_url?: string });
		import_token(token: Partial<Token>): Promise<Token>;
		export_token(): Token;
		refresh_token(): Promise<Token>;
		scrobble: { start: Call; pause: Call; stop: Call };
		sync: { history: { add: Call; get: Call; remove: Call }; playback: { get: Call }; watched: Call; last_activities: Call };
		search: { id: Call };
	}
}
