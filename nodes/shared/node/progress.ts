/**
 * Sync Servers' progress while it runs — a first sync of a big home takes minutes, and n8n shows
 * nothing of a node until it ends. What n8n 2.41 lets a node do meanwhile: write to n8n's log
 * (`docker logs`), and in a manual run send a message to the editor (the browser's console,
 * IExecuteFunctions.sendMessageToUI). The counts are also set as the execution's custom data
 * (IWorkflowExecutionCustomData: string values, kept with the execution), so a finished or failed
 * run says how far it got.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

/** At most one line per this many ms while writing (phase changes are always reported). */
const WRITE_REPORT_EVERY_MS = 10_000;

export class SyncProgress {
	private readonly read: Record<string, number> = {};
	private planned?: number;
	private written = 0;
	private lastReport = 0;

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly now: () => number = Date.now,
	) {}

	listed(server: string, items: number): void {
		this.read[server] = items;
		this.report();
	}

	plannedWrites(count: number): void {
		this.planned = count;
		this.report();
	}

	wrote(): void {
		this.written++;
		if (this.now() - this.lastReport >= WRITE_REPORT_EVERY_MS) this.report();
	}

	finished(): void {
		this.report('done: ');
	}

	/** "Sync Servers: read plex 20000, jellyfin 20000; planned 12104; written 5000 (41 %)". */
	line(prefix = ''): string {
		const read = Object.entries(this.read).map(([server, n]) => `${server} ${n}`);
		const parts = [`read ${read.length > 0 ? read.join(', ') : 'nothing yet'}`];
		if (this.planned !== undefined) parts.push(`planned ${this.planned}`, `written ${this.written}${this.planned > 0 ? ` (${Math.floor((this.written / this.planned) * 100)} %)` : ''}`);
		return `${this.ctx.getNode().name}: ${prefix}${parts.join('; ')}`;
	}

	private report(prefix = ''): void {
		this.lastReport = this.now();
		const line = this.line(prefix);
		this.ctx.logger?.info(line);
		if (this.ctx.getMode?.() === 'manual') this.ctx.sendMessageToUI?.(line);
		this.setCustomData();
	}

	private setCustomData(): void {
		try {
			this.ctx.customData?.setAll({
				read: Object.entries(this.read)
					.map(([server, n]) => `${server}=${n}`)
					.join(' '),
				planned: String(this.planned ?? ''),
				written: String(this.written),
			});
		} catch {
			// Not every context has execution data to keep it in (n8n throws then); the log line stands.
		}
	}
}
