import { NodeApiError, NodeOperationError, type IExecuteFunctions, type JsonObject } from 'n8n-workflow';
import { BackendError } from '../http';

/**
 * What a user sees when an item fails: a server's failure as NodeApiError with its HTTP status and
 * the (already redacted) message, anything else as NodeOperationError. Shared by every action node.
 */
export function toNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	if (error instanceof BackendError) {
		return new NodeApiError(ctx.getNode(), { message: error.message, code: error.code ?? null } as JsonObject, {
			message: error.message,
			httpCode: error.status ? String(error.status) : undefined,
			itemIndex,
		});
	}
	return new NodeOperationError(ctx.getNode(), (error as Error).message ?? String(error), { itemIndex });
}
