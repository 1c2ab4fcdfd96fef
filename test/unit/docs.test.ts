/**
 * The user guide names what the n8n 2.41 editor and today's nodes show: menus, nodes and template
 * nodes that no longer exist are not sent for. Each retired name with what replaced it.
 */
import { fs, join, readFileSync } from '../../dev/lib/builtins';

const RETIRED: Array<[RegExp, string]> = [
	[/Add workflow/, "n8n 2.x has no 'Add workflow' menu: + → New workflow"],
	[/Import from File/, "the workflow's ⋯ menu → Import → From file (n8n 2.41)"],
	[/\bWrite nodes?\b/, 'the templates write inside Sync Servers; there are no Write nodes'],
	[/Export Every 90 Minutes/, 'the export runs every 2 hours (the editor takes 1–59 minutes)'],
];

const pages = ['README.md', ...fs.readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

it.each(pages)('%s names no retired menu, node or template part', (page) => {
	const text = readFileSync(page, 'utf8');
	const found = RETIRED.filter(([pattern]) => pattern.test(text)).map(([pattern, instead]) => `${String(pattern)}: ${instead}`);
	expect(found).toEqual([]);
});
