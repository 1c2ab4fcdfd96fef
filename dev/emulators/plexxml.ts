/**
 * PMS's XML form of a MediaContainer, which it sends when a client does not ask for JSON. The
 * JSON form names child lists by kind (`Metadata`, `Directory`, `Guid`, `Media`, `Part`); in XML
 * every entry is an element: metadata items become `<Video>` (movies, episodes) or `<Directory>`
 * (shows, seasons), the other lists keep their names, scalar fields become attributes.
 */

function escapeAttribute(value: unknown): string {
	return String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function elementNameOf(listName: string, entry: Record<string, unknown>): string {
	if (listName !== 'Metadata') return listName;
	return entry.type === 'movie' || entry.type === 'episode' || entry.type === 'clip' ? 'Video' : entry.type === 'track' ? 'Track' : 'Directory';
}

function element(name: string, object: Record<string, unknown>, indent: string): string {
	const attributes: string[] = [];
	const children: string[] = [];
	for (const [key, value] of Object.entries(object)) {
		if (value === undefined || value === null) continue;
		if (Array.isArray(value)) {
			for (const entry of value) {
				if (entry && typeof entry === 'object') children.push(element(elementNameOf(key, entry as Record<string, unknown>), entry as Record<string, unknown>, `${indent}  `));
			}
		} else if (typeof value === 'object') {
			children.push(element(key, value as Record<string, unknown>, `${indent}  `));
		} else {
			attributes.push(`${key}="${escapeAttribute(typeof value === 'boolean' ? Number(value) : value)}"`);
		}
	}
	const open = `${indent}<${name}${attributes.length > 0 ? ` ${attributes.join(' ')}` : ''}`;
	return children.length === 0 ? `${open} />` : `${open}>\n${children.join('\n')}\n${indent}</${name}>`;
}

export function mediaContainerXml(container: Record<string, unknown>): string {
	return `<?xml version="1.0" encoding="UTF-8"?>\n${element('MediaContainer', container, '')}\n`;
}
