package dev.quiver.bench;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.client.QuiverClient;
import dev.quiver.kafka.ArrowCodec;
import dev.quiver.kafka.Compression;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.testkit.EmbeddedKafka;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
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
 * Section 5: a stream of Arrow record batches from the harness process to a worker process, through a Quiver stream
 * ({@link StreamWriter} → {@link dev.quiver.arrow.StreamReader}, zero-copy reads) and through Kafka on the same
 * machine (an embedded KRaft broker in the harness, the batches as uncompressed Arrow IPC streams, one partition).
 * Each transport runs twice per repetition: as fast as the producer can send (throughput, from the first send until
 * the consumer has the last batch) and paced at a fixed rate (latency of each batch from send to the consumer having
 * it as Arrow vectors, without queueing). The consumer checks the count and the sum of column x.
 */
final class StreamSweep {
    /** One transport: throughput in batches per second (median over repetitions), latency in nanoseconds. */
    record Row(String transport, long batchBytes, Summary batchesPerSecond, Summary p50, Summary p99, double p999,
               double max) {}

    static final String QUIVER = "Quiver stream";
    static final String KAFKA = "Kafka (embedded broker)";

    static final Schema SCHEMA = new Schema(List.of(
            new Field("t", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("x", FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
            new Field("y", FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null)));

    private StreamSweep() {}

    static List<Row> run(Options o, QuiverClient client, WorkerProcess worker, Path dir) {
        try (BufferAllocator allocator = new RootAllocator();
             VectorSchemaRoot batch = batch(allocator, o.streamBatchRows())) {
            double sumPerBatch = TableHandover.sumOfX(List.of(batch));
            ArrowStore arrow = new ArrowStore(client, allocator);
            long batchBytes = new ArrowCodec(ArrowCodec.Format.STREAM, Compression.NONE).encode(batch).length;
            o.progress().accept("streams: starting an embedded Kafka broker");
            try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
                 KafkaTransport viaKafka = new KafkaTransport(kafka)) {
                List<Transport> transports = List.of(new QuiverTransport(arrow), viaKafka);
                Runner runner = new Runner(o, worker, batch, sumPerBatch);
                o.progress().accept("streams: warming up (" + o.streamBatches() + " batches each way)");
                transports.forEach(t -> runner.run(t, 0));
                List<List<Measured>> fast = List.of(new ArrayList<>(), new ArrayList<>());
                List<List<Measured>> paced = List.of(new ArrayList<>(), new ArrayList<>());
                for (int rep = 1; rep <= o.streamRepetitions(); rep++) {
                    o.progress().accept("streams: " + o.streamBatches() + " batches of " + o.streamBatchRows()
                            + " rows, unpaced and at " + o.streamRate() + "/s, repetition " + rep + "/"
                            + o.streamRepetitions());
                    for (int i = 0; i < transports.size(); i++) {
                        fast.get(i).add(runner.run(transports.get(i), 0));
                        paced.get(i).add(runner.run(transports.get(i), o.streamRate()));
                    }
                }
                List<Row> rows = new ArrayList<>();
                for (int i = 0; i < transports.size(); i++) {
                    Histogram all = new Histogram(3);
                    paced.get(i).forEach(m -> all.add(m.latencies()));
                    rows.add(new Row(transports.get(i).name(), batchBytes,
                            Summary.of(fast.get(i).stream().mapToDouble(Measured::batchesPerSecond).toArray()),
                            Summary.of(paced.get(i).stream().mapToDouble(m -> m.latencies().getValueAtPercentile(50))
                                    .toArray()),
                            Summary.of(paced.get(i).stream().mapToDouble(m -> m.latencies().getValueAtPercentile(99))
                                    .toArray()),
                            all.getValueAtPercentile(99.9), all.getMaxValue()));
                }
                return rows;
            }
        }
    }

    /** A batch of {@code rows} rows: t (set at each send), x and y (fixed, so every batch sums alike). */
    private static VectorSchemaRoot batch(BufferAllocator allocator, int rows) {
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

    private record Measured(double batchesPerSecond, Histogram latencies) {}

    private record Runner(Options o, WorkerProcess worker, VectorSchemaRoot batch, double sumPerBatch) {
        /** Sends {@code o.streamBatches()} batches, paced at {@code rate} per second (0: as fast as it can). */
        Measured run(Transport transport, int rate) {
            int count = o.streamBatches();
            String channel = transport.newChannel();
            worker.send(transport.consumeCommand(channel, count));
            worker.expect("READY", o.stepTimeout());
            BigIntVector t = (BigIntVector) batch.getVector("t");
            long t0 = System.nanoTime();
            try (Producer producer = transport.producer(channel)) {
                for (int i = 0; i < count; i++) {
                    if (rate > 0) {
                        paceUntil(t0 + (long) (i * 1e9 / rate));
                    }
                    t.set(0, System.nanoTime());
                    producer.send(batch);
                }
            }
            String[] f = worker.expect("OK", o.stepTimeout()).split(" ");
            double sum = Double.longBitsToDouble(Long.parseLong(f[1]));
            double expected = 0;
            for (int i = 0; i < count; i++) {
                expected += sumPerBatch;
            }
            if (Integer.parseInt(f[0]) != count || sum != expected) {
                throw new BenchException(transport.name() + ": the worker read " + f[0] + " batches summing to "
                        + sum + "; " + count + " batches summing to " + expected + " were sent");
            }
            transport.cleanUp(channel);
            return new Measured(count * 1e9 / (Long.parseLong(f[2]) - t0), SmallObjects.decode(f[3], worker));
        }

        /** Waits until {@code due} (rate control of the producer, not a synchronisation). */
        private static void paceUntil(long due) {
            for (long left; (left = due - System.nanoTime()) > 0; ) {
                if (left > 100_000) {
                    LockSupport.parkNanos(left - 50_000);
                } else {
                    Thread.onSpinWait();
                }
            }
        }
    }

    /** One way of streaming batches to the worker. */
    private interface Transport {
        String name();

        /** A fresh stream or topic for one run. */
        String newChannel();

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
        private int runs;

        QuiverTransport(ArrowStore arrow) {
            this.arrow = arrow;
        }

        @Override
        public String name() {
            return QUIVER;
        }

        @Override
        public String newChannel() {
            return "bench-stream-" + ProcessHandle.current().pid() + "-" + runs++;
        }

        @Override
        public String consumeCommand(String channel, int count) {
            return "stream-quiver " + channel + " " + count;
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
