package dev.quiver.kafka;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.StoreArrowReader;
import dev.quiver.arrow.StoredTable;
import dev.quiver.client.QuiverClient;
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
    public static Optional<KafkaSource> of(ArrowStore arrow, StoredTable table) {
        return of(metadata(arrow, table));
    }

    /**
     * The schema metadata of a table read from the store: the table's own, or, if it has none (a {@code StoredTable}
     * that does not keep schema metadata), read again from the object's IPC schema message (zero-copy).
     */
    static Map<String, String> metadata(ArrowStore arrow, StoredTable table) {
        Map<String, String> meta = table.schema().getCustomMetadata();
        if (meta != null && !meta.isEmpty()) {
            return meta;
        }
        try (StoreArrowReader reader = arrow.reader(table.id(), QuiverClient.NO_WAIT)) {
            Map<String, String> read = reader.getVectorSchemaRoot().getSchema().getCustomMetadata();
            return read == null ? Map.of() : read;
        } catch (Exception e) {
            return Map.of(); // gone meanwhile (retention): no origin to tell
        }
    }

    /** The origin recorded in Arrow schema metadata, if any. */
    public static Optional<KafkaSource> of(Map<String, String> metadata) {
        if (metadata == null || !metadata.containsKey(KafkaHeaders.SOURCE_OFFSET)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new KafkaSource(metadata.get(KafkaHeaders.SOURCE_TOPIC),
                    Integer.parseInt(metadata.get(KafkaHeaders.SOURCE_PARTITION)),
                    Long.parseLong(metadata.get(KafkaHeaders.SOURCE_OFFSET)),
                    Long.parseLong(metadata.getOrDefault(KafkaHeaders.SOURCE_TIMESTAMP, "-1"))));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Formats positions (partition to offset) as the {@value KafkaHeaders#SOURCE_POSITIONS} metadata value. */
    static String formatPositions(SortedMap<Integer, Long> positions) {
        StringBuilder b = new StringBuilder();
        positions.forEach((p, o) -> b.append(b.isEmpty() ? "" : ",").append(p).append(':').append(o));
        return b.toString();
    }

    /** Parses a {@value KafkaHeaders#SOURCE_POSITIONS} value; empty if absent or malformed. */
    static SortedMap<Integer, Long> parsePositions(String s) {
        SortedMap<Integer, Long> positions = new TreeMap<>();
        if (s == null || s.isBlank()) {
            return positions;
        }
        try {
            for (String pair : s.split(",")) {
                int colon = pair.indexOf(':');
                positions.put(Integer.parseInt(pair.substring(0, colon).trim()),
                        Long.parseLong(pair.substring(colon + 1).trim()));
            }
        } catch (RuntimeException e) {
            positions.clear();
        }
        return positions;
    }
}
