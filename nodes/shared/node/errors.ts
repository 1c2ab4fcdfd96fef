import { NodeApiError, NodeOperationError, type IExecuteFunctions, type JsonObject } from 'n8n-workflow';
import { BackendError } from '../transport/http';
import { adviceFor } from './advice';

/** The server of each single-server node (Watch State names the server in the error itself). */
const SERVER_OF_NODE: Record<string, string> = { plex: 'Plex', jellyfin: 'Jellyfin', emby: 'Emby', trakt: 'Trakt' };

/**
 * What a user sees when an item fails: a server's failure as NodeApiError with its HTTP status and
 * the (already redacted) message, anything else as NodeOperationError. Shared by every action node.
 */
export function toNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	if (error instanceof BackendError) {
		const node = ctx.getNode();
		const server = error.server ?? SERVER_OF_NODE[node.type.replace(/^.*\./, '')];
		// No error code goes to n8n: it would replace the message naming the server and the call.
		return new NodeApiError(node, { message: error.message } as JsonObject, {
			message: error.message,
			description: adviceFor(error, server),
			httpCode: error.status ? String(error.status) : undefined,
			itemIndex,
		});
	}
	return new NodeOperationError(ctx.getNode(), (error as Error).message ?? String(error), { itemIndex });
}
