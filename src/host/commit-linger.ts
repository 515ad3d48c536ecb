/**
 * The hosts' commit linger (ms, EngineDeps.commitLingerMs): while a read is in flight, transitions
 * no one awaits are written together over this long, so a chain of reads writes a few nodes per
 * transaction, not one each.
 * Events are seen at most this much later; nothing the engine runs waits for it.
 */
export const COMMIT_LINGER_MS = 5;
