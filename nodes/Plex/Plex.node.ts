import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type ILoadOptionsFunctions,
	type INodeExecutionData,
	type INodeListSearchResult,
	type INodePropertyOptions,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { mediaNodeProperties } from '../shared/node/description';
import { CREDENTIAL, executeMediaNode, loadLibraries, searchUsers } from '../shared/node/execute';
import { householdMapping } from '../shared/node/household';

export class Plex implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Plex',
		name: 'plex',
		icon: { light: 'file:../../icons/plex.svg', dark: 'file:../../icons/plex.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Read and change watch state (played, unplayed, resume position) on Plex',
		defaults: { name: 'Plex' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: CREDENTIAL.plex, required: true },
			{ name: 'watchStateHouseholdApi', required: false, displayOptions: { show: { whose: ['household'] } }, testedBy: 'householdMapping' },
		],
		properties: mediaNodeProperties('plex'),
	};

	methods = {
		credentialTest: { householdMapping },
		loadOptions: {
			async getLibraries(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
				return await loadLibraries(this, 'plex');
			},
		},
		listSearch: {
			async searchUsers(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
				return await searchUsers(this, 'plex', filter);
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeMediaNode(this, 'plex');
	}
}
