package dev.quiver.examples.objects;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.examples.Run;
import org.junit.jupiter.api.Test;

/** The objects demo: consumer JVMs read what the producer wrote, and say so with a CRC of the bytes they read. */
class ObjectsDemoTest {
    @Test
    void everyConsumerReadsTheProducersBytes() {
        Run r = Run.of("demo", "objects", "--consumers", "2", "--objects", "40", "--max-size", "256k", "--memory",
                "64m", "--seed", "7");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("All checks passed.").doesNotContain("FAIL").contains("Producer: 40 objects");
        String crc = r.out().lines().filter(l -> l.startsWith("Producer:")).findFirst().orElseThrow()
                .replaceAll(".*CRC-32C (\\p{XDigit}{8})$", "$1");
        // Each consumer's row: its count, its CRC (computed from the bytes it read) equal to the producer's, exit 0.
        assertThat(r.out().lines().filter(l -> l.matches("\\s*[01]\\s+40\\s.*\\s" + crc + "\\s+ok\\s+yes\\s+0")))
                .hasSize(2);
        assertThat(r.out().lines().filter(l -> l.startsWith("  ok      consumer "))).hasSize(2);
    }

    /** The check compares what the consumer read with what was written: any difference is a failure. */
    @Test
    void aConsumerThatReadOtherBytesFails() {
        ObjectsDemo.Produced produced = new ObjectsDemo.Produced(40, 4096, "1a2b3c4d");
        assertThat(produced.matches("RESULT 40 4096 1a2b3c4d ok".split(" "))).isTrue();
        assertThat(produced.matches("RESULT 40 4096 1a2b3c4e ok".split(" "))).as("other bytes").isFalse();
        assertThat(produced.matches("RESULT 39 4096 1a2b3c4d ok".split(" "))).as("an object short").isFalse();
        assertThat(produced.matches("RESULT 40 4088 1a2b3c4d ok".split(" "))).as("bytes short").isFalse();
        assertThat(produced.matches("RESULT 40 4096 1a2b3c4d MISMATCH".split(" "))).as("a digest wrong").isFalse();
        assertThat(produced.matches(new String[0])).as("no result").isFalse();
    }

    @Test
    void demoRejectsNonsense() {
        Run r = Run.of("demo", "objects", "--consumers", "0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--consumers >= 1");
    }
}
