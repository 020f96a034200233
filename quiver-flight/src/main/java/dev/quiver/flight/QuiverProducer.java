package dev.quiver.flight;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.arrow.ArrowFormatException;
import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfEntry;
import dev.quiver.arrow.ShelfKeyExistsException;
import dev.quiver.arrow.ShelfKeyNotFoundException;
import dev.quiver.arrow.StoreArrowReader;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamInfo;
import dev.quiver.arrow.StreamReader;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.arrow.StreamWriterConflictException;
import dev.quiver.arrow.Streams;
import dev.quiver.client.ObjectNotFoundException;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.StoreFullException;
import dev.quiver.client.StoreStats;
import dev.quiver.client.StoreUnavailableException;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Sizes;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.ActionType;
import org.apache.arrow.flight.BackpressureStrategy;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightProducer;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Flight methods over one client of the store: the shelf, the streams and objects holding Arrow IPC streams, as
 * docs/flight.md describes them.
 *
 * <p>DoGet sends from a thread of its own ({@link #senders}), never from gRPC's: readiness callbacks run on the
 * call's executor, and a reader that waits for a slow client stalls that one call only. The batches sent are the
 * arena's bytes (zero-copy readers, and Flight's zero-copy writing), held until gRPC has written them.
 */
final class QuiverProducer extends NoOpFlightProducer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QuiverProducer.class);
    /** How long one wait for the next stream batch lasts before the sender checks for a cancelled call. */
    private static final Duration POLL = Duration.ofMillis(200);
    /** How long a sender waits for a remote reader that takes nothing before it gives the call up. */
    static final long STALL_MILLIS = Duration.ofMinutes(5).toMillis();
    /** What a remote writer's stream keeps: the newest batches, as the Kafka bridge's default. */
    static final Retention PUT_RETENTION = Retention.batches(10_000);
    private static final ObjectMapper JSON = new ObjectMapper();

    static final ActionType DELETE = new ActionType("delete", "Deletes the shelf table under the key given as the "
            + "action's body (UTF-8); the result is {\"key\": KEY, \"deleted\": true|false}.");
    static final ActionType DESCRIBE = new ActionType("describe", "The store's memory, objects, clients, shelf "
            + "tables and streams, as one JSON object.");

    /**
     * FlightStream's private {@code fulfilledRoot}. Flight Java (19.0.0) handles a second schema message in a put by
     * loading later batches into a new root while {@link FlightStream#getRoot()} keeps returning the first one (its
     * data cleared or stale): a put would store wrong batches without an error. The new root is how a schema change
     * shows; nothing public tells.
     */
    private static final VarHandle FULFILLED_ROOT;

    static {
        try {
            FULFILLED_ROOT = MethodHandles.privateLookupIn(FlightStream.class, MethodHandles.lookup())
                    .findVarHandle(FlightStream.class, "fulfilledRoot", VectorSchemaRoot.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("this Flight version's FlightStream has no fulfilledRoot; the "
                    + "endpoint cannot tell a schema change in a put: " + e);
        }
    }

    private final QuiverClient client;
    private final BufferAllocator allocator;
    private final Shelf shelf;
    private final ArrowStore arrow;
    private final ServedTables tables;
    private final ExecutorService senders = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("quiver-flight-send-", 0).factory());
    private volatile boolean closed;

    QuiverProducer(QuiverClient client, BufferAllocator allocator) {
        this.client = client;
        this.allocator = allocator;
        this.shelf = Shelf.of(client, allocator);
        this.arrow = new ArrowStore(client, allocator);
        this.tables = new ServedTables(shelf, allocator, client.stats().capacity());
    }

    // ------------------------------------------------------------------------------------ list and info

    @Override
    public void listFlights(CallContext context, Criteria criteria, StreamListener<FlightInfo> listener) {
        try {
            FlightNames.Listing listing = FlightNames.parse(criteria);
            // the kind not asked for is not even read from the store
            if (listing.kind() != FlightNames.Kind.STREAM) {
                for (ShelfEntry e : shelf.entries()) {
                    if (listing.selects(FlightNames.Kind.SHELF, e.key())) {
                        listener.onNext(shelfInfo(e));
                    }
                }
            }
            if (listing.kind() != FlightNames.Kind.SHELF) {
                for (StreamInfo s : Streams.list(client)) {
                    if (listing.selects(FlightNames.Kind.STREAM, s.name())) {
                        listener.onNext(streamInfo(s));
                    }
                }
            }
            listener.onCompleted();
        } catch (RuntimeException e) {
            listener.onError(status(e, "listing the store"));
        }
    }

    @Override
    public FlightInfo getFlightInfo(CallContext context, FlightDescriptor descriptor) {
        FlightNames.Target t = FlightNames.parse(descriptor);
        try {
            if (t.isShelf()) {
                return shelfInfo(shelf.entry(t.name()).orElseThrow(() -> notFound(t)));
            }
            return streamInfo(Streams.info(client, t.name()).orElseThrow(() -> notFound(t)));
        } catch (RuntimeException e) {
            throw status(e, t.what());
        }
    }

    private static FlightInfo shelfInfo(ShelfEntry e) {
        return new FlightInfo(e.schema(), FlightNames.shelf(e.key()),
                List.of(new FlightEndpoint(FlightNames.shelfTicket(e.key()))), e.bytes(), e.rows());
    }

    private FlightInfo streamInfo(StreamInfo s) {
        Schema schema = Streams.schema(client, s.name()).orElse(new Schema(List.of()));
        // rows are unknown without reading every batch: -1, as Flight says for an unknown count
        return new FlightInfo(schema, FlightNames.stream(s.name()),
                List.of(new FlightEndpoint(FlightNames.streamTicket(s.name(), "earliest"))), s.bytes(), -1);
    }

    // ---------------------------------------------------------------------------------------------- get

    @Override
    public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
        FlightNames.Target t;
        try {
            t = FlightNames.parse(ticket);
            if (t.kind() == FlightNames.Kind.STREAM && Streams.info(client, t.name()).isEmpty()) {
                throw notFound(t);
            }
        } catch (RuntimeException e) {
            listener.error(status(e, "reading the ticket"));
            return;
        }
        BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
        backpressure.register(listener);
        listener.setUseZeroCopy(true); // the arena's buffers go to gRPC as they are; they are immutable once sealed
        senders.execute(() -> {
            try {
                switch (t.kind()) {
                    case STREAM -> sendStream(t, listener, backpressure);
                    case SHELF -> sendShelfTable(t, listener, backpressure);
                    case OBJECT -> sendTable(openObject(t), listener, backpressure);
                }
            } catch (Throwable e) {
                if (!listener.isCancelled()) {
                    listener.error(status(e, t.what()));
                }
            }
        });
    }

    /** A zero-copy reader of the object a ticket names. */
    private StoreArrowReader openObject(FlightNames.Target t) {
        try {
            return arrow.reader(ObjectId.fromHex(t.name()), QuiverClient.NO_WAIT);
        } catch (ObjectNotFoundException e) {
            throw notFound(t); // the client's own message names the store's socket: not for remote callers
        }
    }

    /** A shelf table: kept from an earlier DoGet when its key has not changed since, else read afresh. */
    private void sendShelfTable(FlightNames.Target t, ServerStreamListener listener, BackpressureStrategy backpressure)
            throws Exception {
        ServedTables.Opened opened;
        try {
            opened = tables.open(t.name());
        } catch (ShelfKeyNotFoundException e) {
            throw notFound(t);
        }
        if (opened.reader() != null) {
            sendTable(opened.reader(), listener, backpressure);
            return;
        }
        List<ArrowRecordBatch> batches = opened.batches();
        try (VectorSchemaRoot root = VectorSchemaRoot.create(opened.schema(), allocator)) {
            VectorLoader loader = new VectorLoader(root);
            listener.start(root);
            for (ArrowRecordBatch batch : batches) {
                if (!ready(listener, backpressure)) {
                    return;
                }
                loader.load(batch); // the root now points at the arena's bytes
                listener.putNext();
            }
            listener.completed();
        } finally {
            batches.forEach(ArrowRecordBatch::close); // gRPC keeps what it has yet to write
        }
    }

    /** The table as its batches lie in the arena; the store reference goes with the last buffer gRPC has written. */
    private void sendTable(StoreArrowReader opened, ServerStreamListener listener, BackpressureStrategy backpressure)
            throws Exception {
        try (StoreArrowReader reader = opened) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            // The first batch is loaded before start(): Flight sends the dictionaries at start, and the reader knows
            // them once it has read the dictionary batches in front of the first record batch.
            boolean more = reader.loadNextBatch();
            listener.start(root, reader);
            while (more) {
                if (!ready(listener, backpressure)) {
                    return;
                }
                listener.putNext();
                more = reader.loadNextBatch();
            }
            listener.completed();
        }
    }

    /**
     * Follows the stream: each batch goes out with app metadata {"seq": N}, and, after batches were lost to
     * retention, {"seq": N, "lostFrom": A, "lostTo": B} (B exclusive) on the next batch. Ends with the stream's end
     * or the client's cancel. Waiting for a slow client stalls this sender only: the writer never waits for readers.
     */
    private void sendStream(FlightNames.Target t, ServerStreamListener listener, BackpressureStrategy backpressure) {
        VectorSchemaRoot root = null;
        try (StreamReader reader = StreamReader.open(arrow, t.name(), t.start())) {
            VectorLoader loader = null;
            StreamEvent.Lost lost = null;
            while (!closed && !listener.isCancelled()) {
                switch (reader.next(POLL)) {
                    case StreamEvent.Batch b -> {
                        try (b) {
                            if (root == null) {
                                root = VectorSchemaRoot.create(b.table().schema(), allocator);
                                loader = new VectorLoader(root);
                                listener.start(root, b.table().dictionaries());
                            } else if (!root.getSchema().equals(b.table().schema())) {
                                throw CallStatus.INTERNAL.withDescription("stream '" + t.name() + "' changed its "
                                        + "schema at batch " + b.seq() + "; a Flight stream has one schema: read "
                                        + "on from " + b.seq() + " with a new DoGet").toRuntimeException();
                            }
                            for (VectorSchemaRoot part : b.table().batches()) {
                                if (!ready(listener, backpressure)) {
                                    return;
                                }
                                try (ArrowRecordBatch rb = new VectorUnloader(part).getRecordBatch()) {
                                    loader.load(rb); // the root now points at the log's bytes
                                }
                                listener.putNext(metadata(b.seq(), lost));
                                lost = null;
                            }
                        }
                    }
                    case StreamEvent.Lost l -> lost = lost == null ? l : new StreamEvent.Lost(lost.fromSeq(), l.toSeq());
                    case StreamEvent.End e -> {
                        if (root == null) {
                            root = VectorSchemaRoot.create(Streams.schema(client, t.name())
                                    .orElse(new Schema(List.of())), allocator);
                            listener.start(root);
                        }
                        listener.completed();
                        return;
                    }
                    case StreamEvent.Timeout timeout -> { } // the stream goes on: check the call, wait again
                }
            }
            if (closed && !listener.isCancelled()) {
                listener.error(CallStatus.UNAVAILABLE.withDescription("the store's Flight endpoint is stopping")
                        .toRuntimeException());
            }
        } finally {
            if (root != null) {
                root.close();
            }
        }
    }

    private ArrowBuf metadata(long seq, StreamEvent.Lost lost) {
        ObjectNode o = JSON.createObjectNode().put("seq", seq);
        if (lost != null) {
            o.put("lostFrom", lost.fromSeq()).put("lostTo", lost.toSeq());
        }
        byte[] bytes = o.toString().getBytes(StandardCharsets.UTF_8);
        ArrowBuf buf = allocator.buffer(bytes.length);
        buf.writeBytes(bytes);
        return buf;
    }

    /** Waits until gRPC takes more; false if the call was cancelled (or the endpoint stops) and nothing is to be sent. */
    private boolean ready(ServerStreamListener listener, BackpressureStrategy backpressure) {
        BackpressureStrategy.WaitResult r = backpressure.waitForListener(STALL_MILLIS);
        switch (r) {
            case READY:
                return !closed;
            case TIMEOUT:
                listener.error(CallStatus.TIMED_OUT.withDescription("the client took no data for "
                        + Duration.ofMillis(STALL_MILLIS).toMinutes() + " minutes; the call is given up").toRuntimeException());
                return false;
            default:
                return false; // cancelled by the client: nothing more to say
        }
    }

    // ---------------------------------------------------------------------------------------------- put

    @Override
    public Runnable acceptPut(CallContext context, FlightStream stream, StreamListener<PutResult> ackStream) {
        return () -> {
            FlightNames.Target t = null;
            try {
                t = FlightNames.parse(stream.getDescriptor());
                if (t.isShelf()) {
                    putTable(t, stream);
                } else {
                    appendStream(t, stream);
                }
                ackStream.onCompleted();
            } catch (Throwable e) {
                ackStream.onError(status(e, t == null ? "the put" : t.what()));
            }
        };
    }

    /**
     * Receives the whole table, then puts it as a local put does (measured, written into the arena, sealed, then
     * visible): a client that fails, or sends a second schema, leaves the shelf as it was.
     */
    private void putTable(FlightNames.Target t, FlightStream stream) throws Exception {
        long capacity = client.stats().capacity();
        VectorSchemaRoot root = stream.getRoot();
        Schema schema = root.getSchema();
        List<ArrowRecordBatch> batches = new ArrayList<>();
        long bytes = 0;
        try {
            while (next(stream, t)) {
                if (currentRoot(stream) != root) {
                    throw schemaChanged(t, batches.size(), schema, currentRoot(stream).getSchema());
                }
                ArrowRecordBatch rb = new VectorUnloader(root).getRecordBatch();
                batches.add(rb);
                bytes += rb.computeBodyLength();
                if (bytes > capacity) {
                    throw CallStatus.RESOURCE_EXHAUSTED.withDescription("the put to " + t.what() + " is larger than "
                            + "the whole store (" + Sizes.format(capacity) + ") after " + batches.size() + " batches: "
                            + "nothing was written; start the store with more memory (-m) or put less")
                            .toRuntimeException();
                }
            }
            if (currentRoot(stream) != root) { // a schema message after the last batch
                throw schemaChanged(t, batches.size(), schema, currentRoot(stream).getSchema());
            }
            try (VectorSchemaRoot scratch = VectorSchemaRoot.create(schema, allocator)) {
                VectorLoader loader = new VectorLoader(scratch);
                Iterable<VectorSchemaRoot> roots = () -> new Iterator<>() {
                    private int i;

                    @Override
                    public boolean hasNext() {
                        return i < batches.size();
                    }

                    @Override
                    public VectorSchemaRoot next() {
                        loader.load(batches.get(i++));
                        return scratch;
                    }
                };
                try {
                    shelf.putBatches(t.name(), schema, roots, stream.getDictionaryProvider(),
                            !FlightNames.CREATE.equals(t.mode()));
                } catch (ShelfKeyExistsException e) {
                    throw CallStatus.ALREADY_EXISTS.withDescription("key '" + t.name() + "' is already on the "
                            + "shelf: a put to [\"shelf\", KEY] without \"create\" replaces it (quiver put "
                            + "--replace)").toRuntimeException();
                }
            }
        } finally {
            batches.forEach(ArrowRecordBatch::close);
        }
    }

    /** Appends each batch as it comes, holding the stream's writer role for the length of the put. */
    private void appendStream(FlightNames.Target t, FlightStream stream) throws Exception {
        VectorSchemaRoot root = stream.getRoot();
        Schema schema = root.getSchema();
        try (StreamWriter writer = StreamWriter.open(arrow, t.name(), PUT_RETENTION)) {
            long appended = 0;
            while (next(stream, t)) {
                if (currentRoot(stream) != root) {
                    throw schemaChanged(t, appended, schema, currentRoot(stream).getSchema());
                }
                writer.append(root, stream.getDictionaryProvider());
                appended++;
            }
            if (FlightNames.END.equals(t.mode())) {
                writer.end();
            }
        }
    }

    /** The root a put's latest schema message made (see {@link #FULFILLED_ROOT}). */
    private static VectorSchemaRoot currentRoot(FlightStream stream) {
        return (VectorSchemaRoot) FULFILLED_ROOT.getVolatile(stream);
    }

    /** The next batch of a put; a broken upload is the client's failure, not the store's. */
    private static boolean next(FlightStream stream, FlightNames.Target t) {
        try {
            return stream.next();
        } catch (FlightRuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw CallStatus.INVALID_ARGUMENT.withDescription("the put to " + t.what() + " sent data that could not "
                    + "be read (" + e.getMessage() + "): nothing of it is on the shelf").withCause(e).toRuntimeException();
        }
    }

    private static RuntimeException schemaChanged(FlightNames.Target t, long batches, Schema was, Schema now) {
        return CallStatus.INVALID_ARGUMENT.withDescription("the put to " + t.what() + " changed its schema after "
                + batches + " batches (from " + was + " to " + now + "): a put has one schema; "
                + (t.isShelf() ? "nothing was written" : "the batches before the change were appended")).toRuntimeException();
    }

    // ------------------------------------------------------------------------------------------ actions

    @Override
    public void listActions(CallContext context, StreamListener<ActionType> listener) {
        listener.onNext(DELETE);
        listener.onNext(DESCRIBE);
        listener.onCompleted();
    }

    @Override
    public void doAction(CallContext context, Action action, StreamListener<Result> listener) {
        try {
            ObjectNode o = JSON.createObjectNode();
            switch (action.getType()) {
                case "delete" -> {
                    String key = new String(action.getBody(), StandardCharsets.UTF_8);
                    o.put("key", key).put("deleted", shelf.delete(key));
                    tables.forget(key); // the deferred delete completes now, not at the next sweep
                }
                case "describe" -> {
                    StoreStats s = client.stats();
                    o.put("capacity", s.capacity()).put("used", s.used())
                            .put("pinned", s.pinned()).put("evictable", s.evictable()).put("objects", s.objects())
                            .put("clients", s.clients()).put("evictedObjects", s.evictedObjects())
                            .put("shelfTables", shelf.listKeys().size()).put("streams", Streams.list(client).size());
                }
                default -> throw CallStatus.INVALID_ARGUMENT.withDescription("unknown action '" + action.getType()
                        + "': this endpoint has 'delete' (body: a shelf key) and 'describe'").toRuntimeException();
            }
            listener.onNext(new Result(o.toString().getBytes(StandardCharsets.UTF_8)));
            listener.onCompleted();
        } catch (RuntimeException e) {
            listener.onError(status(e, "action '" + action.getType() + "'"));
        }
    }

    // ------------------------------------------------------------------------------------------- errors

    private static RuntimeException notFound(FlightNames.Target t) {
        return CallStatus.NOT_FOUND.withDescription(switch (t.kind()) {
            case SHELF -> "no table under key '" + t.name() + "' on the shelf (ListFlights lists what is there)";
            case STREAM -> "no stream '" + t.name() + "' in the store: it has no batch and no writer (ListFlights "
                    + "lists the streams)";
            case OBJECT -> "no sealed object " + t.name() + " in the store: it was never put, was deleted or "
                    + "evicted, or is still being written";
        }).toRuntimeException();
    }

    /** The Flight status of a failure: the store's conditions mapped to the nearest code, the message kept. */
    static FlightRuntimeException status(Throwable e, String what) {
        if (e instanceof FlightRuntimeException f) {
            return f;
        }
        CallStatus s = switch (e) {
            case ShelfKeyNotFoundException x -> CallStatus.NOT_FOUND;
            case ObjectNotFoundException x -> CallStatus.NOT_FOUND;
            case ShelfKeyExistsException x -> CallStatus.ALREADY_EXISTS;
            case StoreFullException x -> CallStatus.RESOURCE_EXHAUSTED;
            case StreamWriterConflictException x -> CallStatus.UNAVAILABLE;
            case StoreUnavailableException x -> CallStatus.UNAVAILABLE;
            case ArrowFormatException x -> CallStatus.INVALID_ARGUMENT;
            case IllegalArgumentException x -> CallStatus.INVALID_ARGUMENT;
            default -> {
                LOG.warn("Flight call on {} failed", what, e);
                yield CallStatus.INTERNAL;
            }
        };
        return s.withDescription(e.getMessage() == null ? e.toString() : e.getMessage()).withCause(e)
                .toRuntimeException();
    }

    @Override
    public void close() {
        closed = true;
        senders.shutdown();
        tables.close();
    }
}
