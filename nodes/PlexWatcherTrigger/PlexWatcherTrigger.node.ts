import { NodeConnectionTypes, type INodeType, type INodeTypeDescription, type ITriggerFunctions, type ITriggerResponse } from 'n8n-workflow';
import { householdMapping } from '../shared/node/household';
import { startWatcher, watcherProperties } from '../shared/watcher/trigger';

export class PlexWatcherTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Plex Watcher Trigger',
		name: 'plexWatcherTrigger',
		icon: { light: 'file:../../icons/plex.svg', dark: 'file:../../icons/plex.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'Live connection',
		description: 'Starts the workflow with one watch-state event per play, pause, stop, watched item, mark or un-mark on Plex, over the server\'s own live connection: no webhook needed',
		defaults: { name: 'Plex Watcher' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'plexApi', required: true },
			{ name: 'watchStateHouseholdApi', required: false, testedBy: 'householdMapping' },
		],
		properties: watcherProperties('plex'),
	};

	methods = { credentialTest: { householdMapping } };

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		return await startWatcher(this, 'plex');
	}
}
