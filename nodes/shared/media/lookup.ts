/**
 * A table lookup for keys that come from payloads. `table[key]` would find Object.prototype's
 * members for keys like `constructor` or `__proto__` and hand a function to the caller.
 */
export function lookup<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
	return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}
