/**
 * The Plex server tokens of a household's other people, kept between executions so a run does
 * not depend on plex.tv every time (plex.tv down, or answering 429 to the home-user switch:
 * arabcoders/watchstate#325). They live in the workflow's static data, which n8n keeps in its
 * database, encrypted (AES-256-GCM) with a key derived from the owner's Plex token and the server's
 * machine identifier: static data travels with an exported workflow, the tokens stay unreadable
 * without the owner's credential (whose holder could ask plex.tv for them anyway). They never
 * appear in an item, an error or a log. A token the server refuses is dropped and fetched again.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { IDataObject } from 'n8n-workflow';

const FIELD = 'watchstatePlexTokens';
const INFO = 'n8n-nodes-watchstate plex household tokens v1';

type Tokens = Record<string, string>;

export class PlexTokenStore {
	private tokens?: Tokens;
	private readonly key: Buffer;
	private readonly slot: string;

	/** `staticData`: the workflow's global static data (getWorkflowStaticData('global')). */
	constructor(
		private readonly staticData: IDataObject,
		ownerToken: string,
		machineIdentifier: string,
	) {
		this.key = Buffer.from(hkdfSync('sha256', ownerToken, machineIdentifier, INFO, 32));
		// One slot per server and owner, named without revealing either.
		this.slot = createHash('sha256').update(`${machineIdentifier}\u0000`).update(this.key).digest('hex').slice(0, 16);
	}

	get(userId: string): string | undefined {
		return this.read()[userId];
	}

	set(userId: string, token: string): void {
		const tokens = this.read();
		if (tokens[userId] === token) return;
		tokens[userId] = token;
		this.write(tokens);
	}

	drop(userId: string): void {
		const tokens = this.read();
		if (!(userId in tokens)) return;
		delete tokens[userId];
		this.write(tokens);
	}

	private read(): Tokens {
		if (this.tokens) return this.tokens;
		this.tokens = {};
		const slots = this.staticData[FIELD];
		const sealed = slots && typeof slots === 'object' ? (slots as IDataObject)[this.slot] : undefined;
		if (typeof sealed !== 'string') return this.tokens;
		try {
			const [iv, tag, data] = sealed.split('.').map((part) => Buffer.from(part, 'base64'));
			const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
			decipher.setAuthTag(tag);
			const parsed = JSON.parse(Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8')) as unknown;
			if (parsed && typeof parsed === 'object') for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') this.tokens[k] = v;
		} catch {
			// Sealed with another owner token, or damaged: start empty; plex.tv hands them out again.
		}
		return this.tokens;
	}

	private write(tokens: Tokens): void {
		const iv = randomBytes(12);
		const cipher = createCipheriv('aes-256-gcm', this.key, iv);
		const data = Buffer.concat([cipher.update(JSON.stringify(tokens), 'utf8'), cipher.final()]);
		const slots = (this.staticData[FIELD] && typeof this.staticData[FIELD] === 'object' ? this.staticData[FIELD] : {}) as IDataObject;
		slots[this.slot] = [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64')).join('.');
		this.staticData[FIELD] = slots;
	}
}
