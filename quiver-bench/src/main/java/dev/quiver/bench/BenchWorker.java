package dev.quiver.bench;

import dev.quiver.arrow.StreamReader;
import dev.quiver.client.ClientOptions;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.flight.FlightNames;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.URI;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;

/**
 * A worker process of the benchmark: the "other process" that reads what the harness put in the store, or that
 * hammers the store with small operations. Started by {@link WorkerProcess}; driven by lines on stdin, answers one
 * line per command on stdout (times in nanoseconds, measured here).
 *
 * <pre>
 * args: STORE_SOCKET BYTE_SERVER_SOCKET FLIGHT_URI STORE_FLIGHT_URI  prints READY once connected
 * get   ID SIZE WARMUP REPS    zero-copy get + sum + release     -> OK SUM T1 .. TREPS
 * cold  ID SIZE REPS           the same on a new connection each  -> OK SUM T1 .. TREPS
 *                              time: a fresh mapping, so every page of the object faults on first touch
 * sock  SIZE WARMUP REPS       SIZE bytes through the socket + sum -> OK SUM T1 .. TREPS
 * local SIZE WARMUP REPS       sum of SIZE bytes of private memory -> OK SUM T1 .. TREPS
 * flights SIZE KEY WARMUP REPS Arrow Flight DoGet of SIZE bytes (as int64 batches) + sum from the baseline, then the
 *                              same table from the store's Flight endpoint (shelf key KEY), alternating
 *                              -> OK SUM B1 E1 .. BREPS EREPS
 * table-store ID, table-socket PATH    take a table and compute on it: see {@link TableWorker}
 * stream-quiver NAME COUNT WAITING, stream-aeron DIR CHANNEL ID COUNT, stream-kafka BOOTSTRAP TOPIC COUNT
 *                              read a stream: see {@link StreamConsumer}
 * small OP SIZE BATCH WARMUP_MS DURATION_MS MAX_CALLS
 *                              warm up, answer SET, wait for GO, run -> DONE CALLS OBJECTS ELAPSED_NS HISTOGRAM
 * quit
 * </pre>
 * Any failure answers {@code ERR message} (the stack trace goes to stderr) and ends the process.
 */
public final class BenchWorker {
    private static final long MB = 1L << 20;

    private final Path storeSocket;
    private final Path byteSocket;
    private final URI flightUri;
    private final URI storeFlightUri;
    private BufferAllocator allocator;
    private FlightClient flight;
    private FlightClient storeFlight;
    private final QuiverClient client;
    private QuiverClient ringClient;
    private QuiverClient batchedClient;
    private final BufferedReader in;
    private final PrintStream out;
    private final ByteBuffer request = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer pong = ByteBuffer.allocateDirect(8);
    private SocketChannel byteChannel;
    private Arena recvArena;
    private MemorySegment recv = MemorySegment.NULL;
    private long blackhole;

    private BenchWorker(Path storeSocket, Path byteSocket, URI flightUri, URI storeFlightUri, BufferedReader in,
                        PrintStream out) {
        this.storeSocket = storeSocket;
        this.byteSocket = byteSocket;
        this.flightUri = flightUri;
        this.storeFlightUri = storeFlightUri;
        this.in = in;
        this.out = out;
        this.client = QuiverClient.connect(storeSocket,
                ClientOptions.defaults().withTransport(ClientOptions.Transport.SOCKET));
    }

    /** The client of the ring operations, connected on first use; fails if the store made no rings for it. */
    private QuiverClient ringClient() {
        if (ringClient == null) {
            ringClient = connectRings(ClientOptions.defaults());
        }
        return ringClient;
    }

    /** The client of the ring operations with batched view ends, connected on first use. */
    private QuiverClient batchedClient() {
        if (batchedClient == null) {
            batchedClient = connectRings(ClientOptions.defaults().withBatchedViewEnds(true));
        }
        return batchedClient;
    }

    private QuiverClient connectRings(ClientOptions options) {
        QuiverClient c = QuiverClient.connect(storeSocket, options.withTransport(ClientOptions.Transport.RINGS));
        if (c.transport() != ClientOptions.Transport.RINGS) {
            c.close();
            throw new IllegalStateException("the store made no command rings for the ring benchmark's client "
                    + "(see the store's log: its JVM needs --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED)");
        }
        return c;
    }

    public static void main(String[] args) {
        PrintStream out = System.out;
        if (args.length != 4) {
            out.println("ERR usage: BenchWorker STORE_SOCKET BYTE_SERVER_SOCKET FLIGHT_URI STORE_FLIGHT_URI");
            System.exit(2);
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            BenchWorker w = new BenchWorker(Path.of(args[0]), Path.of(args[1]), URI.create(args[2]),
                    URI.create(args[3]), in, out);
            out.println("READY " + ProcessHandle.current().pid());
            for (String line; (line = in.readLine()) != null && !line.equals("quit"); ) {
                out.println(w.handle(line.trim().split("\\s+")));
            }
            w.close();
            System.exit(0);
        } catch (Throwable t) {
            t.printStackTrace();
            out.println("ERR " + String.valueOf(t).replace('\n', ' '));
            System.exit(1);
        }
    }

