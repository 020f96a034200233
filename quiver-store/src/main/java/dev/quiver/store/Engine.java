package dev.quiver.store;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
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

        /** Closes a client's connection for a protocol violation; the engine has already forgotten the client. */
        void close(long clientId, String reason);
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
    private long evictableBytes;
    private final Map<Long, Session> sessions = new HashMap<>();
    private final Map<ObjectId, List<PendingGet>> waiters = new HashMap<>();
    private final PriorityQueue<PendingGet> getDeadlines =
            new PriorityQueue<>(Comparator.comparingLong(g -> g.deadline));
    private final ArrayDeque<PendingCreate> waitingCreates = new ArrayDeque<>();
    private final PriorityQueue<PendingCreate> createDeadlines =
            new PriorityQueue<>(Comparator.comparingLong(c -> c.deadline));
    private final Set<Long> subscribers = new HashSet<>();
    private long nextClientId = 1;
    private long evictedObjects;
    private long evictedBytes;
    /** Set when memory was freed or became evictable, so waiting creates are retried. */
    private boolean memoryChanged;

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

    /** A new connection; returns the id the transport uses for it from now on. */
    public long accept() {
        long id = nextClientId++;
        sessions.put(id, new Session(id));
        return id;
    }

    /** One decoded request from a client. */
    public void handle(long clientId, int requestId, Request request) {
        Session s = sessions.get(clientId);
        if (s == null) {
            return; // closed while its bytes were in flight
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
            case Request.Get g -> get(s, requestId, g.ids(), g.timeoutMillis());
            case Request.Release r -> release(s, requestId, r.ids());
            case Request.Contains c -> contains(s, requestId, c.ids());
            case Request.Delete d -> delete(s, requestId, d.ids());
            case Request.ListObjects l -> list(s, requestId);
            case Request.Range r -> range(s, requestId, r);
            case Request.Evict e -> evictRequest(s, requestId, e.bytes());
            case Request.Hash h -> hash(s, requestId, h.id());
            case Request.Subscribe sub -> subscribe(s, requestId);
            case Request.Stats st -> send(s, requestId, stats());
        }
        retryWaitingCreates();
    }

    /**
     * A client is gone (its socket closed, or the transport closed it): abort what it was writing, release what
     * it held, forget its waiting gets, creates and subscription. Safe to call twice.
     */
    public void disconnect(long clientId) {
        Session s = sessions.remove(clientId);
        if (s == null) {
            return;
        }
        subscribers.remove(clientId);
        for (PendingGet g : s.gets) {
            finishGet(g);
        }
        for (PendingCreate c : s.creates) {
            c.done = true;
        }
        waitingCreates.removeIf(c -> c.done);
        for (ObjectId id : List.copyOf(s.unsealed)) {
            discard(s, objects.get(id));
        }
        for (Map.Entry<ObjectId, Integer> held : s.refs.entrySet()) {
            StoredObject o = objects.get(held.getKey());
            o.refCount -= held.getValue();
            if (o.refCount == 0) {
                unreferenced(o);
            }
        }
        s.refs.clear();
        retryWaitingCreates();
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
            waitingCreates.remove(c);
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
        long connected = sessions.values().stream().filter(x -> x.connected).count();
        return new Reply.StoreStats(allocator.capacity(), allocator.used(), allocator.used() - evictableBytes,
                evictableBytes, objects.size(), (int) connected, evictedObjects, evictedBytes);
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
                o.state = ObjectState.SEALED;
                o.sealNanos = nanoClock.getAsLong();
                o.digest = spec.digest();
                s.unsealed.remove(o.id);
                result.add(Status.OK);
                notifySubscribers(Reply.Notification.Kind.SEALED, o);
                wakeWaiters(o);
            }
        }
        send(s, requestId, new Reply.Statuses(result));
    }

    private void abort(Session s, int requestId, ObjectId id) {
        StoredObject o = objects.get(id);
        if (o == null) {
            send(s, requestId, error(Status.OBJECT_NOT_FOUND, "no object " + id + " to abort"));
        } else if (o.isSealed()) {
            send(s, requestId, error(Status.ALREADY_SEALED, "object " + id + " is sealed; delete it instead"));
        } else if (o.creator != s.id) {
            send(s, requestId, error(Status.NOT_OWNER, "object " + id + " was created by another client"));
        } else {
            discard(s, o);
            send(s, requestId, new Reply.Ok());
        }
    }

    private void get(Session s, int requestId, List<ObjectId> ids, long timeoutMillis) {
        PendingGet g = new PendingGet(s, requestId, ids, deadline(timeoutMillis));
        for (int i = 0; i < ids.size(); i++) {
            StoredObject o = objects.get(ids.get(i));
            if (o != null && o.isVisible()) {
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
        if (o.refCount == 0) {
            evictable.remove(o.id);
            evictableBytes -= o.blockSize;
        }
        o.refCount++;
        s.refs.merge(o.id, 1, Integer::sum);
        return new Reply.Location(true, o.offset, o.dataSize, o.metadataSize);
    }

    private void release(Session s, int requestId, List<ObjectId> ids) {
        List<Status> result = new ArrayList<>(ids.size());
        for (ObjectId id : ids) {
            Integer held = s.refs.get(id);
            if (held == null) {
                result.add(Status.NOT_HELD);
            } else if (s.unsealed.contains(id)) {
                result.add(Status.NOT_SEALED); // the writer's reference goes with seal-then-release, or abort
            } else {
                if (held == 1) {
                    s.refs.remove(id);
                } else {
                    s.refs.put(id, held - 1);
                }
                StoredObject o = objects.get(id);
                if (--o.refCount == 0) {
                    unreferenced(o);
                }
                result.add(Status.OK);
            }
        }
        send(s, requestId, new Reply.Statuses(result));
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
                result.add(Status.DEFERRED);
            } else {
                evictable.remove(o.id);
                evictableBytes -= o.blockSize;
                remove(o);
                result.add(Status.OK);
            }
        }
        send(s, requestId, new Reply.Statuses(result));
    }

    private void list(Session s, int requestId) {
        sendListing(s, requestId, objects.values().stream()
                .sorted(Comparator.comparingLong((StoredObject o) -> o.createNanos).thenComparing(o -> o.id))
                .map(StoredObject::info).toList());
    }

    private void range(Session s, int requestId, Request.Range r) {
        if (r.limit() < 0 || r.from().compareTo(r.to()) > 0) {
            send(s, requestId, error(Status.INVALID_REQUEST, "range needs from <= to and limit >= 0, got ["
                    + r.from() + ", " + r.to() + ") limit " + r.limit()));
            return;
        }
        NavigableMap<ObjectId, StoredObject> slice = byId.subMap(r.from(), true, r.to(), false);
        sendListing(s, requestId, (r.descending() ? slice.descendingMap() : slice).values().stream()
                .filter(o -> !o.deletePending).limit(r.limit()).map(StoredObject::info).toList());
    }

    /** Sends a listing in frames of at most {@link FrameCodec#LISTING_CHUNK} entries, the last one flagged. */
    private void sendListing(Session s, int requestId, List<ObjectInfo> all) {
        int chunk = FrameCodec.LISTING_CHUNK;
        for (int from = 0; from < all.size() || from == 0; from += chunk) {
            int to = Math.min(all.size(), from + chunk);
            send(s, requestId, new Reply.Listing(all.subList(from, to), to == all.size()));
            if (all.isEmpty()) {
                break;
            }
        }
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
        objects.values().stream().filter(StoredObject::isVisible)
                .sorted(Comparator.comparingLong((StoredObject o) -> o.sealNanos))
                .forEach(o -> send(s, 0, notification(Reply.Notification.Kind.SEALED, o)));
    }

    // ------------------------------------------------------------------------------------------- internals

    /** An object's last reference went: free it if deleted, else make it evictable. */
    private void unreferenced(StoredObject o) {
        if (o.deletePending) {
            remove(o);
        } else if (o.isSealed()) {
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
        byId.remove(o.id);
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
        byId.remove(o.id);
        allocator.free(o.offset, o.blockSize);
        memoryChanged = true;
        notifySubscribers(Reply.Notification.Kind.DELETED, o);
    }

    private void notifySubscribers(Reply.Notification.Kind kind, StoredObject o) {
        if (subscribers.isEmpty()) {
            return;
        }
        Reply.Notification n = notification(kind, o);
        for (long id : subscribers) {
            outbox.send(id, 0, n);
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
        disconnect(s.id);
        outbox.close(s.id, reason);
    }

    private void send(Session s, int requestId, Reply reply) {
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
}
