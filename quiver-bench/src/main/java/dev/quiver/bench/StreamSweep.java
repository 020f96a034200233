package dev.quiver.bench;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamReader;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.bench.Options.StreamLoad;
import dev.quiver.client.QuiverClient;
import dev.quiver.kafka.ArrowCodec;
import dev.quiver.kafka.Compression;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.testkit.EmbeddedKafka;
import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Section 5: a stream of Arrow record batches from the harness process to 1 or more reader processes (worker JVMs,
 * each receiving every batch), through a Quiver stream ({@link StreamWriter} → {@link dev.quiver.arrow.StreamReader},
 * zero-copy reads), through Aeron IPC (an embedded media driver in the harness; the floor of a shared-memory log
 * between processes) and through Kafka on the same machine (an embedded KRaft broker in the harness, one partition).
 * Aeron and Kafka carry each batch as the same uncompressed Arrow IPC stream, and their readers decode it into Arrow
 * vectors, so every reader ends with the batch as vectors and sums column x.
 *
 * <p>For each batch size ({@link StreamLoad}) and reader count, each transport runs twice per repetition: as fast as
 * the producer can send (throughput, from the first send until every reader has the last batch) and paced at the
 * load's rate (latency of each batch from send to each reader having it, all readers' samples pooled).
 */
final class StreamSweep {
    /**
     * One transport at one batch size and reader count: throughput in batches per second (median over repetitions),
     * latency in nanoseconds.
     *
     * @param bodyBytes  the record batch's IPC body (its buffers)
     * @param batchBytes the batch as an Arrow IPC stream (schema, batch, end): what Aeron and Kafka carry
     * @param rate       batches per second of the paced (latency) runs
     * @param pacedRate  batches per second the paced runs sent: below {@code rate} where the producer's sends took
     *                   longer than the pace allows (each latency still runs from the batch's actual send)
     */
    record Row(String transport, long bodyBytes, long batchBytes, int readers, int rate, Summary batchesPerSecond,
               Summary pacedRate, Summary p50, Summary p99, double p999, double max) {}

    static final String QUIVER = "Quiver stream";
    /** The same stream, read by readers that sleep as soon as they have caught up ({@code StreamReader.Waiting.SLEEP}). */
    static final String QUIVER_SLEEPING = "Quiver stream, readers sleep";
    static final String AERON = "Aeron IPC";
    static final String KAFKA = "Kafka (embedded broker)";

