package dev.quiver.bench;

import dev.quiver.arrow.Shelf;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.arrow.flight.BackpressureStrategy;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Arrow Flight baseline of section 1: a Flight server in the harness process that answers DoGet with the first
 * {@code n} bytes of the source as one non-nullable int64 column ({@link #SCHEMA}), in record batches of at most
 * {@link #BATCH_BYTES}. The ticket is {@code n} in decimal.
 *
 * <p>The server's batches point straight at the source (a foreign allocation, no copy on this side): what the worker
 * pays is Flight itself, i.e. gRPC over loopback TCP, framing and the copies into and out of the kernel.
 */
final class FlightBaseline implements AutoCloseable {
    /** The one column: the bytes as 8-byte words, so the worker's {@link Sums} over its data buffer is comparable. */
    static final Schema SCHEMA = new Schema(List.of(
            new Field("word", FieldType.notNullable(new ArrowType.Int(64, true)), null)));
    /** Bytes per record batch: large enough that per-batch costs vanish, small enough to pipeline. */
    static final long BATCH_BYTES = 4L << 20;
    private static final long WAIT_MILLIS = 60_000;

    private final BufferAllocator allocator = new RootAllocator();
    private final ArrowBuf words;
    private final FlightServer server;
    private final ExecutorService senders = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("flight-send-", 0).factory());

    FlightBaseline(MemorySegment source) throws IOException {
        words = allocator.wrapForeignAllocation(new ForeignAllocation(source.byteSize(), source.address()) {
            @Override
            protected void release0() {
                // the harness owns the source
            }
        });
        server = FlightServer.builder(allocator, Location.forGrpcInsecure("127.0.0.1", 0), new Producer())
                // gRPC reports "not ready" past 32 KiB queued by default, i.e. after every batch; let two batches
                // queue, so the next one is prepared while the previous one is on the wire.
                .backpressureThreshold(Math.toIntExact(2 * BATCH_BYTES))
                .build().start();
    }

    /** Where workers connect: {@code grpc+tcp://127.0.0.1:PORT}. */
    String location() {
        return server.getLocation().getUri().toString();
    }

    @Override
    public void close() {
        server.shutdown();
        senders.shutdownNow();
        try {
            server.awaitTermination();
            server.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        words.close();
        allocator.close();
    }

    /**
     * Puts the table that ticket {@code n} serves on the shelf under {@code key} (one copy, into the arena): what the
     * store's own Flight endpoint serves in the same run, batch for batch.
     */
    void putOnShelf(Shelf shelf, String key, long n) {
        try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
            shelf.putBatches(key, SCHEMA, batches(n, root), null, true);
        }
    }

    /**
     * The table of the first {@code n} bytes, batch by batch, each loaded into {@code root} over the source (no
     * copy); every iteration starts again from the first batch.
     */
    private Iterable<VectorSchemaRoot> batches(long n, VectorSchemaRoot root) {
        VectorLoader loader = new VectorLoader(root);
        return () -> new Iterator<>() {
            private long off;

            @Override
            public boolean hasNext() {
                return off < n;
            }

            @Override
            public VectorSchemaRoot next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                long len = Math.min(BATCH_BYTES, n - off);
                int rows = Math.toIntExact(len / 8);
                // No nulls; the loader still makes an all-set validity bitmap (1/64 of the bytes) that travels too.
                ArrowBuf validity = allocator.getEmpty();
                try (ArrowRecordBatch batch = new ArrowRecordBatch(rows, List.of(new ArrowFieldNode(rows, 0)),
                        List.of(validity, words.slice(off, len)))) {
                    loader.load(batch);
                }
                off += len;
                return root;
            }
        };
    }

    private final class Producer extends NoOpFlightProducer {
        @Override
        public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
            long n;
            try {
                n = Long.parseLong(new String(ticket.getBytes(), StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                listener.error(CallStatus.INVALID_ARGUMENT.withDescription("the ticket is a byte count").toRuntimeException());
                return;
            }
            if (n < 0 || n % 8 != 0 || n > words.capacity()) {
                listener.error(CallStatus.INVALID_ARGUMENT.withDescription("cannot serve " + n + " bytes")
                        .toRuntimeException());
                return;
            }
            BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
            backpressure.register(listener);
            // The readiness callbacks of this call run on the call's serialising executor, which is the one running
            // this method: the batches go out from another thread, or waiting for readiness would wait forever.
            senders.execute(() -> send(listener, backpressure, n));
        }

        private void send(ServerStreamListener listener, BackpressureStrategy backpressure, long n) {
            try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
                listener.start(root);
                for (VectorSchemaRoot batch : batches(n, root)) {
                    BackpressureStrategy.WaitResult wait = backpressure.waitForListener(WAIT_MILLIS);
                    if (wait != BackpressureStrategy.WaitResult.READY) {
                        listener.error(CallStatus.CANCELLED.withDescription("stopped waiting for the reader: " + wait)
                                .toRuntimeException());
                        return;
                    }
                    listener.putNext();
                }
                listener.completed();
            }
        }
    }
}
