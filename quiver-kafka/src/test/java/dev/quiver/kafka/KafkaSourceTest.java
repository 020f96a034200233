package dev.quiver.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A batch's Kafka origin in its schema metadata: absent is empty, altered is an error, never taken for absent. */
class KafkaSourceTest {

    @Test
    void anOriginIsReadBackAndAnAbsentOneIsEmpty() {
        assertThat(KafkaSource.of(Map.of(KafkaHeaders.SOURCE_TOPIC, "t", KafkaHeaders.SOURCE_PARTITION, "2",
                KafkaHeaders.SOURCE_OFFSET, "41", KafkaHeaders.SOURCE_TIMESTAMP, "1700000000000")))
                .contains(new KafkaSource("t", 2, 41, 1_700_000_000_000L));
        assertThat(KafkaSource.of(Map.of())).isEmpty();
        assertThat(KafkaSource.of((Map<String, String>) null)).isEmpty();
    }

    @Test
    void anAlteredOriginIsAnError() {
        assertThatThrownBy(() -> KafkaSource.of(Map.of(KafkaHeaders.SOURCE_TOPIC, "t", KafkaHeaders.SOURCE_PARTITION,
                "two", KafkaHeaders.SOURCE_OFFSET, "41"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not parse");
        assertThatThrownBy(() -> KafkaSource.of(Map.of(KafkaHeaders.SOURCE_OFFSET, "41")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no " + KafkaHeaders.SOURCE_TOPIC);
    }

    @Test
    void positionsRoundTripAndBadOnesAreErrors() {
        TreeMap<Integer, Long> positions = new TreeMap<>(Map.of(0, 7L, 3, 12L));
        assertThat(KafkaSource.formatPositions(positions)).isEqualTo("0:7,3:12");
        assertThat(KafkaSource.parsePositions("0:7,3:12")).isEqualTo(positions);
        for (String bad : new String[] {null, "", "0=7", "0:7,x:1", "0:"}) {
            assertThatThrownBy(() -> KafkaSource.parsePositions(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
