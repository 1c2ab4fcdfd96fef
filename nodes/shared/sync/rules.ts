/**
 * The sync rules' numbers, in one place (ARCHITECTURE.md "Sync rules"); Apply Watch State and the
 * planner both read them from here.
 */

/** Positions under a minute are noise (a started trailer, a mis-click), never synced. */
export const MIN_POSITION_MS = 60_000;
/** Positions this close are already in step; writing them again is churn. */
export const POSITION_TOLERANCE_MS = 30_000;
/** At or past this share the servers count an item as watched; a position write there would flip it. */
export const WATCHED_PERCENT = 90;
/** A position may land on a played item only when it is this much newer than the last play (a rewatch). */
export const REWATCH_AFTER_MS = 60 * 60_000;
/**
 * How far a server's clock may be from n8n's when it dates a write of ours (Plex stamps a
 * scrobble or a timeline report with its own time): a date this close to when the sync wrote an
 * item is the sync's own write, not something the person did.
 */
export const SERVER_CLOCK_TOLERANCE_MS = 2 * 60_000;
