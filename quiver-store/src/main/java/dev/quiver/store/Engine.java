package dev.quiver.store;

import dev.quiver.protocol.ChangePage;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The store's state machine: objects, references, memory, waiting gets and creates, subscribers.
 *
 * <p>One thread calls every method (the transport's loop, or a unit test); there are no locks. The engine knows
 * nothing of sockets or of the arena's bytes: it receives decoded requests, and answers through an {@link Outbox}.
 * Time comes from the given clock, so timeouts can be tested without waiting.
 *
 * <p>Object life: created (the writer holds one reference) → sealed (visible, gettable) → deleted or evicted.
 * An object with references is never evicted; a delete of one is deferred until its last reference goes.
 */
public final class Engine {

    /** Where the engine's answers go. */
    public interface Outbox {
        /** Sends a reply (or, with request id 0, a notification) to a client. */
        void send(long clientId, int requestId, Reply reply);

        /**
         * Drops a client's connection for a protocol violation; the engine has already suspended the client (it
         * holds its references until the transport reports the socket closed, through {@link #disconnect}).
         */
        void close(long clientId, String reason);

        /** The engine has more to send this client (a listing, first notifications): call {@link #pump} for it. */
        void more(long clientId);
    }

    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private final Allocator allocator;
    private final String arenaPath;
    private final Outbox outbox;
    private final LongSupplier nanoClock;
    private final LongSupplier wallClockMillis;

    private final Map<ObjectId, StoredObject> objects = new HashMap<>();
    /** The same objects ordered by id (unsigned bytes), for range queries. */
    private final TreeMap<ObjectId, StoredObject> byId = new TreeMap<>();
    /** Sealed objects without references, least recently released first. */
    private final LinkedHashMap<ObjectId, StoredObject> evictable = new LinkedHashMap<>();
    /** Objects whose memory clients hold (StoredObject#holds), by block offset; those removed meanwhile too. */
    private final Map<Long, StoredObject> heldBlocks = new HashMap<>();
    private long evictableBytes;
    private final Map<Long, Session> sessions = new HashMap<>();
    private final Map<ObjectId, List<PendingGet>> waiters = new HashMap<>();
    private final PriorityQueue<PendingGet> getDeadlines =
            new PriorityQueue<>(Comparator.comparingLong(g -> g.deadline));
    private final ArrayDeque<PendingCreate> waitingCreates = new ArrayDeque<>();
    private final PriorityQueue<PendingCreate> createDeadlines =
            new PriorityQueue<>(Comparator.comparingLong(c -> c.deadline));
    private final Set<Long> subscribers = new HashSet<>();
    /** Every object in creation order (listings), and sealed objects in seal order (a new subscriber's burst). */
    private final AppendLog<StoredObject> creationOrder = new AppendLog<>();
    private final AppendLog<StoredObject> sealOrder = new AppendLog<>();
    /** Estimated heap held by waiting gets and creates, all clients. */
    private long pendingBytes;
    /** Tests only: runs before each request is handled, to inject failures. */
    private volatile Consumer<Request> faultHook;
    private long nextClientId = 1;
    private long evictedObjects;
    private long evictedBytes;
    /** Set when memory was freed or became evictable, so waiting creates are retried. */
    private boolean memoryChanged;
    /** Where request counts, durations and errors go; null when nobody asked for metrics. */
    private EngineMetrics metrics;
    /** The arena file's change page, or null. */
    private MemorySegment changePage;
    /** The type of the request being handled, for counting errors. */
    private EngineMetrics.Op currentOp = EngineMetrics.Op.CONNECT;
    private ContentDigester digester = (offset, dataSize, metadataSize) -> 0;

    /**
     * @param capacity        usable bytes of the arena, a multiple of 64
     * @param arenaPath       the arena file clients map, reported at connect
     * @param nanoClock       monotonic time for deadlines and construct durations
     * @param wallClockMillis wall-clock time for create timestamps
     */
    public Engine(long capacity, String arenaPath, Outbox outbox, LongSupplier nanoClock, LongSupplier wallClockMillis) {
        this.allocator = new Allocator(capacity);
        this.arenaPath = arenaPath;
        this.outbox = outbox;
        this.nanoClock = nanoClock;
        this.wallClockMillis = wallClockMillis;
    }

    /** The content digest of an object's bytes in the arena, for objects the store seals itself. */
    @FunctionalInterface
    public interface ContentDigester {
        /** CRC-32C of the data and then the metadata of the object at {@code offset}, as clients compute it. */
        long digest(long offset, long dataSize, long metadataSize);
    }

    /**
     * Computes the digest of a published object that the store seals after its writer went away. Without one (an
     * engine driven without an arena, in tests), such objects record digest 0.
     */
    void digestWith(ContentDigester digester) {
        this.digester = digester;
    }

    /** Records request counts, durations and errors in {@code metrics} from now on. */
    /**
     * Counts the changes of objects' visibility on {@code page} (ChangePage's layout), as clients read it in the arena
     * file. Without a page (an engine under test), nothing is counted.
     */
    void countChangesOn(MemorySegment page) {
        this.changePage = page;
    }

    /** The object's visibility changed (sealed, published, delete-pending, gone): tell readers of the change page. */
    private void changed(StoredObject o) {
        if (changePage != null) {
            ChangePage.bump(changePage, ChangePage.bucket(o.id));
        }
    }

    void recordTo(EngineMetrics metrics) {
        this.metrics = metrics;
    }

    /** A new connection; returns the id the transport uses for it from now on. */
    public long accept() {
        long id = nextClientId++;
        sessions.put(id, new Session(id));
        return id;
    }

    /** One decoded request from a client. */
    public void handle(long clientId, int requestId, Request request) {
        Session s = sessions.get(clientId);
        if (s == null || s.suspended) {
            return; // closed or dropped while its bytes were in flight
        }
        Consumer<Request> hook = faultHook;
        if (hook != null) {
            hook.accept(request);
        }
        long start = 0;
        if (metrics != null) {
            currentOp = EngineMetrics.Op.of(request);
            start = nanoClock.getAsLong();
        }
        if (!s.connected && !(request instanceof Request.Connect)) {
            fail(s, requestId, "the first request must be Connect, got " + request.getClass().getSimpleName());
            return;
        }
        switch (request) {
            case Request.Connect c -> connect(s, requestId, c);
            case Request.Create c -> create(s, requestId, List.of(new Request.CreateSpec(c.id(), c.dataSize(),
                    c.metadataSize())), false, c.timeoutMillis());
            case Request.CreateBatch b -> create(s, requestId, b.objects(), true, b.timeoutMillis());
            case Request.Seal seal -> seal(s, requestId, seal.objects());
            case Request.Abort a -> abort(s, requestId, a.id());
            case Request.Publish p -> publish(s, requestId, p.id());
            case Request.Get g -> get(s, requestId, g.ids(), g.timeoutMillis());
            case Request.Release r -> release(s, requestId, r.ids(), false);
            case Request.ReleaseHeld r -> release(s, requestId, r.ids(), true);
            case Request.EndHolds e -> endHolds(s, requestId, e.offsets());
            case Request.Contains c -> contains(s, requestId, c.ids());
            case Request.Delete d -> delete(s, requestId, d.ids());
            case Request.ListObjects l -> list(s, requestId);
            case Request.Range r -> range(s, requestId, r);
            case Request.Evict e -> evictRequest(s, requestId, e.bytes());
            case Request.Hash h -> hash(s, requestId, h.id());
            case Request.Subscribe sub -> subscribe(s, requestId);
            case Request.Stats st -> send(s, requestId, stats());
            case Request.Clients c -> send(s, requestId, clients());
        }
        retryWaitingCreates();
        if (metrics != null) {
            metrics.request(currentOp, nanoClock.getAsLong() - start);
        }
    }

    /**
     * A client is gone (its socket closed, or the transport closed it): abort what it was writing, release what
     * it held, forget its waiting gets, creates and subscription. Safe to call twice.
     */
    public void disconnect(long clientId) {
        suspend(clientId);
        Session s = sessions.remove(clientId);
        if (s == null) {
            return;
        }
        for (ObjectId id : List.copyOf(s.unsealed)) {
            StoredObject o = objects.get(id);
            if (o.published) {
                seal(s, o, digester.digest(o.offset, o.dataSize, o.metadataSize)); // readers keep what was written
            } else {
                discard(s, o);
            }
        }
        for (Map.Entry<ObjectId, Integer> held : s.refs.entrySet()) {
            StoredObject o = objects.get(held.getKey());
            o.refCount -= held.getValue();
            if (o.refCount == 0) {
                unreferenced(o);
            }
        }
        s.refs.clear();
        for (Map.Entry<Long, Integer> h : s.holds.entrySet()) {
            for (int i = 0; i < h.getValue(); i++) {
                endHold(heldBlocks.get(h.getKey()));
            }
        }
        s.holds.clear();
        retryWaitingCreates();
    }

    /**
     * A client was dropped while its socket stays open: forget its waiting gets and creates, its subscription and
     * unsent listings, and never answer it again; but keep what it holds (references, unsealed objects) until
     * {@link #disconnect}, since it may still be reading or writing that memory. Safe to call twice.
     */
    public void suspend(long clientId) {
        Session s = sessions.get(clientId);
        if (s == null || s.suspended) {
            return;
        }
        s.suspended = true;
        subscribers.remove(clientId);
        s.burst = null;
        s.cursors.clear();
        for (PendingGet g : s.gets) {
            finishGet(g);
        }
        s.gets.clear();
        for (PendingCreate c : s.creates) {
            c.done = true;
            unpend(s, c.heapBytes);
        }
        s.creates.clear();
        waitingCreates.removeIf(c -> c.done);
    }

    /**
     * Sends the next chunk of what a client is owed (one listing frame, or up to a listing chunk of a new
     * subscriber's first notifications). The transport calls it when the client's socket can take more, so that a
     * listing of millions of objects is produced as fast as it is read and never piles up in memory, and other
     * clients are served between chunks.
     *
     * @return whether more remains for this client
     */
    public boolean pump(long clientId) {
        Session s = sessions.get(clientId);
        if (s == null || s.suspended) {
            return false;
        }
        Cursor c = s.cursors.peek();
        if (c == null) {
            return false;
        }
        if (c.sendNext(s)) {
            s.cursors.poll();
        }
        return !s.cursors.isEmpty();
    }

    /** Estimated heap held by all waiting gets and creates. */
    public long pendingBytes() {
        return pendingBytes;
    }

    /** Estimated heap held by one client's waiting gets and creates. */
    public long pendingBytes(long clientId) {
        Session s = sessions.get(clientId);
        return s == null ? 0 : s.pendingBytes;
    }

    /** Tests only: runs {@code hook} before each request is handled (null removes it). */
    void injectFault(Consumer<Request> hook) {
        faultHook = hook;
    }

    /** When the next timeout falls due, in clock nanoseconds, or {@link Long#MAX_VALUE} if none is pending. */
    public long nextDeadline() {
        dropFinishedDeadlines();
        long next = NO_DEADLINE;
        if (!getDeadlines.isEmpty()) {
            next = getDeadlines.peek().deadline;
        }
        if (!createDeadlines.isEmpty()) {
            next = Math.min(next, createDeadlines.peek().deadline);
        }
        return next;
    }

    /** Answers every get and create whose deadline has passed. */
    public void expire() {
        long now = nanoClock.getAsLong();
        dropFinishedDeadlines();
        while (!getDeadlines.isEmpty() && getDeadlines.peek().deadline <= now) {
            PendingGet g = getDeadlines.poll();
            if (g.done) {
                continue;
            }
            g.session.gets.remove(g);
            finishGet(g);
            answerGet(g);
        }
        boolean createExpired = false;
        while (!createDeadlines.isEmpty() && createDeadlines.peek().deadline <= now) {
            PendingCreate c = createDeadlines.poll();
            if (c.done) {
                continue;
            }
            c.done = true;
            c.session.creates.remove(c);
            unpend(c.session, c.heapBytes);
            waitingCreates.remove(c);
            currentOp = EngineMetrics.Op.CREATE;
            send(c.session, c.requestId, storeFull(totalBlockSize(c.objects), "after waiting"));
            createExpired = true;
        }
        if (createExpired) {
            memoryChanged = true; // the creates queued behind an expired one may fit now
            retryWaitingCreates();
        }
    }

    /** The figures {@link Request.Stats} answers. */
    public Reply.StoreStats stats() {
        long connected = sessions.values().stream().filter(x -> x.connected && !x.suspended).count();
        return new Reply.StoreStats(allocator.capacity(), allocator.used(), allocator.used() - evictableBytes,
                evictableBytes, objects.size(), (int) connected, evictedObjects, evictedBytes);
    }

    /** What {@link Request.Clients} answers: every connected client (by id) with what it holds. */
    public Reply.ClientList clients() {
        List<Reply.Client> clients = new ArrayList<>();
        sessions.values().stream().filter(x -> x.connected && !x.suspended)
                .sorted(Comparator.comparingLong(x -> x.id)).limit(FrameCodec.MAX_BATCH).forEach(x -> {
                    long[] held = holding(x);
                    clients.add(new Reply.Client(x.id, FrameCodec.clientName(x.name), x.pid, x.subscriber,
                            x.refs.size(), held[0], held[1], x.unsealed.size()));
                });
        return new Reply.ClientList(clients);
    }

    /** A client's references, and the bytes of the blocks they hold: {@code [references, bytes]}. */
    private long[] holding(Session s) {
        long references = 0;
        long bytes = 0;
        for (Map.Entry<ObjectId, Integer> r : s.refs.entrySet()) {
            references += r.getValue();
            bytes += objects.get(r.getKey()).blockSize;
        }
        return new long[] {references, bytes};
    }

    /** Adds an object's block to the arena map's cells, as {@code kind}. */
    private static void paint(long[][] cellBytes, long cell, StoredObject o, int kind) {
        for (long at = o.offset, end = o.offset + o.blockSize; at < end; ) {
            int c = (int) (at / cell);
            long upTo = Math.min(end, (c + 1) * cell);
            cellBytes[c][kind] += upTo - at;
            at = upTo;
        }
    }

    /**
     * The state for the metrics and the status page, in one pass over the objects and the clients' references.
     * Costs time in proportion to the objects, so the transport makes one only when asked (a scrape, a page poll).
     *
     * @param arena a read-only view of the arena, to read shelf objects' metadata once each and streams' words; or null
     */
    StoreSnapshot snapshot(MemorySegment arena, double busySeconds, double busyRatio) {
        long capacity = allocator.capacity();
        long cell = Math.max(1, (capacity + StoreSnapshot.ARENA_CELLS - 1) / StoreSnapshot.ARENA_CELLS);
        long[][] cellBytes = new long[StoreSnapshot.ARENA_CELLS][4]; // w, p, e, d
        long created = 0;
        long sealed = 0;
        long deletePending = 0;
        PriorityQueue<StoredObject> biggest = new PriorityQueue<>(Comparator.comparingLong(o -> o.blockSize));
        Map<String, StoredObject.ShelfLabel> newest = new TreeMap<>();
        Map<String, Long> shelfBytes = new HashMap<>();
        StreamCensus streams = new StreamCensus(arena);
        for (StoredObject o : objects.values()) {
            int kind;
            if (!o.isSealed()) {
                created++;
                kind = 0;
            } else if (o.deletePending) {
                deletePending++;
                kind = 3;
            } else {
                sealed++;
                kind = o.refCount > 0 ? 1 : 2;
            }
            paint(cellBytes, cell, o, kind);
            biggest.add(o);
            if (biggest.size() > StoreSnapshot.BIGGEST) {
                biggest.poll();
            }
            streams.add(o);
            StoredObject.ShelfLabel label = o.isVisible() ? shelfLabel(o, arena) : null;
            if (label != null) {
                StoredObject.ShelfLabel was = newest.get(label.key());
                if (was == null || was.version() < label.version()) {
                    newest.put(label.key(), label);
                    shelfBytes.put(label.key(), o.dataSize + o.metadataSize);
                }
            }
        }
        for (StoredObject o : heldBlocks.values()) {
            if (o.removedWhileHeld) { // gone, but a client's views may still read it: drawn as deleted-but-held
                paint(cellBytes, cell, o, 3);
            }
        }
        StringBuilder map = new StringBuilder(StoreSnapshot.ARENA_CELLS);
        for (long[] b : cellBytes) {
            long free = cell - b[0] - b[1] - b[2] - b[3];
            int most = 0;
            for (int k = 1; k < 4; k++) {
                most = b[k] > b[most] ? k : most;
            }
            map.append(b[most] > free ? "wped".charAt(most) : '.');
        }
        List<StoreSnapshot.ObjectSummary> top = new ArrayList<>();
        while (!biggest.isEmpty()) {
            StoredObject o = biggest.poll();
            String state = !o.isSealed() ? "being written" : o.deletePending ? "deleted, still referenced"
                    : o.refCount > 0 ? "pinned" : "evictable";
            top.addFirst(new StoreSnapshot.ObjectSummary(o.id.toString(), o.dataSize + o.metadataSize, state,
                    o.refCount, o.shelfLabel == null ? null : o.shelfLabel.key()));
        }
        List<StoreSnapshot.ClientHolding> clients = new ArrayList<>();
        long waitingGets = 0;
        for (Session s : sessions.values()) {
            waitingGets += s.gets.size();
            if (!s.connected || s.suspended) {
                continue;
            }
            long[] held = holding(s);
            clients.add(new StoreSnapshot.ClientHolding(s.id, s.name, s.pid, held[0], s.refs.size(), held[1],
                    s.unsealed.size(), s.gets.size(), s.creates.size(), s.subscriber));
        }
        List<StoreSnapshot.ShelfKey> shelf = new ArrayList<>();
        newest.forEach((key, l) -> shelf.add(new StoreSnapshot.ShelfKey(key, l.version(), l.rows(),
                shelfBytes.get(key))));
        return new StoreSnapshot(wallClockMillis.getAsLong(), capacity, allocator.used(),
                allocator.used() - evictableBytes, evictableBytes, allocator.free(), allocator.largestFree(), created,
                sealed, deletePending, clients.size(), waitingGets, waitingCreates.size(), subscribers.size(),
                evictedObjects, evictedBytes, busySeconds, busyRatio, map.toString(), clients, top, shelf,
                streams.streams(objects::get));
    }

    /** A sealed object's shelf label, read from the arena the first time it is asked for (sealed bytes stay). */
    private static StoredObject.ShelfLabel shelfLabel(StoredObject o, MemorySegment arena) {
        if (!o.labelRead && arena != null) {
            o.labelRead = true;
            if (o.metadataSize > 0 && o.metadataSize <= StoredObject.ShelfLabel.MAX_METADATA) {
                byte[] bytes = arena.asSlice(o.offset + o.dataSize, o.metadataSize)
                        .toArray(ValueLayout.JAVA_BYTE);
                o.shelfLabel = StoredObject.ShelfLabel.parse(
                        new String(bytes, StandardCharsets.UTF_8));
            }
        }
        return o.shelfLabel;
    }

    // ---------------------------------------------------------------------------------------------- requests

    private void connect(Session s, int requestId, Request.Connect c) {
        if (s.connected) {
            fail(s, requestId, "Connect sent twice");
            return;
        }
        if (c.protocolVersion() != FrameCodec.PROTOCOL_VERSION) {
            fail(s, requestId, "protocol version " + c.protocolVersion() + " not supported; this store speaks "
                    + FrameCodec.PROTOCOL_VERSION);
            return;
        }
        s.connected = true;
        s.name = c.clientName();
        s.pid = c.pid();
        send(s, requestId, new Reply.Connected(FrameCodec.PROTOCOL_VERSION, s.id, allocator.capacity(), arenaPath));
    }

    private void create(Session s, int requestId, List<Request.CreateSpec> specs, boolean batch, long timeoutMillis) {
        Set<ObjectId> seen = new HashSet<>();
        for (Request.CreateSpec spec : specs) {
            if (spec.dataSize() < 0 || spec.metadataSize() < 0 || spec.dataSize() + spec.metadataSize() < 0) {
                send(s, requestId, error(Status.INVALID_REQUEST, "sizes must be >= 0: data " + spec.dataSize()
                        + ", metadata " + spec.metadataSize() + " for " + spec.id()));
                return;
            }
            if (!seen.add(spec.id())) {
                send(s, requestId, error(Status.INVALID_REQUEST, "object " + spec.id() + " appears twice in the batch"));
                return;
            }
        }
        if (specs.isEmpty()) {
            send(s, requestId, error(Status.INVALID_REQUEST, "empty create batch"));
            return;
        }
        long needed = totalBlockSize(specs);
        if (needed > allocator.capacity()) {
            send(s, requestId, error(Status.STORE_FULL, (needed == Long.MAX_VALUE ? "more than " : "") + needed
                    + " bytes can never fit: the store's capacity is " + allocator.capacity()
                    + " bytes; start it with a larger -m"));
            return;
        }
        PendingCreate pending = new PendingCreate(s, requestId, specs, batch, deadline(timeoutMillis));
        if (!tryCreate(pending)) {
            if (timeoutMillis == 0) {
                send(s, requestId, storeFull(needed, ""));
            } else {
                s.creates.add(pending);
                pend(s, pending.heapBytes);
                waitingCreates.add(pending);
                if (pending.deadline != NO_DEADLINE) {
                    createDeadlines.add(pending);
                }
            }
        }
    }

    /** Creates every object of the request, or none; answers unless memory is short. */
    private boolean tryCreate(PendingCreate c) {
        for (Request.CreateSpec spec : c.objects) {
            StoredObject existing = objects.get(spec.id());
            if (existing != null) {
                String why = existing.deletePending ? " (deleted, but still in use; its id is reserved until released)"
                        : existing.isSealed() ? "" : " (being created)";
                send(c.session, c.requestId, error(Status.OBJECT_EXISTS, "object " + spec.id() + " exists" + why));
                return true;
            }
        }
        long needed = totalBlockSize(c.objects);
        if (needed > allocator.free() + evictableBytes) {
            return false; // evicting everything would not make room: evict nothing
        }
        long[] offsets = new long[c.objects.size()];
        Arrays.fill(offsets, -1);
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = allocateEvicting(Allocator.blockSize(size(c.objects.get(i))));
            if (offsets[i] < 0) {
                for (int j = 0; j < i; j++) {
                    allocator.free(offsets[j], Allocator.blockSize(size(c.objects.get(j))));
                }
                return false;
            }
        }
        long now = nanoClock.getAsLong();
        long wall = wallClockMillis.getAsLong();
        for (int i = 0; i < offsets.length; i++) {
            Request.CreateSpec spec = c.objects.get(i);
            StoredObject o = new StoredObject(spec.id(), offsets[i], Allocator.blockSize(size(spec)), spec.dataSize(),
                    spec.metadataSize(), c.session.id, wall, now);
            objects.put(o.id, o);
            byId.put(o.id, o);
            o.created = creationOrder.append(o);
            c.session.refs.put(o.id, 1);
            c.session.unsealed.add(o.id);
        }
        send(c.session, c.requestId, c.batch
                ? new Reply.CreatedBatch(Arrays.stream(offsets).boxed().toList())
                : new Reply.Created(offsets[0]));
        return true;
    }

    private void retryWaitingCreates() {
        while (memoryChanged) {
            memoryChanged = false;
            for (Iterator<PendingCreate> it = waitingCreates.iterator(); it.hasNext(); ) {
                PendingCreate c = it.next();
                if (tryCreate(c)) {
                    it.remove();
                    c.done = true;
                    c.session.creates.remove(c);
                    unpend(c.session, c.heapBytes);
                } else {
                    break; // first come, first served: later creates wait behind the first
                }
            }
        }
    }

    /**
     * Allocates a block, evicting least recently released objects until it fits; evicts nothing when even evicting
     * every evictable object would leave no contiguous run large enough (a fragmented arena).
     */
    private long allocateEvicting(long block) {
        long offset = allocator.allocate(block);
        if (offset >= 0 || evictable.isEmpty() || allocator.largestFreeWith(evictableBlocks()) < block) {
            return offset;
        }
        while (offset < 0 && !evictable.isEmpty()) {
            evict(evictable.values().iterator().next());
            offset = allocator.allocate(block);
        }
        return offset;
    }

    private NavigableMap<Long, Long> evictableBlocks() {
        NavigableMap<Long, Long> blocks = new TreeMap<>();
        for (StoredObject o : evictable.values()) {
            blocks.put(o.offset, o.blockSize);
        }
        return blocks;
    }

    private void seal(Session s, int requestId, List<Request.SealSpec> specs) {
        List<Status> result = new ArrayList<>(specs.size());
        for (Request.SealSpec spec : specs) {
            StoredObject o = objects.get(spec.id());
            if (o == null) {
                result.add(Status.OBJECT_NOT_FOUND);
            } else if (o.isSealed()) {
                result.add(Status.ALREADY_SEALED);
            } else if (o.creator != s.id) {
                result.add(Status.NOT_OWNER);
            } else {
                seal(s, o, spec.digest());
                result.add(Status.OK);
            }
        }
        send(s, requestId, new Reply.Statuses(result));
    }

    private void seal(Session s, StoredObject o, long digest) {
        o.state = ObjectState.SEALED;
        o.sealNanos = nanoClock.getAsLong();
        o.digest = digest;
        o.sealed = sealOrder.append(o);
        s.unsealed.remove(o.id);
        changed(o);
        notifySubscribers(Reply.Notification.Kind.SEALED, o);
        wakeWaiters(o);
    }

    private void publish(Session s, int requestId, ObjectId id) {
        StoredObject o = objects.get(id);
        if (o == null) {
            send(s, requestId, error(Status.OBJECT_NOT_FOUND, "no object " + id + " to publish"));
        } else if (o.isSealed()) {
            send(s, requestId, error(Status.ALREADY_SEALED, "object " + id + " is sealed; it is visible already"));
        } else if (o.creator != s.id) {
            send(s, requestId, error(Status.NOT_OWNER, "object " + id + " was created by another client"));
        } else {
            o.published = true;
            changed(o);
            wakeWaiters(o);
            send(s, requestId, new Reply.Ok());
        }
    }

    private void abort(Session s, int requestId, ObjectId id) {
        StoredObject o = objects.get(id);
        if (o == null) {
            send(s, requestId, error(Status.OBJECT_NOT_FOUND, "no object " + id + " to abort"));
        } else if (o.isSealed()) {
            send(s, requestId, error(Status.ALREADY_SEALED, "object " + id + " is sealed; delete it instead"));
        } else if (o.creator != s.id) {
            send(s, requestId, error(Status.NOT_OWNER, "object " + id + " was created by another client"));
        } else if (o.published) {
            send(s, requestId, error(Status.INVALID_REQUEST, "object " + id + " is published: readers may hold "
                    + "it, so it cannot be aborted; seal it instead"));
        } else {
            discard(s, o);
            send(s, requestId, new Reply.Ok());
        }
    }

    private void get(Session s, int requestId, List<ObjectId> ids, long timeoutMillis) {
        PendingGet g = new PendingGet(s, requestId, ids, deadline(timeoutMillis));
        for (int i = 0; i < ids.size(); i++) {
            StoredObject o = objects.get(ids.get(i));
            if (o != null && o.isGettable()) {
                g.found[i] = take(s, o);
            } else {
                g.missing++;
            }
        }
        if (g.missing == 0 || timeoutMillis == 0) {
            answerGet(g);
            return;
        }
        for (int i = 0; i < ids.size(); i++) {
            if (g.found[i] == null) {
                List<PendingGet> list = waiters.computeIfAbsent(ids.get(i), k -> new ArrayList<>(1));
                if (list.isEmpty() || list.getLast() != g) {
                    list.add(g);
                }
            }
        }
        s.gets.add(g);
        pend(s, g.heapBytes);
        if (g.deadline != NO_DEADLINE) {
            getDeadlines.add(g);
        }
    }

    private void wakeWaiters(StoredObject o) {
        List<PendingGet> list = waiters.remove(o.id);
        if (list == null) {
            return;
        }
        for (PendingGet g : list) {
            for (int i = 0; i < g.ids.size(); i++) {
                if (g.found[i] == null && g.ids.get(i).equals(o.id)) {
                    g.found[i] = take(g.session, o);
                    g.missing--;
                }
            }
            if (g.missing == 0) {
                g.session.gets.remove(g);
                finishGet(g);
                answerGet(g);
            }
        }
    }

    private void finishGet(PendingGet g) {
        g.done = true;
        unpend(g.session, g.heapBytes);
        for (ObjectId id : g.ids) {
            List<PendingGet> list = waiters.get(id);
            if (list != null) {
                list.remove(g);
                if (list.isEmpty()) {
                    waiters.remove(id);
                }
            }
        }
    }

    private void answerGet(PendingGet g) {
        List<Reply.Location> locations = new ArrayList<>(g.found.length);
        for (Reply.Location l : g.found) {
            locations.add(l == null ? Reply.Location.ABSENT : l);
        }
        send(g.session, g.requestId, new Reply.Objects(locations));
    }

    /** Takes one reference for a client and says where the object is. */
    private Reply.Location take(Session s, StoredObject o) {
        if (evictable.remove(o.id) != null) {
            evictableBytes -= o.blockSize;
        }
        o.refCount++;
        s.refs.merge(o.id, 1, Integer::sum);
        return new Reply.Location(true, o.offset, o.dataSize, o.metadataSize);
    }

    /** Drops references; with {@code hold}, each leaves a hold on the object's memory (Request.ReleaseHeld). */
    private void release(Session s, int requestId, List<ObjectId> ids, boolean hold) {
        List<Status> result = new ArrayList<>(ids.size());
        for (ObjectId id : ids) {
            Integer held = s.refs.get(id);
            if (held == null) {
                result.add(Status.NOT_HELD);
            } else if (s.unsealed.contains(id) && held == 1) {
                // the writer's own reference goes with seal-then-release, or abort; more references are gets of a
                // published object by its writer's client (a process reading its own stream), released as any
                result.add(Status.NOT_SEALED);
            } else {
                if (held == 1) {
                    s.refs.remove(id);
                } else {
                    s.refs.put(id, held - 1);
                }
                StoredObject o = objects.get(id);
                if (hold) {
                    o.holds++;
                    heldBlocks.put(o.offset, o);
                    s.holds.merge(o.offset, 1, Integer::sum);
                }
                if (--o.refCount == 0) {
                    unreferenced(o);
                }
                result.add(Status.OK);
            }
        }
        send(s, requestId, new Reply.Statuses(result));
    }

    private void endHolds(Session s, int requestId, List<Long> offsets) {
        List<Status> result = new ArrayList<>(offsets.size());
        for (long offset : offsets) {
            Integer count = s.holds.get(offset);
            if (count == null) {
                result.add(Status.NOT_HELD);
                continue;
            }
            if (count == 1) {
                s.holds.remove(offset);
            } else {
                s.holds.put(offset, count - 1);
            }
            endHold(heldBlocks.get(offset));
            result.add(Status.OK);
        }
        send(s, requestId, new Reply.Statuses(result));
    }

    /** One hold on the object's memory ended: with the last, free the block if it is gone, else it may be evicted. */
    private void endHold(StoredObject o) {
        if (--o.holds > 0) {
            return;
        }
        heldBlocks.remove(o.offset);
        if (o.removedWhileHeld) {
            allocator.free(o.offset, o.blockSize);
            memoryChanged = true;
        } else if (o.refCount == 0 && o.isSealed() && !o.deletePending) {
            evictable.put(o.id, o);
            evictableBytes += o.blockSize;
            memoryChanged = true;
        }
    }

    private void contains(Session s, int requestId, List<ObjectId> ids) {
        List<Status> result = new ArrayList<>(ids.size());
        for (ObjectId id : ids) {
            StoredObject o = objects.get(id);
            result.add(o != null && o.isVisible() ? Status.OK : Status.OBJECT_NOT_FOUND);
        }
        send(s, requestId, new Reply.Statuses(result));
    }

    private void delete(Session s, int requestId, List<ObjectId> ids) {
        List<Status> result = new ArrayList<>(ids.size());
        for (ObjectId id : ids) {
            StoredObject o = objects.get(id);
            if (o == null) {
                result.add(Status.OBJECT_NOT_FOUND);
            } else if (!o.isSealed()) {
                result.add(Status.NOT_SEALED);
            } else if (o.refCount > 0) {
                o.deletePending = true;
                changed(o);
                result.add(Status.DEFERRED);
            } else {
                if (evictable.remove(o.id) != null) {
                    evictableBytes -= o.blockSize;
                }
                remove(o);
                result.add(Status.OK);
            }
        }
        send(s, requestId, new Reply.Statuses(result));
    }

    private void list(Session s, int requestId) {
        startCursor(s, new ListCursor(requestId));
    }

    private void range(Session s, int requestId, Request.Range r) {
        if (r.limit() < 0 || r.from().compareTo(r.to()) > 0) {
            send(s, requestId, error(Status.INVALID_REQUEST, "range needs from <= to and limit >= 0, got ["
                    + r.from() + ", " + r.to() + ") limit " + r.limit()));
            return;
        }
        startCursor(s, new RangeCursor(requestId, r));
    }

    /**
     * Sends a chunked reply's first chunk at once (a short listing is then answered in request order, as any other
     * request) and leaves the rest to {@link #pump}; behind another chunked reply of the same client, all of it waits.
     */
    private void startCursor(Session s, Cursor c) {
        if (s.cursors.isEmpty() && c.sendNext(s)) {
            return;
        }
        s.cursors.add(c);
        outbox.more(s.id);
    }

    private void evictRequest(Session s, int requestId, long bytes) {
        if (bytes < 0) {
            send(s, requestId, error(Status.INVALID_REQUEST, "cannot evict a negative number of bytes: " + bytes));
            return;
        }
        long freed = 0;
        int count = 0;
        while (freed < bytes && !evictable.isEmpty()) {
            freed += evict(evictable.values().iterator().next());
            count++;
        }
        send(s, requestId, new Reply.Evicted(freed, count));
    }

    private void hash(Session s, int requestId, ObjectId id) {
        StoredObject o = objects.get(id);
        if (o == null || o.deletePending) {
            send(s, requestId, error(Status.OBJECT_NOT_FOUND, "no object " + id));
        } else if (!o.isSealed()) {
            send(s, requestId, error(Status.NOT_SEALED, "object " + id + " is not sealed yet; it has no digest"));
        } else {
            send(s, requestId, new Reply.Digest(o.digest));
        }
    }

    private void subscribe(Session s, int requestId) {
        if (!subscribers.add(s.id)) {
            send(s, requestId, error(Status.INVALID_REQUEST, "this connection is subscribed already"));
            return;
        }
        s.subscriber = true;
        send(s, requestId, new Reply.Ok());
        s.burst = new Burst();
        startCursor(s, s.burst);
    }

    // ------------------------------------------------------------------------------------------- internals

    /** An object's last reference went: free it if deleted, else make it evictable. */
    private void unreferenced(StoredObject o) {
        if (o.deletePending) {
            remove(o);
        } else if (o.isSealed() && o.holds == 0) { // a held one becomes evictable when its last hold ends
            evictable.put(o.id, o);
            evictableBytes += o.blockSize;
            memoryChanged = true;
        }
    }

    /** Drops an unsealed object as if it had never been created. */
    private void discard(Session s, StoredObject o) {
        s.unsealed.remove(o.id);
        s.refs.remove(o.id);
        objects.remove(o.id);
        changed(o);
        byId.remove(o.id);
        creationOrder.remove(o.created);
        allocator.free(o.offset, o.blockSize);
        memoryChanged = true;
    }

    private long evict(StoredObject o) {
        evictable.remove(o.id);
        evictableBytes -= o.blockSize;
        remove(o);
        evictedObjects++;
        evictedBytes += o.blockSize;
        return o.blockSize;
    }

    private void remove(StoredObject o) {
        objects.remove(o.id);
        changed(o);
        byId.remove(o.id);
        creationOrder.remove(o.created);
        if (o.sealed != null) {
            sealOrder.remove(o.sealed);
        }
        if (o.holds > 0) {
            o.removedWhileHeld = true; // a client may still read it: the block goes with the last hold
        } else {
            allocator.free(o.offset, o.blockSize);
            memoryChanged = true;
        }
        notifySubscribers(Reply.Notification.Kind.DELETED, o);
    }

    private void notifySubscribers(Reply.Notification.Kind kind, StoredObject o) {
        if (subscribers.isEmpty()) {
            return;
        }
        Reply.Notification n = notification(kind, o);
        for (long id : subscribers) {
            Burst burst = sessions.get(id).burst;
            if (burst == null || o.sealed == null || o.sealed.seq <= burst.position) {
                outbox.send(id, 0, n); // else the burst has not reached it yet: it will send the object, or skip it
            }
        }
    }

    private static Reply.Notification notification(Reply.Notification.Kind kind, StoredObject o) {
        return new Reply.Notification(kind, o.id, o.dataSize, o.metadataSize, o.digest);
    }

    private Reply.Error storeFull(long needed, String when) {
        return error(Status.STORE_FULL, "store full" + (when.isEmpty() ? "" : " " + when) + ": needed " + needed
                + " bytes, free " + allocator.free() + " (largest block " + allocator.largestFree() + "), evictable "
                + evictableBytes + ", pinned " + (allocator.used() - evictableBytes) + " of capacity "
                + allocator.capacity() + "; release or delete objects, or start the store with a larger -m");
    }

    private void fail(Session s, int requestId, String reason) {
        send(s, requestId, error(Status.PROTOCOL_ERROR, reason));
        suspend(s.id);
        outbox.close(s.id, reason);
    }

    private void pend(Session s, long bytes) {
        s.pendingBytes += bytes;
        pendingBytes += bytes;
    }

    private void unpend(Session s, long bytes) {
        s.pendingBytes -= bytes;
        pendingBytes -= bytes;
    }

    private void send(Session s, int requestId, Reply reply) {
        if (metrics != null && reply instanceof Reply.Error e) {
            metrics.error(currentOp, e.status());
        }
        outbox.send(s.id, requestId, reply);
    }

    private static Reply.Error error(Status status, String message) {
        return new Reply.Error(status, message);
    }

    private long deadline(long timeoutMillis) {
        if (timeoutMillis < 0) {
            return NO_DEADLINE;
        }
        long nanos = timeoutMillis > Long.MAX_VALUE / 1_000_000 ? Long.MAX_VALUE : timeoutMillis * 1_000_000;
        long d = nanoClock.getAsLong() + nanos;
        return d < 0 ? NO_DEADLINE - 1 : d;
    }

    private void dropFinishedDeadlines() {
        while (!getDeadlines.isEmpty() && getDeadlines.peek().done) {
            getDeadlines.poll();
        }
        while (!createDeadlines.isEmpty() && createDeadlines.peek().done) {
            createDeadlines.poll();
        }
    }

    private static long size(Request.CreateSpec spec) {
        return spec.dataSize() + spec.metadataSize();
    }

    /** The bytes a request allocates; saturates at {@link Long#MAX_VALUE} (never fits) instead of overflowing. */
    private static long totalBlockSize(List<Request.CreateSpec> specs) {
        long sum = 0;
        for (Request.CreateSpec spec : specs) {
            long size = size(spec);
            long block = size > Allocator.MAX_BLOCK ? Long.MAX_VALUE : Allocator.blockSize(size);
            sum = block > Long.MAX_VALUE - sum ? Long.MAX_VALUE : sum + block;
        }
        return sum;
    }

    // ------------------------------------------------------------------------------------ chunked replies

    /** A reply produced a chunk at a time, as fast as its client reads it (see {@link #pump}). */
    abstract static class Cursor {
        /** Sends the next chunk; true when that was the last. */
        abstract boolean sendNext(Session s);
    }

    /** {@code LIST}: every object in creation order, in frames of at most {@link FrameCodec#LISTING_CHUNK}. */
    private final class ListCursor extends Cursor {
        private final int requestId;
        private AppendLog.Node<StoredObject> at; // the last object sent; null before the first

        ListCursor(int requestId) {
            this.requestId = requestId;
        }

        @Override
        boolean sendNext(Session s) {
            List<ObjectInfo> chunk = new ArrayList<>();
            AppendLog.Node<StoredObject> n = creationOrder.after(at);
            while (n != null && chunk.size() < FrameCodec.LISTING_CHUNK) {
                chunk.add(n.value.info());
                at = n;
                n = creationOrder.after(n);
            }
            send(s, requestId, new Reply.Listing(chunk, n == null));
            return n == null;
        }
    }

    /** {@code RANGE}: objects of an id interval in id order, delete-pending ones left out, up to a limit. */
    private final class RangeCursor extends Cursor {
        private final int requestId;
        private final Request.Range range;
        private ObjectId at; // the last id sent; null before the first
        private int remaining;

        RangeCursor(int requestId, Request.Range range) {
            this.requestId = requestId;
            this.range = range;
            this.remaining = range.limit();
        }

        @Override
        boolean sendNext(Session s) {
            NavigableMap<ObjectId, StoredObject> rest;
            if (range.descending()) {
                rest = byId.subMap(range.from(), true, at == null ? range.to() : at, false).descendingMap();
            } else {
                rest = at == null ? byId.subMap(range.from(), true, range.to(), false)
                        : byId.subMap(at, false, range.to(), false);
            }
            List<ObjectInfo> chunk = new ArrayList<>();
            boolean more = false;
            for (StoredObject o : rest.values()) {
                if (o.deletePending) {
                    continue;
                }
                if (remaining == 0) {
                    break;
                }
                if (chunk.size() == FrameCodec.LISTING_CHUNK) {
                    more = true;
                    break;
                }
                chunk.add(o.info());
                at = o.id;
                remaining--;
            }
            send(s, requestId, new Reply.Listing(chunk, !more));
            return !more;
        }
    }

    /**
     * A new subscriber's first notifications: one {@code SEALED} for each sealed object still in memory (delete-pending
     * ones included, so that every {@code DELETED} a subscriber gets follows the {@code SEALED} of the same object),
     * in seal order. While it runs, live events about objects sealed after its {@link #position} are held back, since
     * the burst itself will send those objects, or skip them once freed: each event comes once, in order.
     */
    final class Burst extends Cursor {
        /** The seal sequence number of the last object passed. */
        long position;
        private AppendLog.Node<StoredObject> at;

        @Override
        boolean sendNext(Session s) {
            AppendLog.Node<StoredObject> n = sealOrder.after(at);
            for (int i = 0; n != null && i < FrameCodec.LISTING_CHUNK; i++) {
                send(s, 0, notification(Reply.Notification.Kind.SEALED, n.value));
                at = n;
                position = n.seq;
                n = sealOrder.after(n);
            }
            if (n == null) {
                s.burst = null;
                return true;
            }
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------- invariants

    /**
     * Checks that the engine's state is consistent: every allocated byte belongs to exactly one object and the
     * allocator agrees, reference counts equal the clients' references, the evictable set is exactly the
     * unreferenced sealed objects, unsealed objects belong to their writers. The transport calls it after an
     * unexpected exception, to decide whether serving on is safe.
     *
     * @return what does not hold (at most 20 findings); empty if all is well
     */
    public List<String> checkInvariants() {
        List<String> problems = new ArrayList<>();
        if (byId.size() != objects.size() || creationOrder.size() != objects.size()) {
            problems.add("indexes disagree: " + objects.size() + " objects, " + byId.size() + " by id, "
                    + creationOrder.size() + " in creation order");
        }
        // Objects and free blocks must tile [0, capacity) without overlap.
        TreeMap<Long, Long> blocks = new TreeMap<>(allocator.freeBlocksByOffset());
        long objectBytes = 0;
        for (StoredObject o : objects.values()) {
            objectBytes += o.blockSize;
            Long clash = blocks.put(o.offset, o.blockSize);
            if (clash != null) {
                problems.add("object " + o.id + " at " + o.offset + " starts where another block starts");
            }
        }
        for (StoredObject o : heldBlocks.values()) {
            if (o.holds <= 0 || heldBlocks.get(o.offset) != o) {
                problems.add("object " + o.id + " is listed as held with " + o.holds + " holds");
            }
            if (o.removedWhileHeld) {
                objectBytes += o.blockSize;
                if (blocks.put(o.offset, o.blockSize) != null) {
                    problems.add("held block of removed object " + o.id + " at " + o.offset + " clashes");
                }
            } else if (objects.get(o.id) != o) {
                problems.add("held object " + o.id + " is neither in the store nor marked removed");
            }
        }
        if (objectBytes != allocator.used()) {
            problems.add("objects and held blocks hold " + objectBytes + " bytes but the allocator counts "
                    + allocator.used() + " used");
        }
        Map<Long, Integer> holds = new HashMap<>();
        for (Session s : sessions.values()) {
            s.holds.forEach((offset, n) -> holds.merge(offset, n, Integer::sum));
        }
        for (Map.Entry<Long, Integer> h : holds.entrySet()) {
            StoredObject o = heldBlocks.get(h.getKey());
            if (o == null || o.holds != h.getValue()) {
                problems.add("clients hold " + h.getValue() + " holds at " + h.getKey() + ", the store counts "
                        + (o == null ? 0 : o.holds));
            }
        }
        if (holds.size() != heldBlocks.size()) {
            problems.add(heldBlocks.size() + " blocks are held, clients hold " + holds.size());
        }
        long end = 0;
        for (Map.Entry<Long, Long> b : blocks.entrySet()) {
            if (b.getKey() != end && problems.size() < 20) {
                problems.add((b.getKey() < end ? "blocks overlap" : "bytes belong to nothing") + " at offset "
                        + Math.min(end, b.getKey()));
            }
            end = Math.max(end, b.getKey() + b.getValue());
        }
        if (end != allocator.capacity()) {
            problems.add("blocks end at " + end + ", capacity is " + allocator.capacity());
        }
        // References.
        Map<ObjectId, Integer> held = new HashMap<>();
        for (Session s : sessions.values()) {
            for (Map.Entry<ObjectId, Integer> r : s.refs.entrySet()) {
                if (!objects.containsKey(r.getKey())) {
                    problems.add(s + " holds a reference to " + r.getKey() + ", which does not exist");
                }
                held.merge(r.getKey(), r.getValue(), Integer::sum);
            }
            for (ObjectId id : s.unsealed) {
                StoredObject o = objects.get(id);
                if (o == null || o.isSealed() || o.creator != s.id) {
                    problems.add(s + " lists " + id + " as unsealed, but it is " + (o == null ? "gone" : o.state));
                }
            }
        }
        long evictableSum = 0;
        for (StoredObject o : objects.values()) {
            if (problems.size() >= 20) {
                break;
            }
            int refs = held.getOrDefault(o.id, 0);
            if (o.refCount != refs) {
                problems.add("object " + o.id + " counts " + o.refCount + " references, clients hold " + refs);
            }
            boolean shouldBeEvictable = o.isSealed() && o.refCount == 0 && !o.deletePending && o.holds == 0;
            if (evictable.containsKey(o.id) != shouldBeEvictable) {
                problems.add("object " + o.id + " is " + (shouldBeEvictable ? "not " : "") + "in the LRU, but has "
                        + o.refCount + " references, state " + o.state + (o.deletePending ? ", delete pending" : ""));
            }
            if (evictable.containsKey(o.id)) {
                evictableSum += o.blockSize;
            }
            if (!o.isSealed() && (sessions.get(o.creator) == null || !sessions.get(o.creator).unsealed.contains(o.id))) {
                problems.add("unsealed object " + o.id + " has no writer");
            }
        }
        if (evictable.size() > objects.size() || evictableSum != evictableBytes) {
            problems.add("the LRU holds " + evictable.size() + " objects of " + evictableBytes + " bytes; "
                    + evictableSum + " bytes of them exist");
        }
        return problems.size() > 20 ? problems.subList(0, 20) : problems;
    }
}
