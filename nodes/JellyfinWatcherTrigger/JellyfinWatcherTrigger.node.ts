import { NodeConnectionTypes, type INodeType, type INodeTypeDescription, type ITriggerFunctions, type ITriggerResponse } from 'n8n-workflow';
import { householdMapping } from '../shared/node/household';
import { startWatcher, watcherProperties } from '../shared/watcher/trigger';

export class JellyfinWatcherTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Jellyfin Watcher Trigger',
		name: 'jellyfinWatcherTrigger',
		icon: { light: 'file:../../icons/jellyfin.svg', dark: 'file:../../icons/jellyfin.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'Live connection',
		description: 'Starts the workflow with one watch-state event per play, pause, stop, watched item, mark or un-mark on Jellyfin, over the server\'s own live connection: no webhook needed',
		defaults: { name: 'Jellyfin Watcher' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'jellyfinApi', required: true },
			{ name: 'watchStateHouseholdApi', required: false, testedBy: 'householdMapping' },
		],
		properties: watcherProperties('jellyfin'),
	};

	methods = { credentialTest: { householdMapping } };

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		return await startWatcher(this, 'jellyfin');
	}
}
