package dev.quiver.arrow;

import dev.quiver.protocol.ObjectId;
import java.time.Instant;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A table on the shelf, as {@link Shelf#entries()} and {@link Shelf#put} report it.
 *
 * @param key     the key
 * @param version the version of the key this entry is (1 for a first put; each replacement is higher)
 * @param id      the store object holding the table
 * @param bytes   the object's bytes in the store (the Arrow IPC stream plus its metadata, before the store rounds
 *                allocations up to 64-byte blocks)
 * @param rows    rows in all record batches
 * @param created when the object was created (wall clock of the store)
 * @param schema  the table's schema
 */
public record ShelfEntry(String key, long version, ObjectId id, long bytes, long rows, Instant created,
                         Schema schema) {}
