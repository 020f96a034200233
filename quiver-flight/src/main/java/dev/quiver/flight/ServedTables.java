package dev.quiver.flight;

import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.StoreArrowReader;
import dev.quiver.client.ChangeStamp;
import dev.quiver.client.ObjectBuffer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The shelf tables the endpoint has served lately, kept open so that the next DoGet of the same key costs no round
 * trip to the store and no second reading and checking of the table.
 *
 * <p>A kept table holds its store reference (it cannot be evicted, and a delete of it is deferred) and a
 * {@link ChangeStamp} of its key taken before it was read. A DoGet serves it only while the stamp is unchanged, which
 * the store's change page says without a round trip: a put, replace, delete or eviction of any version of the key
 * changes it. So a DoGet that starts after a put has returned never gets the replaced version. A {@linkplain #sweep
 * sweep} every {@link #SWEEP} lets go of tables whose key changed (a deleted table's memory comes back within that
 * time) and of tables no DoGet has asked for in {@link #IDLE}.
 *
 * <p>Kept are tables of at most {@link #MAX_TABLE_BYTES} without dictionary-encoded columns, up to
 * {@link #MAX_TOTAL_BYTES} or a sixteenth of the store in all, the least recently served let go first: per-call costs
 * matter for small tables, and a large one pinned for nothing would take memory the store could evict.
 */
final class ServedTables implements AutoCloseable {
    static final long MAX_TABLE_BYTES = 8L << 20;
    static final long MAX_TOTAL_BYTES = 64L << 20;
    static final Duration IDLE = Duration.ofSeconds(5);
    static final Duration SWEEP = Duration.ofMillis(100);

    private final Shelf shelf;
    private final BufferAllocator allocator;
    private final long maxTotalBytes;
    private final LongSupplier nanoClock;
    /** Access order: the first is the least recently served. */
    private final LinkedHashMap<String, Kept> kept = new LinkedHashMap<>(16, 0.75f, true);
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("quiver-flight-sweep").factory());
    private long keptBytes;
    private boolean closed;

    ServedTables(Shelf shelf, BufferAllocator allocator, long storeCapacity) {
        this(shelf, allocator, Math.min(MAX_TOTAL_BYTES, storeCapacity / 16), System::nanoTime);
        sweeper.scheduleWithFixedDelay(this::sweep, SWEEP.toNanos(), SWEEP.toNanos(), TimeUnit.NANOSECONDS);
    }

    ServedTables(Shelf shelf, BufferAllocator allocator, long maxTotalBytes, LongSupplier nanoClock) {
        this.shelf = shelf;
        this.allocator = allocator;
        this.maxTotalBytes = maxTotalBytes;
        this.nanoClock = nanoClock;
    }

    /**
     * The table under {@code key}, for one DoGet: kept ({@link Opened#batches()}, the caller's to close) or, for a
     * table that is not kept, a fresh reader ({@link Opened#reader()}).
     *
     * @throws dev.quiver.arrow.ShelfKeyNotFoundException if no table is under the key
     */
    Opened open(String key) throws IOException {
        synchronized (this) {
            Kept k = kept.get(key);
            if (k != null) {
                if (k.stamp.unchanged() && shelf.isConnected()) { // no round trip: shared memory and a flag
                    k.lastServed = nanoClock.getAsLong();
                    return new Opened(k.schema, k.retainAll(), null);
                }
                drop(key, k);
            }
        }
        ChangeStamp stamp = shelf.changeStamp(key); // before the read: a change after it shows
        ObjectBuffer object = shelf.object(key);
        long bytes = object.data().byteSize();
        StoreArrowReader reader = StoreArrowReader.open(object, allocator);
        Schema schema;
        try {
            schema = reader.getVectorSchemaRoot().getSchema();
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw e;
        }
        if (bytes > MAX_TABLE_BYTES || bytes > maxTotalBytes || hasDictionaries(schema.getFields())) {
            return new Opened(schema, null, reader);
        }
        Kept k = read(schema, reader, stamp, bytes);
        synchronized (this) {
            List<ArrowRecordBatch> forCall = k.retainAll();
            if (closed || !stamp.unchanged()) {
                k.close(); // the call's own batches keep the table until the call ends
                return new Opened(schema, forCall, null);
            }
            Kept before = kept.remove(key);
            if (before != null) {
                keptBytes -= before.bytes;
                before.close();
            }
            kept.put(key, k);
            keptBytes += bytes;
            for (Iterator<Map.Entry<String, Kept>> it = kept.entrySet().iterator(); keptBytes > maxTotalBytes; ) {
                Map.Entry<String, Kept> oldest = it.next();
                it.remove();
                keptBytes -= oldest.getValue().bytes;
                oldest.getValue().close();
            }
            return new Opened(schema, forCall, null);
        }
    }

    /** Every batch of the table, checked as the reader loads it; the reader's buffers go with the batches. */
    private Kept read(Schema schema, StoreArrowReader reader, ChangeStamp stamp, long bytes) throws IOException {
        List<ArrowRecordBatch> batches = new ArrayList<>();
        try (reader) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            while (reader.loadNextBatch()) {
                batches.add(new VectorUnloader(root).getRecordBatch()); // zero-copy: retains the arena's buffers
            }
        } catch (IOException | RuntimeException e) {
            batches.forEach(ArrowRecordBatch::close);
            throw e;
        }
        return new Kept(schema, batches, stamp, bytes, nanoClock.getAsLong());
    }

    /** The key was deleted through the endpoint: let go of its table now rather than at the next sweep. */
    synchronized void forget(String key) {
        Kept k = kept.get(key);
        if (k != null) {
            drop(key, k);
        }
    }

    /** Lets go of tables whose key changed or that no DoGet asked for in {@link #IDLE}. */
    synchronized void sweep() {
        long now = nanoClock.getAsLong();
        for (Iterator<Map.Entry<String, Kept>> it = kept.entrySet().iterator(); it.hasNext(); ) {
            Kept k = it.next().getValue();
            if (!k.stamp.unchanged() || now - k.lastServed > IDLE.toNanos()) {
                it.remove();
                keptBytes -= k.bytes;
                k.close();
            }
        }
    }

    /** Keys of the tables kept now (for tests). */
    synchronized List<String> keys() {
        return List.copyOf(kept.keySet());
    }

    private void drop(String key, Kept k) {
        kept.remove(key);
        keptBytes -= k.bytes;
        k.close();
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        synchronized (this) {
            closed = true;
            kept.values().forEach(Kept::close);
            kept.clear();
            keptBytes = 0;
        }
    }

    private static boolean hasDictionaries(List<Field> fields) {
        for (Field f : fields) {
            if (f.getDictionary() != null || hasDictionaries(f.getChildren())) {
                return true;
            }
        }
        return false;
    }

    /**
     * What one DoGet sends: the schema and either its own references to a kept table's batches (close them when the
     * call is done; the table's memory stays valid until the last is closed) or a fresh reader.
     */
    record Opened(Schema schema, List<ArrowRecordBatch> batches, StoreArrowReader reader) {}

    /** A kept table: its batches hold one reference each to the arena's buffers, hence the store's reference. */
    private static final class Kept {
        final Schema schema;
        final List<ArrowRecordBatch> batches;
        final ChangeStamp stamp;
        final long bytes;
        long lastServed;

        Kept(Schema schema, List<ArrowRecordBatch> batches, ChangeStamp stamp, long bytes, long now) {
            this.schema = schema;
            this.batches = batches;
            this.stamp = stamp;
            this.bytes = bytes;
            this.lastServed = now;
        }

        /** The batches again, with references of their own (taken under the cache's lock, so never of a freed table). */
        List<ArrowRecordBatch> retainAll() {
            List<ArrowRecordBatch> copies = new ArrayList<>(batches.size());
            for (ArrowRecordBatch b : batches) {
                copies.add(new ArrowRecordBatch(b.getLength(), b.getNodes(), b.getBuffers(), b.getBodyCompression(),
                        b.getVariadicBufferCounts(), true));
            }
            return copies;
        }

        void close() {
            batches.forEach(ArrowRecordBatch::close);
        }
    }
}
