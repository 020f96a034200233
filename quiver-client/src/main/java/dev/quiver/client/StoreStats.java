package dev.quiver.client;

/**
 * The store's memory and objects, in allocated bytes (objects occupy whole 64-byte blocks).
 *
 * @param capacity       usable bytes of the arena
 * @param used           bytes allocated to objects
 * @param pinned         bytes of objects that cannot be evicted (referenced or unsealed)
 * @param evictable      bytes of sealed objects without references
 * @param objects        objects in the store, in any state
 * @param clients        connected clients
 * @param evictedObjects objects evicted since the store started
 * @param evictedBytes   bytes evicted since the store started
 */
public record StoreStats(long capacity, long used, long pinned, long evictable, long objects, int clients,
                         long evictedObjects, long evictedBytes) {}
