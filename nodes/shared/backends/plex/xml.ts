/**
 * Attributes of XML elements, for the plex.tv answers that come only as XML (its v1 API: home-user
 * switch, shared servers). Those answers are flat elements with attributes; no general XML parser
 * is needed (and community nodes may not bring one).
 */

const ENTITIES: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };

function decode(value: string): string {
	return value.replace(/&(#x[0-9a-f]+|#\d+|amp|quot|apos|lt|gt);/gi, (m, entity: string) => {
		if (entity[0] !== '#') return ENTITIES[entity.toLowerCase()] ?? m;
		const code = entity[1].toLowerCase() === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
		return Number.isFinite(code) ? String.fromCodePoint(code) : m;
	});
}

/** Every `<tag …>` element's attributes, in document order (tag names compare exactly). */
export function xmlElements(xml: string, tag: string): Array<Record<string, string>> {
	const out: Array<Record<string, string>> = [];
	const open = new RegExp(`<${tag}(\\s[^>]*?)?/?>`, 'g');
	for (const m of xml.matchAll(open)) {
		const attributes: Record<string, string> = {};
		for (const a of (m[1] ?? '').matchAll(/([A-Za-z_:][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attributes[a[1]] = decode(a[2] ?? a[3] ?? '');
		out.push(attributes);
	}
	return out;
}