    static final Schema SCHEMA = new Schema(List.of(
            new Field("t", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("x", FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
            new Field("y", FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null)));

    private StreamSweep() {}

    /** Runs the section with {@code readers} (at least the largest reader count) as the reader processes. */
    static List<Row> run(Options o, QuiverClient client, List<WorkerProcess> readers, Path dir) {
        Path aeronDir = o.arenaDirectory().resolve("quiver-bench-" + ProcessHandle.current().pid() + "-aeron");
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowStore arrow = new ArrowStore(client, allocator);
            o.progress().accept("streams: starting an Aeron media driver in " + aeronDir
                    + " and an embedded Kafka broker");
            try (AeronTransport viaAeron = new AeronTransport(aeronDir, o);
                 EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
                 KafkaTransport viaKafka = new KafkaTransport(kafka)) {
                List<Transport> transports = List.of(new QuiverTransport(arrow, StreamReader.Waiting.ADAPTIVE),
                        new QuiverTransport(arrow, StreamReader.Waiting.SLEEP), viaAeron, viaKafka);
                List<Row> rows = new ArrayList<>();
                for (StreamLoad load : o.streamLoads()) {
                    try (VectorSchemaRoot batch = batch(allocator, load.batchRows())) {
                        rows.addAll(runLoad(o, new Runner(o, batch, TableHandover.sumOfX(List.of(batch))), load,
                                transports, readers));
                    }
                }
                return rows;
            }
        } finally {
            Bench.deleteTree(aeronDir); // the driver deletes it on close; this is for a driver that failed to start
        }
    }

    private static List<Row> runLoad(Options o, Runner runner, StreamLoad load, List<Transport> transports,
                                     List<WorkerProcess> workers) {
        long bodyBytes;
        try (ArrowRecordBatch b = new VectorUnloader(runner.batch()).getRecordBatch()) {
            bodyBytes = b.computeBodyLength();
        }
        long batchBytes = new ArrowCodec(ArrowCodec.Format.STREAM, Compression.NONE).encode(runner.batch()).length;
        int most = o.streamReaders().stream().mapToInt(Integer::intValue).max().orElseThrow();
        o.progress().accept("streams: batches of " + load.batchRows() + " rows (" + Fmt.size(batchBytes)
                + "), warming up (" + load.batches() + " batches to " + most + " readers each way)");
        for (Transport t : transports) {
            int n = runsWith(o, t).stream().mapToInt(Integer::intValue).max().orElseThrow();
            runner.run(t, load.batches(), 0, workers.subList(0, n));
        }
        // key: readers, then transport; each holds the repetitions' measurements
        Map<Integer, Map<Transport, List<Measured>>> fast = new LinkedHashMap<>();
        Map<Integer, Map<Transport, List<Measured>>> paced = new LinkedHashMap<>();
        for (int rep = 1; rep <= o.streamRepetitions(); rep++) {
            for (int n : o.streamReaders()) {
                o.progress().accept("streams: " + load.batches() + " batches of " + Fmt.size(batchBytes) + " to " + n
                        + " readers, unpaced and at " + load.rate() + "/s, repetition " + rep + "/"
                        + o.streamRepetitions());
                List<WorkerProcess> readers = workers.subList(0, n);
                for (Transport t : transports) {
                    if (runsWith(o, t).contains(n)) {
                        fast.computeIfAbsent(n, k -> new LinkedHashMap<>()).computeIfAbsent(t, k -> new ArrayList<>())
                                .add(runner.run(t, load.batches(), 0, readers));
                        paced.computeIfAbsent(n, k -> new LinkedHashMap<>()).computeIfAbsent(t, k -> new ArrayList<>())
                                .add(runner.run(t, load.batches(), load.rate(), readers));
                    }
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int n : o.streamReaders()) {
            for (Transport t : fast.get(n).keySet()) {
                List<Measured> f = fast.get(n).get(t);
                List<Measured> p = paced.get(n).get(t);
                Histogram all = new Histogram(3);
                p.forEach(m -> all.add(m.latencies()));
                rows.add(new Row(t.name(), bodyBytes, batchBytes, n, load.rate(),
                        Summary.of(f.stream().mapToDouble(Measured::batchesPerSecond).toArray()),
                        Summary.of(p.stream().mapToDouble(Measured::sentPerSecond).toArray()),
                        Summary.of(p.stream().mapToDouble(m -> m.latencies().getValueAtPercentile(50)).toArray()),
                        Summary.of(p.stream().mapToDouble(m -> m.latencies().getValueAtPercentile(99)).toArray()),
                        all.getValueAtPercentile(99.9), all.getMaxValue()));
            }
        }
        return rows;
    }

    /**
     * How the Aeron producer waits on back pressure and its readers wait for a batch: 100 spins, then 100 yields (about
     * as long as the store's engine spins and yields before it parks), then parks of 1 µs growing to 100 µs. Readers
     * that spin would hold the CPUs that the producer and the other readers need.
     */
    static IdleStrategy aeronIdleStrategy() {
        return new BackoffIdleStrategy(100, 100, 1_000, 100_000);
    }

    /** The reader counts that {@code t} runs with: Kafka may run with fewer ({@link Options#streamKafkaReaders()}). */
    private static List<Integer> runsWith(Options o, Transport t) {
        return t.name().equals(KAFKA) ? o.streamKafkaReaders() : o.streamReaders();
    }

    /**
     * A batch of {@code rows} rows: t (set at each send: the send time and the batch's sequence number), x and y
     * (fixed, so every batch sums alike).
     */
    static VectorSchemaRoot batch(BufferAllocator allocator, int rows) {
        VectorSchemaRoot b = VectorSchemaRoot.create(SCHEMA, allocator);
        BigIntVector t = (BigIntVector) b.getVector("t");
        Float8Vector x = (Float8Vector) b.getVector("x");
        Float8Vector y = (Float8Vector) b.getVector("y");
        t.allocateNew(rows);
        x.allocateNew(rows);
        y.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
            t.set(i, 0);
            x.set(i, i * 0.5);
            y.set(i, 4 + 3 * i * 0.5);
        }
        b.setRowCount(rows);
        return b;
    }

    /** One run: batches per second received by every reader, and sent by the producer; the readers' latencies. */
    private record Measured(double batchesPerSecond, double sentPerSecond, Histogram latencies) {}

    private record Runner(Options o, VectorSchemaRoot batch, double sumPerBatch) {
        /**
         * Sends {@code count} batches, paced at {@code rate} per second (0: as fast as it can), to every one of
         * {@code readers}; the throughput runs until the last reader has the last batch, the latencies of all readers
         * are pooled.
         */
        Measured run(Transport transport, int count, int rate, List<WorkerProcess> readers) {
            String channel = transport.newChannel();
            for (WorkerProcess r : readers) {
                r.send(transport.consumeCommand(channel, count));
            }
            for (WorkerProcess r : readers) {
                r.expect("READY", o.stepTimeout());
            }
            BigIntVector t = (BigIntVector) batch.getVector("t");
            long t0;
            long sent;
            try (Producer producer = transport.producer(channel)) { // opened before the clock starts
                t0 = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    if (rate > 0) {
                        paceUntil(t0 + (long) (i * 1e9 / rate));
                    }
                    t.set(StreamConsumer.SEQUENCE_ROW, i);
                    t.set(StreamConsumer.SENT_ROW, System.nanoTime());
                    producer.send(batch);
                }
                sent = System.nanoTime();
            }
            double expected = 0;
            for (int i = 0; i < count; i++) {
                expected += sumPerBatch;
            }
            long last = t0;
            Histogram latencies = new Histogram(3);
            for (WorkerProcess r : readers) {
                String[] f = r.expect("OK", o.stepTimeout()).split(" ");
                double sum = Double.longBitsToDouble(Long.parseLong(f[1]));
                if (Integer.parseInt(f[0]) != count || sum != expected) {
                    throw new BenchException(transport.name() + ": reader " + r.name() + " read " + f[0]
                            + " batches summing to " + sum + "; " + count + " batches summing to " + expected
                            + " were sent");
                }
                last = Math.max(last, Long.parseLong(f[2]));
                latencies.add(SmallObjects.decode(f[3], r));
            }
            transport.cleanUp(channel);
            return new Measured(count * 1e9 / (last - t0), count * 1e9 / (sent - t0), latencies);
        }

        /**
         * Waits until {@code due} (rate control of the producer, not a synchronisation). Close to it, it yields
         * rather than spins: at 10,000 batches/s it would otherwise hold one of two CPUs the readers need.
         */
        private static void paceUntil(long due) {
            for (long left; (left = due - System.nanoTime()) > 0; ) {
                if (left > 100_000) {
                    LockSupport.parkNanos(left - 50_000);
                } else {
                    Thread.yield();
                }
            }
        }
    }

    /** One way of streaming batches to the readers. */
    private interface Transport {
        String name();

        /** A fresh stream, topic or stream id for one run. */
        String newChannel();

        /** The command that makes a reader process read {@code count} batches of the channel. */
        String consumeCommand(String channel, int count);

        Producer producer(String channel);

        /** Frees what the run left behind. */
        void cleanUp(String channel);
    }

    private interface Producer extends AutoCloseable {
        void send(VectorSchemaRoot batch);

        @Override
        void close();
    }

    private static final class QuiverTransport implements Transport {
        private final ArrowStore arrow;
        private final StreamReader.Waiting waiting;
        private int runs;

        QuiverTransport(ArrowStore arrow, StreamReader.Waiting waiting) {
            this.arrow = arrow;
            this.waiting = waiting;
        }

        @Override
        public String name() {
            return waiting == StreamReader.Waiting.ADAPTIVE ? QUIVER : QUIVER_SLEEPING;
        }

        @Override
        public String newChannel() {
            return "bench-stream-" + ProcessHandle.current().pid() + "-" + waiting.name().toLowerCase(Locale.ROOT)
                    + "-" + runs++;
        }

        @Override
        public String consumeCommand(String channel, int count) {
            return "stream-quiver " + channel + " " + count + " " + waiting.name();
        }

        @Override
        public Producer producer(String channel) {
            StreamWriter writer = StreamWriter.open(arrow, channel, Retention.ALL);
            return new Producer() {
                @Override
                public void send(VectorSchemaRoot batch) {
                    writer.append(batch);
                }

                @Override
                public void close() {
                    writer.end();
                    writer.close();
                }
            };
        }

        /** Deletes every object in the store: at this point of the run, the streams' batches are all there is. */
        @Override
        public void cleanUp(String channel) {
            QuiverClient client = arrow.client();
            List<ObjectId> ids = client.list().stream()
                    .filter(i -> i.state() == ObjectState.SEALED).map(ObjectInfo::id).toList();
            for (int from = 0; from < ids.size(); from += FrameCodec.MAX_BATCH) {
                client.delete(ids.subList(from, Math.min(ids.size(), from + FrameCodec.MAX_BATCH)));
            }
        }
    }

    /**
     * Aeron IPC: a media driver embedded in the harness, its directory in the arena's directory (shared memory, like
     * the store's arena), and per run one exclusive publication (a single writer, as a Quiver stream has) on
     * {@value #CHANNEL} with a stream id of its own; the readers subscribe before it exists, so they all join it at
     * its first batch.
     *
     * <p>For two CPUs shared by the producer, the readers and the driver: the driver runs all its agents on one
     * thread ({@link ThreadingMode#SHARED}) that backs off to parking when idle (for IPC it is not on the data path:
     * it only moves the publisher's limit), and neither the producer (on back pressure) nor the readers spin for
     * long: {@link StreamSweep#aeronIdleStrategy()}.
     */
    private static final class AeronTransport implements Transport, AutoCloseable {
        static final String CHANNEL = "aeron:ipc";
        /**
         * The IPC log's term: room for 2 MiB of batches in flight (half a term). Aeron's default (64 MiB, three of
         * them per publication) would fill shared memory for nothing, a new log each run.
         */
        private static final int TERM_LENGTH = 4 << 20;

        private final Path directory;
        private final Options o;
        private final MediaDriver driver;
        private final Aeron aeron;
        private final ArrowCodec codec = new ArrowCodec(ArrowCodec.Format.STREAM, Compression.NONE);
        private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[0]);
        private final IdleStrategy idle = aeronIdleStrategy();
        private int runs;

        AeronTransport(Path directory, Options o) {
            this.directory = directory;
            this.o = o;
            this.driver = MediaDriver.launch(new MediaDriver.Context()
                    .aeronDirectoryName(directory.toString())
                    .threadingMode(ThreadingMode.SHARED)
                    .sharedIdleStrategy(new BackoffIdleStrategy())
                    .ipcTermBufferLength(TERM_LENGTH)
                    .dirDeleteOnStart(true)
                    .dirDeleteOnShutdown(true));
            try {
                this.aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(directory.toString()));
            } catch (RuntimeException e) {
                driver.close();
                throw e;
            }
        }

