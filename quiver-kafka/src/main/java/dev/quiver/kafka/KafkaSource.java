package dev.quiver.kafka;

import dev.quiver.arrow.StoredTable;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Where a batch that {@link TopicToStream} put into a Quiver stream came from: the Kafka record's topic, partition,
 * offset and timestamp. The bridge writes them into the batch's Arrow schema metadata ({@link KafkaHeaders}
 * {@code quiver.kafka.*}), so any reader of the stream can tell duplicates apart: within a partition offsets only
 * grow, so a batch whose offset is not above the highest one seen from its partition is a duplicate.
 *
 * @param topic       the source topic
 * @param partition   the source partition
 * @param offset      the record's offset in that partition
 * @param timestampMs the record's timestamp (epoch milliseconds)
 */
public record KafkaSource(String topic, int partition, long offset, long timestampMs) {

    /** The origin of a batch read from a stream that {@link TopicToStream} fills, if it carries one. */
    public static Optional<KafkaSource> of(StoredTable table) {
        return of(table.schema().getCustomMetadata());
    }

    /**
     * The origin recorded in Arrow schema metadata, if any.
     *
     * @throws IllegalArgumentException if the metadata records an origin that does not parse (it was altered: a
     *                                  reader must not take such a batch for one without an origin)
     */
    public static Optional<KafkaSource> of(Map<String, String> metadata) {
        if (metadata == null || !metadata.containsKey(KafkaHeaders.SOURCE_OFFSET)) {
            return Optional.empty();
        }
        String topic = metadata.get(KafkaHeaders.SOURCE_TOPIC);
        if (topic == null) {
            throw new IllegalArgumentException("the batch records a Kafka offset but no " + KafkaHeaders.SOURCE_TOPIC
                    + ": " + metadata);
        }
        try {
            return Optional.of(new KafkaSource(topic, Integer.parseInt(metadata.get(KafkaHeaders.SOURCE_PARTITION)),
                    Long.parseLong(metadata.get(KafkaHeaders.SOURCE_OFFSET)),
                    Long.parseLong(metadata.getOrDefault(KafkaHeaders.SOURCE_TIMESTAMP, "-1"))));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the batch's Kafka origin does not parse (" + e.getMessage() + "): "
                    + metadata, e);
        }
    }

    /** Formats positions (partition to offset) as the {@value KafkaHeaders#SOURCE_POSITIONS} metadata value. */
    static String formatPositions(SortedMap<Integer, Long> positions) {
        StringBuilder b = new StringBuilder();
        positions.forEach((p, o) -> b.append(b.isEmpty() ? "" : ",").append(p).append(':').append(o));
        return b.toString();
    }

    /**
     * Parses a {@value KafkaHeaders#SOURCE_POSITIONS} value ({@code partition:offset,...}).
     *
     * @throws IllegalArgumentException if it is absent or does not parse
     */
    static SortedMap<Integer, Long> parsePositions(String s) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException("no " + KafkaHeaders.SOURCE_POSITIONS + " value");
        }
        SortedMap<Integer, Long> positions = new TreeMap<>();
        for (String pair : s.split(",")) {
            int colon = pair.indexOf(':');
            try {
                positions.put(Integer.parseInt(pair.substring(0, Math.max(colon, 0)).trim()),
                        Long.parseLong(pair.substring(colon + 1).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(KafkaHeaders.SOURCE_POSITIONS + " '" + s + "' does not parse: '"
                        + pair + "' is not partition:offset", e);
            }
        }
        return positions;
    }
}
