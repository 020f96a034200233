package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of what the shelf reads from bytes it did not write itself (Jazzer): an object's metadata
 * ({@link ShelfKeys#parse}: a shelf tag or null, never an exception) and the schema at the start of an object
 * ({@link ShelfArrow#readSchema}: a schema or an {@link ArrowFormatException}). {@code ./mvnw verify} replays the seed
 * corpus under {@code src/test/resources/dev/quiver/arrow/ShelfReadersFuzzTestInputs/}; docs/testing.md says how to
 * fuzz.
 */
class ShelfReadersFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void metadata(byte[] bytes) {
        ShelfKeys.Tag tag = ShelfKeys.parse(MemorySegment.ofArray(bytes));
        if (tag == null) {
            return;
        }
        // What it accepts is a tag the shelf could have written: a valid key, and it reads back the same.
        ShelfKeys.validate(tag.key());
        if (tag.version() < 0 || tag.rows() < 0) {
            throw new AssertionError("a negative version or row count accepted: " + tag);
        }
        ShelfKeys.Tag again = ShelfKeys.parse(MemorySegment.ofArray(ShelfKeys.metadata(tag.key(), tag.version(),
                tag.rows())));
        if (!tag.equals(again)) {
            throw new AssertionError(tag + " parsed from the bytes, but " + again + " from its own metadata");
        }
    }

    /** The seed corpus holds what the shelf writes (so fuzzing starts from there), and one plain stream's metadata. */
    @Test
    void theSeedCorpusIsWhatTheShelfReads() throws Exception {
        List<Path> metadata = FuzzCorpus.seeds(ShelfReadersFuzzTest.class, "metadata");
        assertThat(metadata).extracting(p -> p.getFileName().toString())
                .contains("shelf-table", "later-parameter", "plain-stream");
        for (Path seed : metadata) {
            ShelfKeys.Tag tag = ShelfKeys.parse(MemorySegment.ofArray(Files.readAllBytes(seed)));
            if (seed.endsWith("plain-stream")) {
                assertThat(tag).as(seed.toString()).isNull();
            } else {
                assertThat(tag).as(seed.toString()).isNotNull();
            }
        }
        List<Path> schemas = FuzzCorpus.seeds(ShelfReadersFuzzTest.class, "schema");
        assertThat(schemas).isNotEmpty();
        for (Path seed : schemas) {
            assertThat(ShelfArrow.readSchema(MemorySegment.ofArray(Files.readAllBytes(seed)))).as(seed.toString())
                    .isNotNull();
        }
    }

    @FuzzTest(maxDuration = "60s")
    void schema(byte[] bytes) {
        try {
            Schema schema = ShelfArrow.readSchema(MemorySegment.ofArray(bytes));
            if (schema == null) {
                throw new AssertionError("readSchema returned null");
            }
        } catch (ArrowFormatException e) {
            if (!e.getMessage().startsWith("a shelf object does not start with an Arrow schema: ")) {
                throw new AssertionError("an ArrowFormatException that does not say what is wrong", e);
            }
        }
    }
}
