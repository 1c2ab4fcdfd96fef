import { NodeConnectionTypes, type INodeType, type INodeTypeDescription, type ITriggerFunctions, type ITriggerResponse } from 'n8n-workflow';
import { householdMapping } from '../shared/node/household';
import { startWatcher, watcherProperties } from '../shared/watcher/trigger';

export class EmbyWatcherTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Emby Watcher Trigger',
		name: 'embyWatcherTrigger',
		icon: { light: 'file:../../icons/emby.svg', dark: 'file:../../icons/emby.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'Live connection',
		description: 'Starts the workflow with one watch-state event per play, pause, stop, watched item, mark or un-mark on Emby, over the server\'s own live connection: no webhook needed',
		defaults: { name: 'Emby Watcher' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'embyApi', required: true },
			{ name: 'watchStateHouseholdApi', required: false, testedBy: 'householdMapping' },
		],
		properties: watcherProperties('emby'),
	};

	methods = { credentialTest: { householdMapping } };

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		return await startWatcher(this, 'emby');
	}
}
