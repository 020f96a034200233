package dev.quiver.bench;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.client.QuiverClient;
import dev.quiver.kafka.ArrowCodec;
import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.IdleStrategy;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The worker's side of section 5 ({@link StreamSweep}): reads COUNT batches of a Quiver stream, an Aeron IPC stream
 * or a Kafka topic, and for each, the time from its send (column {@code t} of row {@value #SENT_ROW}, the producer's
 * {@link System#nanoTime()}, one clock for the machine's processes) until this process had it as Arrow vectors. Each
 * batch must be the next in sequence (row {@value #SEQUENCE_ROW} of t): no batch lost, repeated or out of order.
 *
 * <pre>
 * stream-quiver NAME COUNT WAITING     READY once reading, then OK COUNT SUM_BITS LAST_NS HISTOGRAM
 * stream-aeron DIR CHANNEL ID COUNT    the same, from the stream ID of CHANNEL of the media driver in DIR
 * stream-kafka BOOTSTRAP TOPIC COUNT   the same, from partition 0 of the topic
 * </pre>
 * Aeron and Kafka readers decode each batch's Arrow IPC bytes into vectors (a copy); the Quiver reader's vectors
 * point into the store's memory.
 */
final class StreamConsumer {
    private static final Duration WAIT = Duration.ofMinutes(1);
    /** Rows of column t that the producer sets for each batch: its send time, and its sequence number from 0. */
    static final int SENT_ROW = 0;
    static final int SEQUENCE_ROW = 1;

    private final Histogram latencies = new Histogram(3);
    private double sum;
    private long last;
    private long taken;

    static String fromQuiver(QuiverClient client, BufferAllocator allocator, String name, int count,
                             StreamReader.Waiting waiting, PrintStream out) {
        StreamConsumer c = new StreamConsumer();
        StreamReader reader = StreamReader.open(new ArrowStore(client, allocator), name, StreamReader.Start.at(0),
                waiting);
        out.println("READY");
        for (int n = 0; n < count; n++) {
            StreamEvent e = reader.next(WAIT);
            if (!(e instanceof StreamEvent.Batch b)) {
                throw new IllegalStateException("stream " + name + " gave " + e + " where batch " + n + " was due");
            }
            try (b) {
                c.took(b.table().batches());
            }
        }
        return c.answer(count);
    }

    /**
     * Reads from Aeron: connects to the media driver in {@code driverDir} (for this run only, so that no client
     * outlives the driver), subscribes (so the publisher's next batch reaches it), answers READY, then polls with
     * {@link StreamSweep#aeronIdleStrategy()}. A batch larger than the IPC MTU arrives in fragments, which a
     * {@link FragmentAssembler} joins.
     */
    static String fromAeron(Path driverDir, BufferAllocator allocator, String channel, int streamId, int count,
                            PrintStream out) {
        StreamConsumer c = new StreamConsumer();
        ArrowCodec codec = new ArrowCodec(ArrowCodec.Format.STREAM, dev.quiver.kafka.Compression.NONE);
        FragmentHandler handler = new FragmentAssembler((buffer, offset, length, header) -> {
            byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            try (VectorSchemaRoot root = codec.decode(bytes, allocator)) {
                c.took(List.of(root));
            }
        });
        IdleStrategy idle = StreamSweep.aeronIdleStrategy();
        try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driverDir.toString()));
             Subscription subscription = aeron.addSubscription(channel, streamId)) {
            out.println("READY");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (c.taken < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Aeron stream " + streamId + " of " + channel + " gave "
                            + c.taken + " of " + count + " batches in " + WAIT.toSeconds() + " s");
                }
                idle.idle(subscription.poll(handler, (int) (count - c.taken)));
            }
        }
        return c.answer(count);
    }

    static String fromKafka(BufferAllocator allocator, String bootstrap, String topic, int count, PrintStream out) {
        StreamConsumer c = new StreamConsumer();
        ArrowCodec codec = new ArrowCodec(ArrowCodec.Format.STREAM, dev.quiver.kafka.Compression.NONE);
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false))) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            consumer.position(partition); // resolves the offset now, not on the first batch's clock
            out.println("READY");
            int n = 0;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (n < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + topic + " gave " + n + " of " + count + " batches in "
                            + WAIT.toSeconds() + " s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    try (VectorSchemaRoot root = codec.decode(r.value(), allocator)) {
                        c.took(List.of(root));
                    }
                    n++;
                }
            }
        }
        return c.answer(count);
    }

    /** Records one batch: checks that it is the next one, takes its latency, sums its x. */
    void took(List<VectorSchemaRoot> batches) {
        long now = System.nanoTime();
        BigIntVector t = (BigIntVector) batches.getFirst().getVector("t");
        if (t.get(SEQUENCE_ROW) != taken) {
            throw new IllegalStateException("batch " + t.get(SEQUENCE_ROW) + " arrived where batch " + taken
                    + " was due");
        }
        taken++;
        latencies.recordValue(Math.max(0, now - t.get(SENT_ROW)));
        sum += TableHandover.sumOfX(batches);
        last = now;
    }

    /** The answer line: OK COUNT SUM_BITS LAST_NS HISTOGRAM. */
    String answer(int count) {
        return "OK " + count + " " + Double.doubleToLongBits(sum) + " " + last + " " + BenchWorker.encode(latencies);
    }
}
