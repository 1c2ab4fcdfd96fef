import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * Who is who on each server, for the nodes that act for a whole household. It holds no secret but
 * the names of the people in a home; as a credential it is kept encrypted, edited in one place
 * and shared by every node and workflow that syncs the household. Its test (the mapping must
 * parse) is the media nodes' `householdMapping`.
 */
export class WatchStateHouseholdApi implements ICredentialType {
	name = 'watchStateHouseholdApi';

	displayName = 'Watch State Household API';

	icon: Icon = { light: 'file:../icons/watchstate.svg', dark: 'file:../icons/watchstate.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-watchstate/n8n-nodes-watchstate/blob/main/docs/households.md';

	properties: INodeProperties[] = [
		{
			displayName: 'User Mapping',
			name: 'mapping',
			type: 'string',
			typeOptions: { rows: 6 },
			default: '',
			placeholder: 'e.g. mum: plex=mum, jellyfin=Mom, emby=mother\nkid: plex=kid, emby=-\nignore: plex=guest',
			description:
				'One person per line: their user name on each server ("-": no user there). Users on no line are matched by name (case ignored). "ignore:" lists users never synced.',
		},
		{
			displayName: 'Match Other Users by Name',
			name: 'matchByName',
			type: 'boolean',
			default: true,
			description: 'Whether users on no line are the same person wherever they have the same name. Off: only the users on the lines are synced.',
		},
	];
}
