package dev.quiver.arrow;

import dev.quiver.client.ChangeStamp;
import dev.quiver.client.DeleteOutcome;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.ObjectExistsException;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.StoreStats;
import dev.quiver.client.StoreUnavailableException;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.table.Table;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A key/value shelf of Arrow tables in a Quiver store: put a table under a human-readable key, get it back by key
 * from any process on the machine, list, replace, delete.
 *
 * <pre>{@code
 * try (Shelf shelf = Shelf.connect(DefaultSocket.path())) { // or Shelf.of(client)
 *     String key = shelf.put(table);                      // a generated key, such as "swift-otter-0427"
 *     shelf.put("prices", table);                         // a chosen key; an error if it exists
 *     shelf.put("prices", newer, true);                   // replace: readers see the old or the new table
 *     try (Table copy = shelf.get("prices")) { ... }      // a copy in the caller's memory, independent of the store
 *     try (StoredTable t = shelf.getArrow("prices")) { ... } // zero-copy, over store memory, until closed
 *     shelf.listKeys();  shelf.delete(key);  shelf.deleteAll();  shelf.memoryUsage();
 * }
 * }</pre>
 *
 * <h2>Keys</h2>
 * 1 to 128 characters from {@code A-Z a-z 0-9 . _ -}, starting with a letter or a
 * digit; anything else is refused with an {@link IllegalArgumentException} naming the rule. Generated keys are
 * adjective-noun-number ({@code swift-otter-0427}).
 *
 * <h2>How a table is stored</h2>
 * Each version of a key is one sealed store object holding the table as an Arrow IPC stream (any Arrow
 * implementation can read it). Its metadata is the stream's media type with the key, the version and the row
 * count as parameters:
 * <pre>
 * application/vnd.apache.arrow.stream; shelf-key=prices; shelf-version=3; rows=1000
 * </pre>
 * The object of version {@code v} of key {@code K} has the id {@code ObjectId.forName("quiver.shelf/K/" + (v % 64))}:
 * every key has 64 <em>version slots</em>. The store holds no other shelf state: everything, including
 * {@link #listKeys()}, is derived from the objects, so every process sees the same shelf.
 *
 * <h2>Reading and replacing</h2>
 * <ul>
 *   <li><b>Read</b>: one batched {@code get} of the key's 64 slot ids with no wait. The store answers it atomically:
 *       the sealed, not deleted versions at that instant, each with a reference taken. The reader keeps the highest
 *       version (from the metadata) and releases the others. Objects are invisible until sealed, so a reader never
 *       sees a half-written table, and it holds its version until it closes it.</li>
 *   <li><b>Put</b> (new key): if a version is visible, {@link ShelfKeyExistsException}. Otherwise create version
 *       1, write it in place, seal. Concurrent puts of a new key all create the same object id, and the store's
 *       create is atomic: exactly one succeeds, the others get {@link ShelfKeyExistsException} without having
 *       written anything. (If the id is only reserved by an old version that was deleted while a reader held it, the
 *       put takes the next version.)</li>
 *   <li><b>Replace</b>: read the newest version {@code v}, create {@code v+1} (a concurrent replacer that wants the
 *       same version gets {@code ObjectExistsException} from the store and takes the next one), write, seal, then
 *       delete every visible version below the newest. Until the seal the old version is the newest, after it the
 *       new one is: the key is never absent in between. A reader holding the old version keeps it: the store defers
 *       the delete until it is released.</li>
 *   <li><b>Concurrent replacers</b>: the highest version wins, for readers and writers alike; after sealing, each
 *       writer deletes the visible versions below the newest, its own included if it was overtaken. So a reader sees
 *       the versions of a key in increasing order, each complete, and after a put or replace returns every later
 *       read in any process sees that version or a newer one (unless the key is deleted or the store evicts it).</li>
 *   <li><b>Slots</b>: slot {@code v % 64} can still be taken by an old version that was deleted while a reader held
 *       it; the writer then skips to the next slot. If all 64 are taken (replaced versions still held by readers),
 *       the put fails with a message saying so.</li>
 * </ul>
 *
 * <h2>Memory</h2>
 * Shelf tables are ordinary sealed objects: when a create needs room, the store evicts unreferenced objects least
 * recently used first, shelf tables included; an evicted key is gone ({@link ShelfKeyNotFoundException}). Size the
 * store for what it should keep. {@link #memoryUsage()} reports the shelf's share and the store's totals.
 *
 * <h2>When the store goes away</h2>
 * {@link #isConnected()} turns false (it asks the client, no round trip: false after the shelf is closed, after a
 * call found the store gone, or as soon as the client's reader notices the socket closed). Every call that needs
 * the store, {@link #memoryUsage()} included, throws {@link StoreUnavailableException}: the shelf reports no stale
 * figures. Tables already returned by {@link #get} are the caller's and stay valid; tables from
 * {@link #getArrow} stay readable until closed (the client keeps the arena mapped while they are open).
 *
 * <p>Thread-safe. Copies from {@link #get} are allocated in the shelf's allocator (by default a process-wide
 * {@link RootAllocator} that is never closed), so they outlive the shelf.
 */
public final class Shelf implements AutoCloseable {
    private static final int LISTING_BATCH = 4096;
    private static final int GENERATED_KEY_ATTEMPTS = 32;

    private static final class DefaultAllocator {
        static final BufferAllocator INSTANCE = new RootAllocator();
    }

    private final QuiverClient client;
    private final boolean ownsClient;
    private final BufferAllocator allocator;
    private volatile boolean closed;

    private Shelf(QuiverClient client, boolean ownsClient, BufferAllocator allocator) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.allocator = allocator;
    }

    // --------------------------------------------------------------------------------------------- opening

    /** The shelf of the store on {@code socket}; {@link #close()} disconnects. */
    public static Shelf connect(Path socket) {
        return connect(socket, DefaultAllocator.INSTANCE);
    }

    /** The shelf of the store on {@code socket}, copies and Arrow buffers accounted to {@code allocator}. */
    public static Shelf connect(Path socket, BufferAllocator allocator) {
        return new Shelf(QuiverClient.connect(socket), true, allocator);
    }

    /** The shelf of the store a client is connected to; {@link #close()} leaves the client open. */
    public static Shelf of(QuiverClient client) {
        return of(client, DefaultAllocator.INSTANCE);
    }

    /** The shelf over a client, copies and Arrow buffers accounted to {@code allocator}. */
    public static Shelf of(QuiverClient client, BufferAllocator allocator) {
        return new Shelf(client, false, allocator);
    }

    /** The store's socket. */
    public Path socket() {
        return client.socket();
    }

    /** The client this shelf talks through. */
    public QuiverClient client() {
        return client;
    }

    /** The allocator of copies and of Arrow buffers over store memory. */
    public BufferAllocator allocator() {
        return allocator;
    }

    // ------------------------------------------------------------------------------------------------ put

    /** Puts a table under a generated key; returns the key. */
    public String put(Table table) {
        return putWithGeneratedKey(w -> put(w, table, false));
    }

    /** Puts a root's current batch under a generated key; returns the key. */
    public String put(VectorSchemaRoot root) {
        return putWithGeneratedKey(w -> put(w, root, false));
    }

    /**
     * Puts a table under a chosen key.
     *
     * @throws ShelfKeyExistsException  if the key is on the shelf
     * @throws IllegalArgumentException if the key breaks the key rules
     */
    public String put(String key, Table table) {
        return put(key, table, false);
    }

    /** Puts a root's current batch under a chosen key; see {@link #put(String, Table)}. */
    public String put(String key, VectorSchemaRoot root) {
        return put(key, root, false);
    }

    /**
     * Puts a table under a key, replacing the table there if {@code replace}; readers get either the old or the new
     * table, complete, never a mix (see the class comment).
     *
     * @throws ShelfKeyExistsException if the key is on the shelf and {@code replace} is false
     */
    public String put(String key, Table table, boolean replace) {
        VectorSchemaRoot view = ShelfArrow.view(table); // not closed: it would close the caller's vectors
        return putBatches(key, view.getSchema(), List.of(view), table.getDictionaryProvider(), replace).key();
    }

    /** Puts a root's current batch (with no dictionary-encoded columns) under a key; see {@link #put(String, Table, boolean)}. */
    public String put(String key, VectorSchemaRoot root, boolean replace) {
        return putBatches(key, root.getSchema(), List.of(root), null, replace).key();
    }

    /**
     * Puts a table made of several record batches, the general form of {@code put}. The batches are read twice: once
     * to measure the object, once to write it straight into store memory.
     *
     * @param key          the key, or null for a generated one
     * @param schema       the batches' schema
     * @param batches      the batches, each with exactly this schema
     * @param dictionaries the dictionaries of dictionary-encoded columns, or null
     * @param replace      replace the table under the key if there is one
     * @return the entry written
     * @throws ArrowFormatException if the data is not valid Arrow (see {@link ArrowValidation}); the shelf is unchanged
     */
    public ShelfEntry putBatches(String key, Schema schema, Iterable<VectorSchemaRoot> batches,
                                 DictionaryProvider dictionaries, boolean replace) {
        ensureOpen();
        ArrowValidation.validateTable(schema, batches, dictionaries); // before the store is touched
        if (key == null) {
            return putWithGeneratedKey(k -> write(k, schema, batches, dictionaries, false));
        }
        return write(ShelfKeys.validate(key), schema, batches, dictionaries, replace);
    }

    private interface KeyedPut<T> {
        T put(String key);
    }

    private <T> T putWithGeneratedKey(KeyedPut<T> put) {
        for (int i = 0; ; i++) {
            try {
                return put.put(ShelfKeys.generate());
            } catch (ShelfKeyExistsException e) {
                if (i == GENERATED_KEY_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private ShelfEntry write(String key, Schema schema, Iterable<VectorSchemaRoot> batches,
                             DictionaryProvider dictionaries, boolean replace) {
        long newest = 0;
        try (Versions before = versions(key)) {
            Version current = before.newest();
            if (current != null) {
                if (!replace) {
                    throw new ShelfKeyExistsException("key '" + key + "' is already on the shelf (version "
                            + current.tag.version() + ", " + current.tag.rows() + " rows); replace it explicitly "
                            + "(put(key, table, true), or quiver put --replace)");
                }
                newest = current.tag.version();
            }
        }
        ShelfArrow.Written measured = ShelfArrow.serialize(schema, batches, dictionaries, SegmentChannel.counting());
        long size = measured.bytes();
        long rows = measured.rows();

        long version = newest + 1;
        WritableObject object = null;
        for (int attempt = 0; object == null && attempt < 2 * ShelfKeys.SLOTS; attempt++) {
            ObjectId id = ShelfKeys.idOf(key, version);
            try {
                object = client.create(id, size, MemorySegment.ofArray(ShelfKeys.metadata(key, version, rows)));
            } catch (ObjectExistsException e) {
                if (replace) {
                    version++; // a concurrent replacer has this version, or an old version held by a reader the slot
                } else {
                    version = nextFreeVersion(key, version, id); // or ShelfKeyExistsException
                }
            }
        }
        if (object == null) {
            throw new IllegalStateException("all " + ShelfKeys.SLOTS + " version slots of key '" + key + "' are in "
                    + "use (versions being written, or replaced versions still held by readers): close tables of "
                    + "this key that are no longer needed, then retry");
        }
        ObjectId id = object.id();
        Instant created = Instant.now();
        try (WritableObject o = object) {
            ShelfArrow.Written written = ShelfArrow.serialize(schema, batches, dictionaries,
                    SegmentChannel.into(o, size));
            if (!written.equals(measured)) {
                throw new IllegalStateException("the table measured " + measured + " but wrote " + written
                        + ": were its batches changed while being written?");
            }
            o.seal();
        } // closing an unsealed writer aborts it: a failed put leaves no trace

        settle(key);
        long bytes = size + ShelfKeys.metadata(key, version, rows).length;
        return new ShelfEntry(key, version, id, bytes, rows, created, schema);
    }

    /**
     * A put of a new key found its version's object taken. Every put of a new key targets the same version, so the
     * store's atomic create lets exactly one of concurrent puts through; the others end here. Returns the version to
     * try next when the slot is only held by an old, deleted version that a reader still holds.
     *
     * @throws ShelfKeyExistsException if the key was put meanwhile, or is being put by another client
     */
    private long nextFreeVersion(String key, long version, ObjectId id) {
        ObjectState state = null;
        for (ObjectInfo o : client.list()) {
            if (o.id().equals(id)) {
                state = o.state();
                break;
            }
        }
        if (state == ObjectState.CREATED) {
            throw new ShelfKeyExistsException("key '" + key + "' is being put by another client right now; replace "
                    + "it explicitly if this table should win (put(key, table, true), or quiver put --replace)");
        }
        try (Versions now = versions(key)) {
            if (now.newest() != null) {
                throw new ShelfKeyExistsException("key '" + key + "' was put by another client meanwhile (version "
                        + now.newest().tag.version() + "); replace it explicitly (put(key, table, true), or quiver put "
                        + "--replace)");
            }
        }
        // Sealed in the listing yet invisible now: deleted, and still held by a reader (its id stays reserved); or
        // gone since the listing (then the same version is free again).
        return state == null ? version : version + 1;
    }

    /**
     * After a seal: deletes every visible version of the key below the newest (the newest version wins, for readers
     * and writers alike), which includes this writer's own version if a concurrent replacement sealed a higher one.
     */
    private void settle(String key) {
        List<ObjectId> stale = new ArrayList<>();
        try (Versions after = versions(key)) {
            Version newest = after.newest();
            for (Version v : after.all) {
                if (v.tag.version() < newest.tag.version()) {
                    stale.add(v.id());
                }
            }
        }
        if (!stale.isEmpty()) {
            client.delete(stale); // deferred for versions that readers hold; NOT_FOUND if another writer was first
        }
    }

    // ------------------------------------------------------------------------------------------------ get

    /**
     * A copy of the table under {@code key}, in the shelf's allocator: the caller owns it and closes it; it does not
     * depend on the store (it survives the store stopping). All record batches are concatenated into one table.
     *
     * @throws ShelfKeyNotFoundException if no table is under the key
     */
    public Table get(String key) {
        return get(key, allocator);
    }

    /** A copy of the table under {@code key}, allocated in {@code target}; see {@link #get(String)}. */
    public Table get(String key, BufferAllocator target) {
        try (StoredTable t = getArrow(key)) {
            return ShelfArrow.copy(t, target);
        }
    }

    /**
     * The table under {@code key}, zero-copy: its vectors lie in store memory. Close it to release the store's
     * reference; until then this version stays in the store, even if the key is replaced or deleted.
     *
     * @throws ShelfKeyNotFoundException if no table is under the key
     */
    public StoredTable getArrow(String key) {
        Version v = take(key);
        return StoredTable.load(v.id(), StoreArrowReader.open(v.buffer, allocator), allocator);
    }

    /**
     * A standard Arrow reader over the table under {@code key}, loading one batch at a time zero-copy (for Arrow's C
     * data interface, DuckDB, Flight). Close it to release the store's reference.
     *
     * @throws ShelfKeyNotFoundException if no table is under the key
     */
    public StoreArrowReader reader(String key) {
        return StoreArrowReader.open(take(key).buffer, allocator);
    }

    /**
     * The store object holding the newest version of the key, read in place: its {@link ObjectBuffer#data() data} is
     * the table as an Arrow IPC stream (any Arrow implementation reads it; write it to a file as is for an
     * {@code .arrows} file). Close it to release the store's reference.
     *
     * @throws ShelfKeyNotFoundException if no table is under the key
     */
    public ObjectBuffer object(String key) {
        return take(key).buffer;
    }

    /**
     * A stamp of the key's version slots ({@link QuiverClient#changeStamp}), read from shared memory without asking
     * the store. Take it before reading the key: while it is {@linkplain ChangeStamp#unchanged() unchanged}, no version
     * of the key has been put, replaced, deleted or evicted since, and a read would find the version found then. For
     * readers that keep a table open to serve it again, such as the store's Flight endpoint.
     *
     * @throws IllegalArgumentException if the key breaks the key rules
     */
    public ChangeStamp changeStamp(String key) {
        ensureOpen();
        return client.changeStamp(ShelfKeys.slotIds(ShelfKeys.validate(key)));
    }

    /** Whether a table is under the key. */
    public boolean contains(String key) {
        ensureOpen();
        try (Versions v = versions(ShelfKeys.validate(key))) {
            return v.newest() != null;
        }
    }

    /** The entry under the key (version, size, rows, schema), if there is one. */
    public Optional<ShelfEntry> entry(String key) {
        ensureOpen();
        try (Versions v = versions(ShelfKeys.validate(key))) {
            Version newest = v.newest();
            if (newest == null) {
                return Optional.empty();
            }
            return Optional.of(new ShelfEntry(key, newest.tag.version(), newest.id(),
                    newest.buffer.data().byteSize() + newest.buffer.metadata().byteSize(), newest.tag.rows(),
                    createdOf(newest.id()), ShelfArrow.readSchema(newest.buffer.data())));
        }
    }

    private Instant createdOf(ObjectId id) {
        for (ObjectInfo o : client.list()) {
            if (o.id().equals(id)) {
                return Instant.ofEpochMilli(o.createTimeMillis());
            }
        }
        return null;
    }

    /** The newest version of the key, its buffer handed to the caller. */
    private Version take(String key) {
        ensureOpen();
        try (Versions v = versions(ShelfKeys.validate(key))) {
            Version newest = v.newest();
            if (newest == null) {
                throw new ShelfKeyNotFoundException("no table under key '" + key + "' on the shelf of the store at "
                        + client.socket());
            }
            v.all.remove(newest); // not closed with the others
            return newest;
        }
    }

    // ------------------------------------------------------------------------------------------------ list

    /** Every key on the shelf, sorted; read from the store, so other processes' keys are included. */
    public List<String> listKeys() {
        ensureOpen();
        return List.copyOf(scan(false, false).newest.keySet());
    }

    /** Every table on the shelf (newest version of each key), sorted by key, with sizes, rows and schemas. */
    public List<ShelfEntry> entries() {
        ensureOpen();
        return List.copyOf(scan(true, false).newest.values());
    }

    /**
     * Memory of the shelf and of the store; see {@link ShelfUsage} for what each figure counts.
     *
     * @throws StoreUnavailableException if the store is gone (no last-known figures are reported)
     */
    public ShelfUsage memoryUsage() {
        ensureOpen();
        Scan scan = scan(false, false);
        long bytes = 0;
        for (ShelfEntry e : scan.newest.values()) {
            bytes += (e.bytes() + 63) & ~63L;
        }
        StoreStats s = client.stats();
        return new ShelfUsage(scan.newest.size(), bytes, s.used(), s.capacity());
    }

    // ---------------------------------------------------------------------------------------------- delete

    /**
     * Deletes the table under the key (every visible version). A reader still holding it keeps it: the store frees
     * it when the reader closes it.
     *
     * @return whether a table was there
     */
    public boolean delete(String key) {
        ensureOpen();
        List<ObjectId> ids = new ArrayList<>();
        try (Versions v = versions(ShelfKeys.validate(key))) {
            v.all.forEach(x -> ids.add(x.id()));
        }
        if (ids.isEmpty()) {
            return false;
        }
        return client.delete(ids).stream().anyMatch(o -> o == DeleteOutcome.DELETED || o == DeleteOutcome.DEFERRED);
    }

    /**
     * Deletes every table on the shelf, in every process's view (other objects in the store are left alone). Tables
     * that readers hold are freed when they close them.
     *
     * @return the number of keys deleted
     */
    public int deleteAll() {
        ensureOpen();
        Scan scan = scan(false, true);
        for (int i = 0; i < scan.all.size(); i += LISTING_BATCH) {
            client.delete(scan.all.subList(i, Math.min(scan.all.size(), i + LISTING_BATCH)));
        }
        return scan.newest.size();
    }

    // ------------------------------------------------------------------------------------------- lifecycle

    /** True while the shelf is open and its client connected (as last observed; no round trip). */
    public boolean isConnected() {
        return !closed && client.isConnected();
    }

    /**
     * Disconnects (if the shelf opened the connection). Copies from
     * {@link #get} stay valid; zero-copy tables stay readable until closed. Later calls do nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ownsClient) {
            client.close();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the shelf is closed");
        }
    }

    // ----------------------------------------------------------------------------------------- internals

    /** A visible version of a key, with the reference the get took. */
    private record Version(ShelfKeys.Tag tag, ObjectBuffer buffer) {
        ObjectId id() {
            return buffer.id();
        }
    }

    /** The visible versions of one key at one instant, holding references until closed. */
    private static final class Versions implements AutoCloseable {
        final List<Version> all;

        Versions(List<Version> all) {
            this.all = all;
        }

        Version newest() {
            return all.stream().max(Comparator.comparingLong(v -> v.tag.version())).orElse(null);
        }

        @Override
        public void close() {
            all.forEach(v -> v.buffer.close());
        }
    }

    /** One atomic look at every slot of the key. */
    private Versions versions(String key) {
        List<ObjectBuffer> got = client.get(ShelfKeys.slotIds(key), QuiverClient.NO_WAIT);
        List<Version> versions = new ArrayList<>(2);
        for (ObjectBuffer b : got) {
            if (b == null) {
                continue;
            }
            ShelfKeys.Tag tag = ShelfKeys.parse(b.metadata());
            if (tag != null && tag.key().equals(key) && ShelfKeys.idOf(key, tag.version()).equals(b.id())) {
                versions.add(new Version(tag, b));
            } else {
                b.close();
            }
        }
        return new Versions(versions);
    }

    /** What a scan of the whole store found. */
    private record Scan(TreeMap<String, ShelfEntry> newest, List<ObjectId> all) {}

    /**
     * Reads the metadata of every sealed object that may be a shelf table (batched gets with no wait, references
     * released at once), keeping the newest version of each key.
     */
    private Scan scan(boolean withSchemas, boolean collectAll) {
        List<ObjectInfo> candidates = new ArrayList<>();
        for (ObjectInfo o : client.list()) {
            if (o.state() == ObjectState.SEALED && o.metadataSize() >= ShelfKeys.MIN_METADATA
                    && o.metadataSize() <= ShelfKeys.MAX_METADATA) {
                candidates.add(o);
            }
        }
        TreeMap<String, ShelfEntry> newest = new TreeMap<>();
        List<ObjectId> all = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i += LISTING_BATCH) {
            List<ObjectInfo> chunk = candidates.subList(i, Math.min(candidates.size(), i + LISTING_BATCH));
            List<ObjectBuffer> got = client.get(chunk.stream().map(ObjectInfo::id).toList(), QuiverClient.NO_WAIT);
            try {
                for (int j = 0; j < got.size(); j++) {
                    ObjectBuffer b = got.get(j);
                    if (b == null) {
                        continue; // deleted since the listing
                    }
                    ShelfKeys.Tag tag = ShelfKeys.parse(b.metadata());
                    if (tag == null || !ShelfKeys.idOf(tag.key(), tag.version()).equals(b.id())) {
                        continue;
                    }
                    if (collectAll) {
                        all.add(b.id());
                    }
                    ShelfEntry have = newest.get(tag.key());
                    if (have == null || have.version() < tag.version()) {
                        ObjectInfo info = chunk.get(j);
                        Schema schema = withSchemas ? ShelfArrow.readSchema(b.data()) : null;
                        newest.put(tag.key(), new ShelfEntry(tag.key(), tag.version(), b.id(),
                                info.dataSize() + info.metadataSize(), tag.rows(),
                                Instant.ofEpochMilli(info.createTimeMillis()), schema));
                    }
                }
            } finally {
                got.forEach(b -> {
                    if (b != null) {
                        b.close();
                    }
                });
            }
        }
        return new Scan(newest, all);
    }
}
