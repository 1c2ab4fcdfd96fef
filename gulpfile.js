// Build step after tsc: copy the icons, the nodes' codex files and the workflow templates into dist/ so the published
// package carries them (node icons are referenced as file:../../icons/*.svg from dist/nodes/*/).
const { src, dest, parallel } = require('gulp');

function copyIcons() {
	return src('icons/*.svg').pipe(dest('dist/icons'));
}

function copyWorkflows() {
	return src('workflows/*.json', { allowEmpty: true }).pipe(dest('dist/workflows'));
}

// Codex files (categories, aliases, doc links): n8n reads X.node.json next to X.node.js.
function copyCodex() {
	return src('nodes/**/*.node.json').pipe(dest('dist/nodes'));
}

exports.build = parallel(copyIcons, copyWorkflows, copyCodex);
exports.default = exports.build;
