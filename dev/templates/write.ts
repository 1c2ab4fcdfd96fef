/** `npm run templates`: writes workflows/*.json from generate.ts. */
import { join, proc, writeFileSync } from '../lib/builtins';
import { templates, templateText } from './generate';

for (const [file, workflow] of Object.entries(templates())) {
	writeFileSync(join(proc.cwd(), 'workflows', file), templateText(workflow));
	proc.stdout.write(`wrote workflows/${file}\n`);
}
