package dev.quiver.bench;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.client.QuiverClient;
import dev.quiver.kafka.ArrowCodec;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The worker's side of section 5 ({@link StreamSweep}): reads COUNT batches of a Quiver stream or of a Kafka topic,
 * and for each, the time from its send (column {@code t} of its first row, the producer's {@link System#nanoTime()},
 * one clock for the machine's processes) until this process had it as Arrow vectors.
 *
 * <pre>
 * stream-quiver NAME COUNT             READY once reading, then OK COUNT SUM_BITS LAST_NS HISTOGRAM
 * stream-kafka BOOTSTRAP TOPIC COUNT   the same, from partition 0 of the topic
 * </pre>
 */
final class StreamConsumer {
    private static final Duration WAIT = Duration.ofMinutes(1);

    private final Histogram latencies = new Histogram(3);
    private double sum;
    private long last;

    static String fromQuiver(QuiverClient client, BufferAllocator allocator, String name, int count, PrintStream out) {
        StreamConsumer c = new StreamConsumer();
        StreamReader reader = StreamReader.open(new ArrowStore(client, allocator), name, StreamReader.Start.at(0));
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

    private void took(List<VectorSchemaRoot> batches) {
        long now = System.nanoTime();
        long sent = ((BigIntVector) batches.getFirst().getVector("t")).get(0);
        latencies.recordValue(Math.max(0, now - sent));
        sum += TableHandover.sumOfX(batches);
        last = now;
    }

    private String answer(int count) {
        return "OK " + count + " " + Double.doubleToLongBits(sum) + " " + last + " " + BenchWorker.encode(latencies);
    }
}
