package dev.quiver.client;

import dev.quiver.protocol.ChangePage;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to a Quiver store, and this process's mapping of the store's arena.
 *
 * <p>Objects are created and written in place ({@link #create}), sealed, and read by any process without copying
 * ({@link #get}): the bytes never travel through the socket, only the control messages do. Names follow Plasma's
 * client: create, seal, abort, get, release, contains, delete, list, evict, subscribe, hash.
 *
 * <p>Thread-safe: any number of threads may share one client; their requests are pipelined on the one socket.
 *
 * <p>Every buffer pins store memory until closed; a buffer that is garbage-collected unclosed is released then, with
 * a warning in the log. With {@link ClientOptions#withBatchedViewEnds(boolean) batched view ends}, a closed buffer's
 * reference goes back at once but its memory only when the views of its generation end, within about a millisecond
 * or at once on {@link #flush()}; {@link #evict} and {@link #stats} flush first. <b>On {@link #close()}</b>: every view this client handed out becomes unusable (access
 * throws {@link IllegalStateException}, never reads unmapped memory; a view inside an I/O call at that moment is left
 * mapped instead, see {@link #close()}), unsealed objects are aborted, and the store releases every reference the
 * client still held.
 *
 * <p><b>Deadlines.</b> No call waits forever for a store that does not answer (a stopped or wedged process): each
 * ends with {@link StoreUnavailableException} after the request timeout of its {@link ClientOptions} (30 s by
 * default), or for a {@link #get(List, long) get} or {@link #create(ObjectId, long, long, long) create} with a
 * timeout, after that timeout plus a margin of at most 2 s. Only {@link #WAIT_FOREVER} has no deadline.
 *
 * <p><b>When the connection is lost</b> (the store closed or dropped it, it stopped answering in time, or it sent
 * something malformed), the client ends as if closed: pending calls fail with {@link StoreUnavailableException},
 * views and writers become unusable, {@link #isConnected()} turns false and later calls throw
 * {@link StoreUnavailableException}. Pinned buffers ({@link ObjectBuffer#pin()}) stay readable: the socket stays open
 * while any is, so the store keeps their memory, and closes when the last of them is closed. To go on, connect a new
 * client.
 */
public final class QuiverClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QuiverClient.class);
    private static final Cleaner CLEANER = Cleaner.create();

    /** Timeout for {@link #get}: wait until every object is sealed. */
    public static final long WAIT_FOREVER = -1;
    /** Timeout for {@link #get}: answer at once with what is there. */
    public static final long NO_WAIT = 0;
    /**
     * The digest that {@link ObjectEvent#digest()} and listings show for an object sealed
     * {@linkplain WritableObject#withoutDigest() without one}; {@link #hash} computes it instead.
     */
    public static final long NO_DIGEST = FrameCodec.NO_DIGEST;
    /** How long {@link #connect(Path)} retries while no store listens on the socket. */
    public static final Duration DEFAULT_CONNECT_RETRY = Duration.ofSeconds(3);

    private final Connection connection;
    private final ClientOptions options;
    private final Arena mappingArena;
    private final MemorySegment arena;
    /** The arena file's change page, or null if the store has none. */
    private final MemorySegment changePage;
    private final Path arenaPath;
    private final long clientId;
    private final Set<Lease> leases = ConcurrentHashMap.newKeySet();
    private final Set<WritableObject.Writer> writers = ConcurrentHashMap.newKeySet();
    private final ViewScopes scopes;
    /** The user closed this client. */
    private volatile boolean closed;
    /** Views have been invalidated, by close or by the loss of the connection; pinned buffers may remain. */
    private final AtomicBoolean ending = new AtomicBoolean();
    /** Open buffers whose memory was handed out by raw address ({@link ObjectBuffer#pin()}). */
    private final AtomicInteger pinned = new AtomicInteger();
    /** Views that could not be closed because an I/O call held them. */
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicBoolean finished = new AtomicBoolean();

    private QuiverClient(Connection connection, ClientOptions options, Reply.Connected hello) throws IOException {
        this.connection = connection;
        this.options = options;
        this.clientId = hello.clientId();
        this.arenaPath = Path.of(hello.arenaPath());
        this.scopes = new ViewScopes(new ViewScopes.Sink() {
            @Override
            public void releasedHeld(ObjectId id) {
                if (!ending.get() && connection.isOpen()) {
                    sendChecked(new Request.ReleaseHeld(List.of(id)), List.of(id), "release");
                }
            }

            @Override
            public void ended(List<ObjectId> releases, List<ObjectId> aborts, List<Long> holds) {
                viewsEnded(releases, aborts, holds);
            }
        });
        this.mappingArena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(arenaPath, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // The change page follows the objects (a store of this version always makes it; the header says so).
            boolean withPage = ch.size() >= hello.capacity() + ChangePage.BYTES;
            MemorySegment file = ch.map(FileChannel.MapMode.READ_WRITE, 0,
                    hello.capacity() + (withPage ? ChangePage.BYTES : 0), mappingArena);
            this.arena = file.asSlice(0, hello.capacity());
            MemorySegment page = withPage ? file.asSlice(hello.capacity(), ChangePage.BYTES) : null;
            this.changePage = page != null && ChangePage.isFormatted(page) ? page : null;
        } catch (IOException | RuntimeException e) {
            mappingArena.close();
            throw e;
        }
        connection.onLost(this::connectionLost);
    }

    /**
     * Connects to the store on {@code socket} with {@link ClientOptions#defaults()}: retrying for
     * {@link #DEFAULT_CONNECT_RETRY} if none listens yet, a request timeout of 30 s.
     */
    public static QuiverClient connect(Path socket) {
        return connect(socket, ClientOptions.defaults());
    }

    /**
     * Connects to the store on {@code socket} and maps its arena, with the default request timeout.
     *
     * @param retryFor how long to keep retrying while nothing listens on the socket
     * @throws StoreUnavailableException naming the socket, if no store answers in time
     */
    public static QuiverClient connect(Path socket, Duration retryFor) {
        return connect(socket, ClientOptions.defaults().withConnectRetry(retryFor));
    }

    /**
     * Connects to the store on {@code socket} and maps its arena.
     *
     * @throws StoreUnavailableException naming the socket, if no store listens within the connect retry or it does
     *                                   not answer the handshake within the request timeout
     */
    public static QuiverClient connect(Path socket, ClientOptions options) {
        boolean rings = options.transport() == ClientOptions.Transport.RINGS;
        if (rings) {
            String why = ClientRings.unavailable();
            if (why != null) {
                throw new IllegalStateException("cannot use ClientOptions.Transport.RINGS: " + why
                        + "; add the flag, or use the socket transport");
            }
        }
        Connection c = Connection.open(socket.toAbsolutePath(), options.connectRetry(), null);
        c.requestTimeout(options.requestTimeout());
        try {
            Reply.Connected hello = (Reply.Connected) c.call(new Request.Connect(FrameCodec.PROTOCOL_VERSION,
                    clientName(), ProcessHandle.current().pid(), rings));
            if (hello.rings() != null) {
                c.useRings(hello.rings(), hello.clientId());
            } else if (rings) {
                LOG.warn("the store at {} made no command rings for this client (see the store's log); using the "
                        + "socket", socket);
            }
            return new QuiverClient(c, options, hello);
        } catch (IOException e) {
            c.close();
            throw new StoreUnavailableException("cannot map the store's arena or command rings: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Usable bytes of the store. */
    public long capacity() {
        return arena.byteSize();
    }

    /** The arena file this client mapped. */
    public Path arenaPath() {
        return arenaPath;
    }

    /** Where the arena is mapped in this process: every view this client hands out lies in [base, base + capacity). */
    public long arenaAddress() {
        return arena.address();
    }

    /** The socket this client is connected to. */
    public Path socket() {
        return connection.socket();
    }

    /**
     * How this client's requests travel: {@link ClientOptions.Transport#RINGS} if it asked for command rings and the
     * store made them, else {@link ClientOptions.Transport#SOCKET}.
     */
    public ClientOptions.Transport transport() {
        return connection.usesRings() ? ClientOptions.Transport.RINGS : ClientOptions.Transport.SOCKET;
    }

    /** The id the store gave this connection. */
    public long clientId() {
        return clientId;
    }

    /** The options this client was connected with (its request timeout). */
    public ClientOptions options() {
        return options;
    }

    /**
     * True until closed or until the connection was lost. The views this client handed out become unusable in the
     * same step (after close, before it returns; after a loss, right after the pending calls have failed).
     */
    public boolean isConnected() {
        return !closed && connection.isOpen();
    }

    // ------------------------------------------------------------------------------------------------ create

    /** Creates an object of {@code dataSize} bytes without metadata; see {@link #create(ObjectId, long, long, long)}. */
    public WritableObject create(ObjectId id, long dataSize) {
        return create(id, dataSize, 0, NO_WAIT);
    }

    /**
     * Creates an object of {@code dataSize} data bytes followed by {@code metadataSize} metadata bytes, to be
     * written in place and sealed.
     *
     * @param waitMillis how long to wait for memory when the store is full and nothing more can be evicted:
     *                   {@link #NO_WAIT} fails at once, {@link #WAIT_FOREVER} waits until there is room, with no
     *                   deadline (even if the store stops answering); the call's deadline is {@code waitMillis} plus
     *                   a margin of {@code min(request timeout, 2 s)}, or the request timeout for {@link #NO_WAIT}
     * @throws ObjectExistsException     if the id is taken
     * @throws StoreFullException        if there is no room (after waiting), with bytes needed, evictable and pinned
     * @throws StoreUnavailableException if the store did not answer by the deadline (the connection is then lost)
     */
    public WritableObject create(ObjectId id, long dataSize, long metadataSize, long waitMillis) {
        Request.Create request = new Request.Create(id, dataSize, metadataSize, waitMillis);
        Reply.Created r;
        try {
            r = (Reply.Created) connection.call(request, waitDeadline(waitMillis));
        } catch (StoreFullException e) {
            if (!scopes.hasPending()) {
                throw e;
            }
            scopes.flush(); // references of buffers closed just now may be what holds the room
            r = (Reply.Created) connection.call(request, waitDeadline(waitMillis));
        }
        return writer(id, r.offset(), dataSize, metadataSize);
    }

    /** Creates an object with the given metadata bytes copied in, leaving the data to be written. */
    public WritableObject create(ObjectId id, long dataSize, MemorySegment metadata) {
        WritableObject o = create(id, dataSize, metadata.byteSize(), NO_WAIT);
        o.writer.writeMetadata(metadata);
        return o;
    }

    /** Creates, fills, seals and releases an object in one call. */
    public void createAndSeal(ObjectId id, MemorySegment data, MemorySegment metadata) {
        createAndSeal(List.of(new ObjectData(id, data, metadata)));
    }

    /** An object for {@link #createAndSeal(List)}. */
    public record ObjectData(ObjectId id, MemorySegment data, MemorySegment metadata) {
        public ObjectData(ObjectId id, MemorySegment data) {
            this(id, data, MemorySegment.NULL);
        }
    }

    /**
     * Creates, fills, seals and releases several objects: all are created or none (an error leaves no trace), in two
     * round trips whatever their number.
     */
    public void createAndSeal(List<ObjectData> objects) {
        checkBatch(objects.size());
        List<Request.CreateSpec> specs = objects.stream()
                .map(o -> new Request.CreateSpec(o.id(), o.data().byteSize(), o.metadata().byteSize())).toList();
        Reply.CreatedBatch created = (Reply.CreatedBatch) connection.call(new Request.CreateBatch(specs, NO_WAIT));
        List<Request.SealSpec> seals = new ArrayList<>(objects.size());
        try {
            for (int i = 0; i < objects.size(); i++) {
                ObjectData o = objects.get(i);
                long dataSize = o.data().byteSize();
                MemorySegment region = slice(created.offsets().get(i), dataSize + o.metadata().byteSize());
                long data = Digests.copy(o.data(), region.asSlice(0, dataSize)); // digested while in cache
                long metadata = Digests.copy(o.metadata(), region.asSlice(dataSize));
                seals.add(new Request.SealSpec(o.id(), Digests.combine(data, metadata, o.metadata().byteSize())));
            }
        } catch (RuntimeException e) {
            specs.forEach(spec -> abortAsync(spec.id())); // a source that cannot be read: leave no trace
            throw e;
        }
        Reply.Statuses sealed = (Reply.Statuses) connection.call(new Request.Seal(seals));
        for (int i = 0; i < seals.size(); i++) {
            checkStatus(sealed.statuses().get(i), seals.get(i).id(), "seal");
        }
        releaseAsync(objects.stream().map(ObjectData::id).toList());
    }

    /** Seals an object this client created (Plasma's {@code seal(id)}); prefer {@link WritableObject#seal()}. */
    public void seal(ObjectId id) {
        writerOf(id).seal();
    }

    /** Aborts an object this client created (Plasma's {@code abort(id)}); prefer {@link WritableObject#abort()}. */
    public void abort(ObjectId id) {
        writerOf(id).abort();
    }

    // --------------------------------------------------------------------------------------------------- get

    /**
     * Gets one object.
     *
     * @param timeoutMillis {@link #WAIT_FOREVER}, {@link #NO_WAIT}, or milliseconds to wait for it to be sealed; see
     *                      {@link #get(List, long)} for the call's deadline
     * @return the object, or empty if it was not sealed in time
     */
    public Optional<ObjectBuffer> get(ObjectId id, long timeoutMillis) {
        return Optional.ofNullable(get(List.of(id), timeoutMillis).getFirst());
    }

    /**
     * Gets objects, waiting until all are sealed or the timeout passes. A repeated id is fine: each occurrence is a
     * buffer of its own, holding its own reference.
     *
     * @param timeoutMillis {@link #WAIT_FOREVER} (no deadline at all, even if the store stops answering),
     *                      {@link #NO_WAIT} (the request timeout applies), or milliseconds: the store answers after
     *                      at most that long, and the client waits at most that long plus
     *                      {@code min(request timeout, 2 s)} for the answer
     * @return one entry per requested id, in order; {@code null} where the object was not available in time
     * @throws StoreUnavailableException if the store did not answer by the deadline (the connection is then lost)
     */
    public List<ObjectBuffer> get(List<ObjectId> ids, long timeoutMillis) {
        checkBatch(ids.size());
        return sendGet(ids, timeoutMillis).awaitAll();
    }

    /**
     * Sends a get of one object and returns without waiting for the answer, which {@link PendingGet#await()} takes
     * later: the store answers as soon as the object is published or sealed (or the timeout passes) while the caller
     * does other work. A stream reader asks this way for the segment after the one it reads, so that moving on to it
     * costs no round trip. A pending get closed before its answer was taken gives back the reference that answer
     * carries.
     *
     * @param timeoutMillis as for {@link #get(ObjectId, long)}, counted from now
     */
    public PendingGet getLater(ObjectId id, long timeoutMillis) {
        return sendGet(List.of(id), timeoutMillis);
    }

    private PendingGet sendGet(List<ObjectId> ids, long timeoutMillis) {
        Request.Get request = new Request.Get(ids, timeoutMillis);
        Connection.Deadline deadline = waitDeadline(timeoutMillis);
        return new PendingGet(this, ids, request, connection.send(request, deadline), deadline);
    }

    /** Waits for the answer of a get sent before, and makes its buffers. */
    List<ObjectBuffer> awaitGet(PendingGet get) {
        Reply.Objects r;
        try {
            r = (Reply.Objects) connection.await(get.request, get.reply, get.deadline);
        } catch (QuiverException e) {
            if (Thread.currentThread().isInterrupted()) {
                dropGet(get); // the store will answer anyway and count references for us
            }
            throw e;
        }
        List<ObjectBuffer> out = new ArrayList<>(get.ids.size());
        for (int i = 0; i < get.ids.size(); i++) {
            Reply.Location l = r.objects().get(i);
            out.add(l.present() ? reader(get.ids.get(i), l) : null);
        }
        return Collections.unmodifiableList(out);
    }

    boolean answered(PendingGet get, long nanos) {
        return connection.awaitDone(get.reply, nanos);
    }

    /** Gives back the references the answer of a get nobody takes brings, when it comes. */
    void dropGet(PendingGet get) {
        connection.whenAnswered(get.reply, late -> {
            if (late instanceof Reply.Objects o) {
                releaseAsync(presentIds(get.ids, o));
            }
        });
    }

    /**
     * Releases one reference this client holds on the object (Plasma's {@code release(id)}), closing one of its
     * open buffers, or returning the creator's reference of an object it sealed. Prefer closing the buffer itself.
     *
     * @throws InvalidRequestException if this client holds no open buffer of the object
     */
    public void release(ObjectId id) {
        for (Lease l : leases) {
            if (l.id.equals(id) && l.release()) {
                return;
            }
        }
        throw new InvalidRequestException("this client holds no open buffer of object " + id);
    }

    // ------------------------------------------------------------------------------------------------- other

    /** Whether the object exists and is sealed. */
    public boolean contains(ObjectId id) {
        return contains(List.of(id))[0];
    }

    /**
     * A stamp of the store's change counters for {@code ids}, read from shared memory without asking the store: while
     * {@link ChangeStamp#unchanged()} is true, none of these objects has become visible or stopped being visible
     * (sealed, published, deleted, evicted, aborted) since the stamp was taken. Take the stamp <em>before</em> looking
     * the objects up, and what the look-up found stays true while the stamp is unchanged. Counters are shared by many
     * ids, so a stamp may report a change that did not touch these objects, never the other way round. A stamp of a
     * store without a change page, or of a closed client, is never unchanged.
     */
    public ChangeStamp changeStamp(List<ObjectId> ids) {
        return ChangeStamp.of(changePage, ids);
    }

    /** For each id, whether the object exists and is sealed. */
    public boolean[] contains(List<ObjectId> ids) {
        checkBatch(ids.size());
        Reply.Statuses r = (Reply.Statuses) connection.call(new Request.Contains(ids));
        boolean[] out = new boolean[ids.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = r.statuses().get(i) == Status.OK;
        }
        return out;
    }

    /**
     * Deletes a sealed object, or marks it for deletion when its last reference goes.
     *
     * @return {@link DeleteOutcome#DELETED} or {@link DeleteOutcome#DEFERRED}
     * @throws ObjectNotFoundException  if there is no such object
     * @throws ObjectNotSealedException if it is still being written
     */
    public DeleteOutcome delete(ObjectId id) {
        DeleteOutcome o = delete(List.of(id)).getFirst();
        return switch (o) {
            case NOT_FOUND -> throw new ObjectNotFoundException("no object " + id + " to delete");
            case NOT_SEALED -> throw new ObjectNotSealedException("object " + id + " is still being written; "
                    + "its writer must seal or abort it first");
            default -> o;
        };
    }

    /** Deletes several objects; one outcome per id, in order. */
    public List<DeleteOutcome> delete(List<ObjectId> ids) {
        checkBatch(ids.size());
        Reply.Statuses r = (Reply.Statuses) connection.call(new Request.Delete(ids));
        return r.statuses().stream().map(s -> switch (s) {
            case OK -> DeleteOutcome.DELETED;
            case DEFERRED -> DeleteOutcome.DEFERRED;
            case NOT_SEALED -> DeleteOutcome.NOT_SEALED;
            default -> DeleteOutcome.NOT_FOUND;
        }).toList();
    }

    /** Every object in the store, oldest first. */
    public List<ObjectInfo> list() {
        return ((Reply.Listing) connection.call(new Request.ListObjects())).objects();
    }

    /**
     * The objects whose ids lie in {@code [from, to)}, ids compared as unsigned bytes: at most {@code limit} of them,
     * lowest ids first, or highest first if {@code descending}. Deleted objects are left out; unsealed ones are
     * included (see {@link ObjectInfo#state()}). With ids that end in a big-endian counter, this finds the first
     * or the last object of a sequence in one round trip.
     */
    public List<ObjectInfo> range(ObjectId from, ObjectId to, int limit, boolean descending) {
        return ((Reply.Listing) connection.call(new Request.Range(from, to, limit, descending))).objects();
    }

    /**
     * Evicts unreferenced sealed objects, least recently released first, until at least {@code bytes} are freed or
     * none is left.
     *
     * @return the bytes freed (whole 64-byte blocks of whole objects)
     */
    public long evict(long bytes) {
        scopes.flush();
        return ((Reply.Evicted) connection.call(new Request.Evict(bytes))).bytes();
    }

    /**
     * The object's content digest (see {@link Digests}): the one recorded when it was sealed, or, for an object
     * sealed {@linkplain WritableObject#withoutDigest() without one}, computed now from its bytes (a read of the
     * whole object).
     *
     * @throws ObjectNotFoundException  if there is no such object (or it was deleted while its digest was computed)
     * @throws ObjectNotSealedException if it is not sealed yet
     */
    public long hash(ObjectId id) {
        long recorded = ((Reply.Digest) connection.call(new Request.Hash(id))).digest();
        if (recorded != NO_DIGEST) {
            return recorded;
        }
        try (ObjectBuffer b = get(id, NO_WAIT).orElseThrow(() -> new ObjectNotFoundException("cannot hash object "
                + id + ": it was deleted while its digest was being computed"))) {
            return Digests.of(b.data(), b.metadata());
        }
    }

    /** Memory and object counts. */
    public StoreStats stats() {
        scopes.flush();
        Reply.StoreStats s = (Reply.StoreStats) connection.call(new Request.Stats());
        return new StoreStats(s.capacity(), s.used(), s.pinned(), s.evictable(), s.objects(), s.clients(),
                s.evictedObjects(), s.evictedBytes());
    }

    /**
     * The clients connected to the store (this one included), each with the objects it holds references to and
     * their bytes: who holds what. One round trip.
     */
    public List<ClientInfo> clients() {
        scopes.flush();
        Reply.ClientList l = (Reply.ClientList) connection.call(new Request.Clients());
        return l.clients().stream().map(c -> new ClientInfo(c.clientId(), c.name(), c.pid(), c.subscriber(),
                c.objects(), c.references(), c.bytes(), c.writing())).toList();
    }

    /**
     * With {@link ClientOptions#withBatchedViewEnds(boolean) batched view ends}: ends now the views of every buffer
     * closed so far and gives their memory back to the store, instead of within about a millisecond; waits for an
     * ending in progress. A buffer still open holds back the memory of the buffers closed in its generation (obtained
     * at about the same time) until it is closed too. {@link #evict} and {@link #stats} do this first by themselves.
     * Without batching there is never anything to do.
     */
    public void flush() {
        scopes.flush();
    }

    /**
     * Subscribes to seals and deletions, on a connection of its own. The first events are the objects already
     * sealed, oldest first.
     */
    public Subscription subscribe() {
        return Subscription.open(connection.socket(), options);
    }

    /**
     * Closes the connection: views become unusable, unsealed objects are aborted, the store releases every
     * reference this client held. The arena is unmapped. Later calls do nothing.
     *
     * <p>Pinned buffers ({@link ObjectBuffer#pin()}, used by the Arrow layer) stay valid: while any is open the
     * connection and the mapping are kept, and the client disconnects when the last of them is closed.
     *
     * <p>A view that another thread is using in an I/O call at that moment (a channel read or write) cannot be
     * closed; the arena then stays mapped in this process, so that call completes instead of touching unmapped
     * memory, and a warning is logged. The store drops the client's references all the same.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        endViews();
    }

    /** The connection was lost: end as {@link #close()} does, pinned buffers keeping the socket open. */
    private void connectionLost(String reason) {
        if (!ending.get()) {
            LOG.warn("lost the connection to the store at {}: {}. Every view of it is now invalid{}; connect again "
                    + "to go on", connection.socket(), reason,
                    pinned.get() == 0 ? "" : " except " + pinned.get() + " pinned buffer(s), which keep the socket "
                            + "open until they are closed");
        }
        endViews();
    }

    /**
     * Invalidates every view and writer except pinned buffers, then disconnects and unmaps unless pinned buffers
     * remain (the last of them to close does it). Once, whether the user closed the client or the connection was lost.
     */
    private void endViews() {
        if (!ending.compareAndSet(false, true)) {
            return;
        }
        for (WritableObject.Writer w : writers) {
            w.invalidate();
        }
        for (Lease l : leases) {
            if (l.isPinned()) {
                continue; // raw addresses of it are out there: it keeps the connection and mapping (finishClose)
            }
            try {
                l.invalidate();
            } catch (IllegalStateException e) {
                // an I/O call holds its view: its generation stays open, and endAll below counts it
            }
        }
        inUse.addAndGet(scopes.endAll(true));
        if (pinned.get() == 0) {
            finishClose();
        } else {
            LOG.debug("client ended with {} pinned buffer(s) open: disconnecting when the last is closed",
                    pinned.get());
        }
    }

    /** Disconnects and unmaps, once no pinned buffer is left. */
    private void finishClose() {
        if (finished.getAndSet(true)) {
            return;
        }
        connection.close();
        inUse.addAndGet(scopes.endAll(false));
        if (inUse.get() == 0) {
            try {
                mappingArena.close();
                return;
            } catch (IllegalStateException e) {
                inUse.incrementAndGet(); // a createAndSeal in another thread is copying or hashing
            }
        }
        LOG.warn("closed the connection to {} while {} view(s) were in use by I/O calls in other threads; the arena"
                + " stays mapped in this process until it exits, and those views read memory the store may reuse",
                connection.socket(), inUse.get());
    }

    /** Called when a buffer is pinned: its memory is now reachable by raw address. */
    void pinned(Lease lease) {
        pinned.incrementAndGet();
        scopes.pinned(lease.generation);
    }

    // ------------------------------------------------------------------------------------------- internals

    Connection connection() {
        return connection;
    }

    /** Called by a lease when it ends: its generation tells the store once the views have ended. */
    void returnLease(Lease lease, ViewScopes.End end, boolean wasPinned) {
        leases.remove(lease);
        scopes.left(lease.generation, ending.get() ? ViewScopes.End.NOTHING : end, lease.id, lease.offset, wasPinned);
        if (wasPinned && pinned.decrementAndGet() == 0 && ending.get()) {
            finishClose(); // the last pinned buffer of a closed or lost client: now disconnect and unmap
        }
    }

    /** The exception for a call on a client whose connection was lost, or null if it was not lost. */
    StoreUnavailableException lostException(String what) {
        String reason = connection.lostReason();
        return closed || reason == null ? null : new StoreUnavailableException(what + ": not connected to the store at "
                + connection.socket() + ": " + reason + "; connect a new client to go on");
    }

    /** Called when a writer is closed, aborted or collected. */
    void writerClosed(WritableObject.Writer w) {
        writers.remove(w);
    }

    /** Called when a writer sealed: its reference is now one that {@link #release(ObjectId)} may return. */
    void sealed(WritableObject.Writer w) {
        leases.add(w.lease);
    }

    /** Ends what this client's closed buffers still hold back, now: aborts ({@link WritableObject#abort()}). */
    void flushViews() {
        scopes.flush();
    }

    /** A generation's views have ended: its references, aborts and holds go back to the store. */
    private void viewsEnded(List<ObjectId> releases, List<ObjectId> aborts, List<Long> holds) {
        if (ending.get() || !connection.isOpen()) {
            return; // the store releases the references, holds and unsealed objects of a closed connection
        }
        releaseAsync(releases);
        aborts.forEach(this::abortAsync);
        if (!holds.isEmpty()) {
            sendChecked(new Request.EndHolds(holds), holds, "end the hold on the memory at offset");
        }
    }

    void abortAsync(ObjectId id) {
        try {
            connection.send(new Request.Abort(id));
        } catch (StoreUnavailableException e) {
            // the store aborts the unsealed objects of a closed connection
        }
    }

    static void checkStatus(Status s, ObjectId id, String op) {
        if (!s.isSuccess()) {
            throw Errors.toException(s, "cannot " + op + " object " + id + ": " + s.name().toLowerCase().replace('_', ' '));
        }
    }

    private WritableObject writer(ObjectId id, long offset, long dataSize, long metadataSize) {
        MemorySegment bytes = slice(offset, dataSize + metadataSize);
        ViewScopes.Generation generation = scopes.enterAlone();
        Lease lease = new Lease(this, id, offset, generation);
        WritableObject.Writer w = new WritableObject.Writer(this, lease, bytes, dataSize);
        writers.add(w);
        if (ending.get()) {
            w.invalidate(); // close() ran meanwhile and may have missed it: never hand out a view it unmapped
        }
        WritableObject o = new WritableObject(w);
        CLEANER.register(o, w);
        return o;
    }

    private ObjectBuffer reader(ObjectId id, Reply.Location l) {
        MemorySegment bytes = slice(l.offset(), l.dataSize() + l.metadataSize());
        ViewScopes.Generation generation = options.batchedViewEnds() ? scopes.enter() : scopes.enterAlone();
        Lease lease = new Lease(this, id, l.offset(), generation);
        MemorySegment region = bytes.reinterpret(generation.arena(), null).asReadOnly();
        ObjectBuffer b = new ObjectBuffer(lease, region.asSlice(0, l.dataSize()), region.asSlice(l.dataSize()));
        leases.add(lease);
        if (ending.get()) {
            lease.invalidate(); // close() ran meanwhile and may have missed it: never hand out a view it unmapped
        }
        CLEANER.register(b, lease);
        return b;
    }

    private MemorySegment slice(long offset, long size) {
        if (offset < 0 || size < 0 || offset + size > arena.byteSize()) {
            throw new ProtocolException("the store placed an object at [" + offset + ", +" + size
                    + ") outside the arena of " + arena.byteSize() + " bytes");
        }
        return arena.asSlice(offset, size);
    }

    /**
     * The deadline of a call that asks the store to wait {@code waitMillis}: none for {@link #WAIT_FOREVER} (any
     * negative wait, as the store reads it), the request timeout for {@link #NO_WAIT}, else the wait plus
     * {@link ClientOptions#waitMargin()}.
     */
    private Connection.Deadline waitDeadline(long waitMillis) {
        if (waitMillis < 0) {
            return Connection.Deadline.never();
        }
        if (waitMillis == NO_WAIT) {
            return Connection.Deadline.after(options.requestTimeout());
        }
        return Connection.Deadline.after(Duration.ofMillis(waitMillis).plus(options.waitMargin()));
    }

    private WritableObject.Writer writerOf(ObjectId id) {
        for (WritableObject.Writer w : writers) {
            if (w.lease.id.equals(id) && w.state == WritableObject.State.WRITING) {
                return w;
            }
        }
        throw new InvalidRequestException("this client is not writing object " + id);
    }

    private void releaseAsync(List<ObjectId> ids) {
        if (!ids.isEmpty()) {
            sendChecked(new Request.Release(ids), ids, "release");
        }
    }

    /** Sends a request without waiting; a failed entry of its answer is logged, naming {@code what} and the entry. */
    private void sendChecked(Request request, List<?> entries, String what) {
        CompletableFuture<Reply> f;
        try {
            f = connection.send(request);
        } catch (StoreUnavailableException e) {
            return; // the store releases everything of a closed connection
        }
        f.whenComplete((r, t) -> {
            if (r instanceof Reply.Statuses s) {
                for (int i = 0; i < entries.size(); i++) {
                    if (!s.statuses().get(i).isSuccess()) {
                        LOG.warn("could not {} {}: {}", what, entries.get(i), s.statuses().get(i));
                    }
                }
            }
        });
    }

    private static List<ObjectId> presentIds(List<ObjectId> ids, Reply.Objects objects) {
        List<ObjectId> present = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            if (objects.objects().get(i).present()) {
                present.add(ids.get(i));
            }
        }
        return present;
    }

    private static void checkBatch(int n) {
        if (n > FrameCodec.MAX_BATCH) {
            throw new IllegalArgumentException(n + " objects in one call; at most " + FrameCodec.MAX_BATCH);
        }
    }

    private static String clientName() {
        return ProcessHandle.current().info().command().map(c -> Path.of(c).getFileName().toString()).orElse("java");
    }
}