        @Override
        public String name() {
            return AERON;
        }

        /** The stream id of the run. */
        @Override
        public String newChannel() {
            return String.valueOf(1000 + runs++);
        }

        @Override
        public String consumeCommand(String channel, int count) {
            return "stream-aeron " + directory + " " + CHANNEL + " " + channel + " " + count;
        }

        @Override
        public Producer producer(String channel) {
            ExclusivePublication publication = aeron.addExclusivePublication(CHANNEL, Integer.parseInt(channel));
            return new Producer() {
                @Override
                public void send(VectorSchemaRoot batch) {
                    byte[] bytes = codec.encode(batch);
                    buffer.wrap(bytes);
                    long deadline = System.nanoTime() + o.stepTimeout().toNanos();
                    for (long r; (r = publication.offer(buffer, 0, bytes.length)) < 0; ) {
                        // back pressure (a reader's window is full) and admin actions pass; a closed publication,
                        // or readers gone (not connected) for longer than a step may take, end the run
                        if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED
                                || System.nanoTime() > deadline) {
                            throw new BenchException("Aeron IPC: the offer of a batch of " + bytes.length
                                    + " bytes on stream " + channel + " failed: " + Publication.errorString(r)
                                    + " (readers connected: " + publication.isConnected() + ")");
                        }
                        idle.idle();
                    }
                    idle.reset();
                }

                /** The readers have every batch offered; the driver frees the log once they let go of it. */
                @Override
                public void close() {
                    publication.close();
                }
            };
        }

        @Override
        public void cleanUp(String channel) {
            // the publication closed with its producer
        }

        @Override
        public void close() {
            try (MediaDriver d = driver) {
                aeron.close();
            }
        }
    }

    private static final class KafkaTransport implements Transport, AutoCloseable {
        private final EmbeddedKafka kafka;
        private final KafkaProducer<byte[], byte[]> producer;
        private final ArrowCodec codec = new ArrowCodec(ArrowCodec.Format.STREAM, Compression.NONE);
        private int runs;

        KafkaTransport(EmbeddedKafka kafka) {
            this.kafka = kafka;
            // Sent at once (no linger), acknowledged by the broker's log (its only replica), uncompressed.
            this.producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.LINGER_MS_CONFIG, 0,
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.COMPRESSION_TYPE_CONFIG, "none",
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()));
        }

        @Override
        public String name() {
            return KAFKA;
        }

        @Override
        public String newChannel() {
            String topic = "bench-stream-" + runs++;
            kafka.createTopic(topic, 1);
            return topic;
        }

        @Override
        public String consumeCommand(String channel, int count) {
            return "stream-kafka " + kafka.bootstrapServers() + " " + channel + " " + count;
        }

        @Override
        public Producer producer(String channel) {
            return new Producer() {
                @Override
                public void send(VectorSchemaRoot batch) {
                    producer.send(new ProducerRecord<>(channel, 0, null, codec.encode(batch)));
                }

                @Override
                public void close() {
                    producer.flush();
                }
            };
        }

        @Override
        public void cleanUp(String channel) {
            // the broker's log directory goes with the run's temporary directory
        }

        @Override
        public void close() {
            producer.close();
        }
    }
}
