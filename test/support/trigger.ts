/**
 * Runs a trigger node's trigger() the way n8n does for it: parameters without an item index, the
 * credentials' headers applied by the request helper, real HTTP, `emit` / `emitError` collected,
 * the node's static data kept in an object the test may pass again (an n8n restart keeps it).
 * As in n8n, credentials' expressions resolve only while trigger() runs.
 */
import type { ICredentialType, IDataObject, INodeExecutionData, INodeType, ITriggerFunctions, ITriggerResponse } from 'n8n-workflow';
import { WebSocket } from 'ws';
import { provideWebSocket } from '../../dev/lib/builtins';
import { authenticatedRequest } from './execute';

provideWebSocket(WebSocket);

export interface TriggerSetup {
	credentialType: ICredentialType;
	credentials: IDataObject;
	params: Record<string, unknown>;
	otherCredentials?: Record<string, IDataObject>;
	/** The node's static data (kept across activations when the same object is passed). */
	staticData?: IDataObject;
	/** The workflow's global static data (Plex member tokens). */
	globalStaticData?: IDataObject;
	mode?: 'trigger' | 'manual';
	/** Log lines, by level. */
	logs?: Array<{ level: string; message: string }>;
}

export interface RunningTrigger {
	events: IDataObject[];
	errors: Error[];
	response: ITriggerResponse;
	close(): Promise<void>;
}

export async function startTrigger(node: INodeType, setup: TriggerSetup): Promise<RunningTrigger> {
	const request = authenticatedRequest(setup.credentialType, setup.credentials);
	const plain = authenticatedRequest({ name: 'none', displayName: 'none', properties: [], authenticate: { type: 'generic', properties: {} } }, {});
	const events: IDataObject[] = [];
	const errors: Error[] = [];
	const log = (level: string) => (message: string) => setup.logs?.push({ level, message });
	const nodeData = (setup.staticData ??= {});
	// n8n lends a trigger its expression isolate only while trigger() runs: a credential's
	// expressions cannot be resolved after it returned (n8n-workflow 2.41 Expression.acquireIsolate).
	let activating = true;
	const globalData = (setup.globalStaticData ??= {});
	const ctx = {
		getNodeParameter: (name: string, fallback?: unknown) => {
			if (name in setup.params) return setup.params[name];
			if (fallback !== undefined) return fallback;
			throw new Error(`parameter ${name} not set in the test`);
		},
		getCredentials: async (type: string) => {
			if (setup.otherCredentials?.[type]) return setup.otherCredentials[type];
			if (type !== setup.credentialType.name) throw new Error(`credential ${type} not configured`);
			return setup.credentials;
		},
		getNode: () => ({ name: 'Watcher', type: `n8n-nodes-watchstate.${node.description.name}`, typeVersion: 1, parameters: {}, id: 'watcher-node-1', position: [0, 0] }),
		getMode: () => setup.mode ?? 'trigger',
		getActivationMode: () => 'activate',
		getWorkflowStaticData: (type: string) => (type === 'node' ? nodeData : globalData),
		logger: { info: log('info'), warn: log('warn'), debug: log('debug'), error: log('error') },
		emit: (data: INodeExecutionData[][]) => {
			for (const item of data[0]) events.push(item.json);
		},
		emitError: (error: Error) => errors.push(error),
		helpers: {
			httpRequestWithAuthentication: async (type: string, options: never) => {
				if (!activating) throw new Error('No bridge acquired for this context. Call acquire() first.');
				if (type !== setup.credentialType.name) throw new Error(`wrong credential type ${type}`);
				return await request(options);
			},
			httpRequest: async (options: never) => await plain(options),
		},
	} as unknown as ITriggerFunctions;
	const response = (await node.trigger!.call(ctx).finally(() => (activating = false))) as ITriggerResponse;
	return { events, errors, response, close: async () => await response.closeFunction?.() };
}