    private String handle(String[] a) throws Exception {
        return switch (a[0]) {
            case "get" -> timed(Integer.parseInt(a[3]), Integer.parseInt(a[4]), () -> get(client, ObjectId.fromHex(a[1]),
                    Long.parseLong(a[2])));
            case "getfast" -> timed(Integer.parseInt(a[3]), Integer.parseInt(a[4]), () -> get(batchedClient(),
                    ObjectId.fromHex(a[1]), Long.parseLong(a[2])));
            case "cold" -> cold(ObjectId.fromHex(a[1]), Long.parseLong(a[2]), Integer.parseInt(a[3]));
            case "sock" -> timed(Integer.parseInt(a[2]), Integer.parseInt(a[3]), () -> viaSocket(Long.parseLong(a[1])));
            case "local" -> {
                long size = Long.parseLong(a[1]);
                receiveBuffer(size);
                yield timed(Integer.parseInt(a[2]), Integer.parseInt(a[3]), () -> Sums.sum(recv.asSlice(0, size)));
            }
            case "flights" -> timed(Integer.parseInt(a[3]), Integer.parseInt(a[4]),
                    () -> viaFlight(flightClient(), new Ticket(a[1].getBytes(StandardCharsets.US_ASCII)),
                            Long.parseLong(a[1])),
                    () -> viaFlight(storeFlightClient(), FlightNames.shelfTicket(a[2]), Long.parseLong(a[1])));
            case "table-store" -> new TableWorker(client, allocator()).fromStore(ObjectId.fromHex(a[1]));
            case "table-socket" -> new TableWorker(client, allocator()).fromSocket(Path.of(a[1]));
            case "stream-quiver" -> StreamConsumer.fromQuiver(client, allocator(), a[1], Integer.parseInt(a[2]),
                    StreamReader.Waiting.valueOf(a[3]), out);
            case "stream-aeron" -> StreamConsumer.fromAeron(Path.of(a[1]), allocator(), a[2], Integer.parseInt(a[3]),
                    Integer.parseInt(a[4]), out);
            case "stream-kafka" -> StreamConsumer.fromKafka(allocator(), a[1], a[2], Integer.parseInt(a[3]), out);
            case "small" -> small(SmallOp.of(a[1]), Long.parseLong(a[2]), Integer.parseInt(a[3]),
                    Long.parseLong(a[4]) * 1_000_000, Long.parseLong(a[5]) * 1_000_000, Long.parseLong(a[6]));
            default -> throw new IllegalArgumentException("unknown command '" + String.join(" ", a) + "'");
        };
    }

    // ------------------------------------------------------------------------------------------- one object

    /** Something read whose sum is returned. */
    private interface Read {
        long sum() throws IOException;
    }

    /**
     * Runs the reads in turn WARMUP + REPS times, timing the last REPS of each (their times interleaved: read 1, read
     * 2, ..., read 1, ...); every run of every read must see the same sum. Alternating makes two ways of reading meet
     * the same conditions on a shared machine.
     */
    private static String timed(int warmup, int reps, Read... reads) throws IOException {
        StringBuilder times = new StringBuilder();
        Long sum = null;
        for (int i = -warmup; i < reps; i++) {
            for (Read read : reads) {
                long t0 = System.nanoTime();
                long s = read.sum();
                long t = System.nanoTime() - t0;
                if (sum != null && s != sum) {
                    throw new IllegalStateException("read different bytes on repetition " + i + ": sum " + s + " vs "
                            + sum);
                }
                sum = s;
                if (i >= 0) {
                    times.append(' ').append(t);
                }
            }
        }
        return "OK " + sum + times;
    }

    private static long get(QuiverClient c, ObjectId id, long size) {
        try (ObjectBuffer b = c.get(id, QuiverClient.NO_WAIT)
                .orElseThrow(() -> new IllegalStateException("object " + id + " is not in the store"))) {
            if (b.data().byteSize() != size) {
                throw new IllegalStateException("object " + id + " has " + b.data().byteSize() + " bytes, not " + size);
            }
            return Sums.sum(b.data());
        }
    }

