package dev.quiver.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/** A stream reader of the benchmark takes batches in sequence only: a lost, repeated or reordered batch is an error. */
class StreamConsumerTest {
    @Test
    void takesBatchesInSequenceAndRefusesARepeatedOne() {
        try (BufferAllocator allocator = new RootAllocator();
             VectorSchemaRoot batch = StreamSweep.batch(allocator, 3)) {
            StreamConsumer c = new StreamConsumer();
            c.took(List.of(numbered(batch, 0)));
            c.took(List.of(numbered(batch, 1)));
            assertThatThrownBy(() -> c.took(List.of(numbered(batch, 1))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("batch 1 arrived where batch 2 was due");
            assertThatThrownBy(() -> c.took(List.of(numbered(batch, 3))))
                    .as("a lost batch").hasMessage("batch 3 arrived where batch 2 was due");
            c.took(List.of(numbered(batch, 2)));
            String[] answer = c.answer(3).split(" ");
            assertThat(answer[0]).isEqualTo("OK");
            assertThat(answer[1]).isEqualTo("3");
            assertThat(Double.longBitsToDouble(Long.parseLong(answer[2])))
                    .as("the refused batches were not summed").isEqualTo(3 * TableHandover.sumOfX(List.of(batch)));
        }
    }

    private static VectorSchemaRoot numbered(VectorSchemaRoot batch, long seq) {
        BigIntVector t = (BigIntVector) batch.getVector("t");
        t.set(StreamConsumer.SENT_ROW, System.nanoTime());
        t.set(StreamConsumer.SEQUENCE_ROW, seq);
        return batch;
    }
}
