// Build step after tsc: copy the icons and the workflow templates into dist/ so the published
// package carries them (node icons are referenced as file:../../icons/*.svg from dist/nodes/*/).
const { src, dest, parallel } = require('gulp');

function copyIcons() {
	return src('icons/*.svg').pipe(dest('dist/icons'));
}

function copyWorkflows() {
	return src('workflows/*.json', { allowEmpty: true }).pipe(dest('dist/workflows'));
}

exports.build = parallel(copyIcons, copyWorkflows);
exports.default = exports.build;