    /** Each repetition maps the arena anew (connect), so the get pays the page faults of a first touch. */
    private String cold(ObjectId id, long size, int reps) {
        StringBuilder times = new StringBuilder();
        long sum = 0;
        for (int i = 0; i < reps; i++) {
            try (QuiverClient fresh = QuiverClient.connect(storeSocket)) {
                long t0 = System.nanoTime();
                long s = get(fresh, id, size);
                times.append(' ').append(System.nanoTime() - t0);
                if (i > 0 && s != sum) {
                    throw new IllegalStateException("read different bytes on repetition " + i);
                }
                sum = s;
                drain(fresh);
            }
        }
        return "OK " + sum + times;
    }

    /**
     * One round trip, so that the replies to releases sent without waiting have been read when it returns: a client
     * closed with unread replies resets its connection, which the store logs.
     */
    static void drain(QuiverClient c) {
        c.stats();
    }

    private long viaSocket(long size) throws IOException {
        MemorySegment buffer = receiveBuffer(size).asSlice(0, size);
        SocketChannel ch = byteChannel();
        request.clear();
        request.putLong(0, size);
        while (request.hasRemaining()) {
            ch.write(request);
        }
        for (long off = 0; off < size; off += ByteServer.MAX_CHUNK) {
            ByteBuffer b = buffer.asSlice(off, Math.min(ByteServer.MAX_CHUNK, size - off)).asByteBuffer();
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) {
                    throw new EOFException("the byte server closed the connection after " + (off + b.position())
                            + " of " + size + " bytes");
                }
            }
        }
        return Sums.sum(buffer);
    }

    /** DoGet of {@code size} bytes from the harness's {@link FlightBaseline}, summed batch by batch. */
    /** DoGet of {@code ticket}, a table of one int64 column holding {@code size} bytes; sums each batch as it comes. */
    private static long viaFlight(FlightClient client, Ticket ticket, long size) {
        long sum = 0;
        long received = 0;
        try (FlightStream stream = client.getStream(ticket)) {
            while (stream.next()) {
                BigIntVector words = (BigIntVector) stream.getRoot().getVector(0);
                long n = 8L * words.getValueCount();
                sum += Sums.sum(MemorySegment.ofAddress(words.getDataBuffer().memoryAddress()).reinterpret(n));
                received += n;
            }
        } catch (Exception e) {
            throw new IllegalStateException("Flight DoGet of " + size + " bytes failed: " + e, e);
        }
        if (received != size) {
            throw new IllegalStateException("Flight DoGet returned " + received + " bytes, not " + size);
        }
        return sum;
    }

    private FlightClient flightClient() {
        if (flight == null) {
            flight = FlightClient.builder(allocator(), new Location(flightUri)).build();
        }
        return flight;
    }

    private FlightClient storeFlightClient() {
        if (storeFlight == null) {
            storeFlight = FlightClient.builder(allocator(), new Location(storeFlightUri)).build();
        }
        return storeFlight;
    }

    private BufferAllocator allocator() {
        if (allocator == null) {
            allocator = new RootAllocator();
        }
        return allocator;
    }

    private void close() throws InterruptedException {
        drain(client);
        client.close();
        if (ringClient != null) {
            ringClient.close();
        }
        if (batchedClient != null) {
            batchedClient.close();
        }
        if (flight != null) {
            flight.close();
        }
        if (storeFlight != null) {
            storeFlight.close();
        }
        if (allocator != null) {
            allocator.close();
        }
    }

    /** The socket's receive buffer: allocated and touched once per growth, reused (the socket's best case). */
    private MemorySegment receiveBuffer(long size) {
        if (recv.byteSize() < size) {
            if (recvArena != null) {
                recvArena.close();
            }
            recvArena = Arena.ofShared();
            recv = recvArena.allocate(Math.max(size, MB), 64);
            Sums.fill(recv);
        }
        return recv;
    }

    private SocketChannel byteChannel() throws IOException {
        if (byteChannel == null) {
            byteChannel = SocketChannel.open(StandardProtocolFamily.UNIX);
            byteChannel.connect(UnixDomainSocketAddress.of(byteSocket));
        }
        return byteChannel;
    }

    // ----------------------------------------------------------------------------------------- small objects

    private String small(SmallOp op, long size, int batch, long warmupNanos, long durationNanos, long maxCalls)
            throws IOException {
        SmallLoop loop = new SmallLoop(op, size, batch);
        try {
            loop.run(warmupNanos, maxCalls, null);
            loop.deleteCreated();
            out.println("SET");
            String go = in.readLine();
            if (!"GO".equals(go)) {
                throw new IllegalStateException("expected GO, got " + go);
            }
            Histogram latencies = new Histogram(3);
            long t0 = System.nanoTime();
            long calls = loop.run(durationNanos, maxCalls, latencies);
            long elapsed = System.nanoTime() - t0;
            return "DONE " + calls + " " + calls * op.objectsPerCall(batch) + " " + elapsed + " " + encode(latencies);
        } finally {
            loop.close();
        }
    }

    static String encode(Histogram h) {
        ByteBuffer b = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(b);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(b.array(), n));
    }

    /** One small-object operation in a loop, with the objects it needs and leaves. */
    private final class SmallLoop implements AutoCloseable {
        private static final int PRESET_BATCHES = 10;

        private final SmallOp op;
        /** The socket client, or the ring client for the ring operations. */
        private final QuiverClient client;
        private final long size;
        private final int batch;
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment payload;
        private final byte[] idBytes = new byte[ObjectId.SIZE];
        private final List<ObjectId> preset = new ArrayList<>();
        private final List<ObjectId> created = new ArrayList<>();
        private long counter;
        private int next;

        SmallLoop(SmallOp op, long size, int batch) {
            this.op = op;
            this.client = op == SmallOp.GET_BATCHED ? batchedClient()
                    : op.rings() ? ringClient() : BenchWorker.this.client;
            this.size = size;
            this.batch = batch;
            this.payload = arena.allocate(Math.max(size, 1), 64).asSlice(0, size);
            Sums.fill(payload);
            new SecureRandom().nextBytes(idBytes); // the first 12 bytes stay: this worker's id space
            if (op == SmallOp.GET || op == SmallOp.GET_BATCH || op == SmallOp.GET_RINGS || op == SmallOp.GET_BATCHED) {
                List<QuiverClient.ObjectData> objects = new ArrayList<>();
                for (int i = 0; i < batch * PRESET_BATCHES; i++) {
                    ObjectId id = nextId();
                    preset.add(id);
                    objects.add(new QuiverClient.ObjectData(id, payload));
                    if (objects.size() == batch) {
                        client.createAndSeal(objects);
                        objects.clear();
                    }
                }
            }
        }

        /** Runs calls for {@code nanos} or {@code maxCalls}, whichever ends first; records each call's latency. */
        long run(long nanos, long maxCalls, Histogram latencies) throws IOException {
            long calls = 0;
            long now = System.nanoTime();
            long end = now + nanos;
            while (calls < maxCalls && now < end) {
                long t0 = now;
                call();
                now = System.nanoTime();
                if (latencies != null) {
                    latencies.recordValue(now - t0);
                }
                calls++;
            }
            return calls;
        }

        private void call() throws IOException {
            switch (op) {
                case PING -> ping();
                case CREATE, CREATE_RINGS -> {
                    ObjectId id = nextId();
                    try (WritableObject o = client.create(id, size)) {
                        o.write(0, payload); // Quiver's copy: digested while in cache, no view to end at seal
                        o.seal();
                    }
                    created.add(id);
                }
                case GET, GET_RINGS, GET_BATCHED -> {
                    ObjectId id = preset.get(next++ % preset.size());
                    try (ObjectBuffer b = client.get(id, QuiverClient.NO_WAIT).orElseThrow()) {
                        blackhole += Sums.sum(b.data());
                    }
                }
                case CREATE_BATCH -> {
                    List<QuiverClient.ObjectData> objects = new ArrayList<>(batch);
                    for (int i = 0; i < batch; i++) {
                        ObjectId id = nextId();
                        objects.add(new QuiverClient.ObjectData(id, payload));
                        created.add(id);
                    }
                    client.createAndSeal(objects);
                }
                case GET_BATCH -> {
                    int from = (next++ % PRESET_BATCHES) * batch;
                    for (ObjectBuffer b : client.get(preset.subList(from, from + batch), QuiverClient.NO_WAIT)) {
                        blackhole += Sums.sum(b.data());
                        b.close();
                    }
                }
            }
        }

        private void ping() throws IOException {
            SocketChannel ch = byteChannel();
            request.clear();
            request.putLong(0, 8);
            while (request.hasRemaining()) {
                ch.write(request);
            }
            pong.clear();
            while (pong.hasRemaining()) {
                if (ch.read(pong) < 0) {
                    throw new EOFException("the byte server closed the connection");
                }
            }
        }

        private ObjectId nextId() {
            long c = counter++;
            for (int i = 0; i < 8; i++) {
                idBytes[ObjectId.SIZE - 1 - i] = (byte) (c >>> (8 * i));
            }
            return ObjectId.of(idBytes);
        }

        /** Deletes what the loop created (outside any timed window), so that the store never fills up. */
        void deleteCreated() {
            delete(created);
        }

        private void delete(List<ObjectId> ids) {
            for (int from = 0; from < ids.size(); from += FrameCodec.MAX_BATCH) {
                client.delete(ids.subList(from, Math.min(ids.size(), from + FrameCodec.MAX_BATCH)));
            }
            ids.clear();
        }

        @Override
        public void close() {
            delete(created);
            delete(preset);
            arena.close();
        }
    }
}
