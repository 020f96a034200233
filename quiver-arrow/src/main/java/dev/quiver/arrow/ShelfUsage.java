package dev.quiver.arrow;

/**
 * What {@link Shelf#memoryUsage()} reports: the shelf's share of the store, and the store as a whole.
 *
 * @param tables        keys on the shelf
 * @param tableBytes    store memory taken by the current version of every key, as the store allocates it (each
 *                      object rounded up to whole 64-byte blocks); replaced versions that a reader still holds are
 *                      not counted here (they are in {@code storeUsed} until released)
 * @param storeUsed     store memory allocated to all objects, shelf or not, in any state
 * @param storeCapacity usable bytes of the store
 */
public record ShelfUsage(int tables, long tableBytes, long storeUsed, long storeCapacity) {
    /** Bytes of the store not allocated to any object. */
    public long storeFree() {
        return storeCapacity - storeUsed;
    }
}
