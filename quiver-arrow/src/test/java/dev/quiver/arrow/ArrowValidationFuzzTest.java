package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of {@link ArrowValidation} (Jazzer) over arbitrary bytes read as an Arrow IPC stream and as
 * an Arrow IPC file, the way {@code quiver put} reads a file: the framing checked first, then Arrow Java's reader with
 * the schema and every record and dictionary batch validated before it is loaded, then the loaded table validated
 * fully. The validator must accept or refuse with an {@link ArrowFormatException}; anything else it throws is a
 * finding, and so is a value of an accepted table that lies outside its buffers. Arrow Java's own reader may refuse
 * bytes its own way (quiver put reports those too): that is not a finding here.
 *
 * <p>{@code ./mvnw verify} replays the seed corpus under
 * {@code src/test/resources/dev/quiver/arrow/ArrowValidationFuzzTestInputs/ipcBytes/}; docs/testing.md says how to
 * fuzz.
 */
class ArrowValidationFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void ipcBytes(byte[] bytes) {
        readAsStreamAndFile(bytes);
    }

    /**
     * The seed corpus holds valid inputs (so fuzzing starts from them), each read as a stream or as a file, and inputs
     * that fuzzing found, named {@code refused-*}, that must be refused.
     */
    @Test
    void theSeedCorpusIsValidArrowOrRefused() throws Exception {
        List<Path> seeds = FuzzCorpus.seeds(ArrowValidationFuzzTest.class, "ipcBytes");
        assertThat(seeds).hasSizeGreaterThanOrEqualTo(3);
        for (Path seed : seeds) {
            boolean refused = seed.getFileName().toString().startsWith("refused-");
            assertThat(readAsStreamAndFile(Files.readAllBytes(seed))).as(seed.toString()).isEqualTo(!refused);
        }
    }

    /**
     * Found by fuzzing: a schema whose union claims 2^30 type ids in 4 KB of metadata. Arrow Java allocates what the
     * flatbuffer claims before reading it (4 GiB here, an OutOfMemoryError in a smaller heap), so the framing check
     * and the shelf's schema reader must refuse it first.
     */
    @Test
    void aSchemaClaimingMoreThanItsBytesIsRefusedBeforeArrowReadsIt() throws Exception {
        byte[] bytes = Files.readAllBytes(FuzzCorpus.seeds(ArrowValidationFuzzTest.class, "ipcBytes").stream()
                .filter(p -> p.endsWith("refused-union-claiming-a-billion-type-ids")).findFirst().orElseThrow());

        assertThatThrownBy(() -> ArrowValidation.validateStreamFraming(MemorySegment.ofArray(bytes), "the file"))
                .isInstanceOf(ArrowFormatException.class)
                .hasMessageContaining("claims 1073741826 type ids of a union, more than its");
        assertThatThrownBy(() -> ShelfArrow.readSchema(MemorySegment.ofArray(bytes)))
                .isInstanceOf(ArrowFormatException.class)
                .hasMessageContaining("claims 1073741826 type ids of a union");
    }

    /**
     * Found by fuzzing: a dictionary of decimals whose precision is far beyond the 76 digits of the widest decimal.
     * Checking the values against 10^precision then took longer than fuzzing allows per input; the schema check
     * refuses it first.
     */
    @Test
    void aDecimalPrecisionBeyondItsWidthIsRefusedWithTheSchema() throws Exception {
        byte[] bytes = Files.readAllBytes(FuzzCorpus.seeds(ArrowValidationFuzzTest.class, "ipcBytes").stream()
                .filter(p -> p.endsWith("refused-decimal-precision-beyond-76")).findFirst().orElseThrow());
        Schema schema = ShelfArrow.readSchema(MemorySegment.ofArray(bytes));

        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(
                () -> ArrowValidation.validateSchema(schema)).isInstanceOf(ArrowFormatException.class)
                .hasMessageContaining("-bit decimal with a precision of").hasMessageContaining("digits; it holds 1 to"));
    }

    /**
     * Found by fuzzing: a file whose list column's last offset points far beyond its child's values. Arrow Java's
     * loader sizes the child by that offset (allocating a gigabyte here) before any check after loading could run,
     * so the check before the load must refuse it.
     */
    @Test
    void aListWhoseOffsetsOverrunItsChildIsRefusedBeforeArrowLoadsIt() throws Exception {
        byte[] bytes = Files.readAllBytes(FuzzCorpus.seeds(ArrowValidationFuzzTest.class, "ipcBytes").stream()
                .filter(p -> p.endsWith("refused-list-offsets-beyond-child")).findFirst().orElseThrow());
        ArrowValidation.validateFileFraming(MemorySegment.ofArray(bytes), "the file");

        try (BufferAllocator allocator = new RootAllocator();
             ArrowReader reader = ArrowValidation.fileReader(new ByteArrayReadableSeekableByteChannel(bytes),
                     allocator)) {
            assertThatThrownBy(() -> {
                while (reader.loadNextBatch()) {
                    // the first batch is refused
                }
            }).isInstanceOf(ArrowFormatException.class).hasMessageContaining("its offsets end at")
                    .hasMessageContaining("beyond the");
            assertThat(allocator.getAllocatedMemory()).as("nothing loaded, nothing held").isLessThan(1 << 20);
        }
    }

    /** True if the bytes read to their end, every batch validated, as a stream or as a file. */
    private static boolean readAsStreamAndFile(byte[] bytes) {
        MemorySegment segment = MemorySegment.ofArray(bytes);
        boolean read = false;
        if (validator(() -> ArrowValidation.validateStreamFraming(segment, "the input"))) {
            read = read(allocator -> ArrowValidation.streamReader(
                    Channels.newChannel(new ByteArrayInputStream(bytes)), allocator));
        }
        if (validator(() -> ArrowValidation.validateFileFraming(segment, "the input"))) {
            read |= read(allocator -> ArrowValidation.fileReader(new ByteArrayReadableSeekableByteChannel(bytes),
                    allocator));
        }
        return read;
    }

    /**
     * Reads every batch, validating each as quiver put does; what the validator accepts must be readable. True if
     * everything was read and accepted.
     */
    private static boolean read(Function<BufferAllocator, ArrowReader> open) {
        BufferAllocator allocator = new RootAllocator(); // one per input: a leak found is this input's
        boolean accepted = true;
        boolean arrowRefused = false;
        try (ArrowReader reader = open.apply(allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            while (reader.loadNextBatch()) {
                if (validator(() -> ArrowValidation.validateTable(root.getSchema(), List.of(root), reader))) {
                    for (FieldVector v : root.getFieldVectors()) {
                        touchEverything(v);
                    }
                } else {
                    accepted = false;
                }
            }
        } catch (ArrowFormatException e) {
            accepted = false; // the validator refused a schema or batch before it was loaded
        } catch (IOException | RuntimeException | StackOverflowError e) {
            if (thrownByTheValidator(e)) {
                throw new AssertionError("ArrowValidation threw " + e + " instead of an ArrowFormatException", e);
            }
            // Arrow Java's reader refused the bytes in its own way (quiver put reports both as "cannot read ... as an
            // Arrow IPC")
            accepted = false;
            arrowRefused = true;
        }
        if (arrowRefused && allocator.getAllocatedMemory() > 0) {
            // Arrow Java 19 leaks a message body whose buffer descriptors it cannot slice (MessageSerializer throws
            // before releasing it): its leak, on its own refusal, not the validator's. Left unclosed: closing would
            // only log it as an error.
            return false;
        }
        allocator.close(); // a buffer leaked on the way fails here, with Arrow's own message
        return accepted;
    }

    private static void touchEverything(FieldVector v) {
        for (int i = 0; i < v.getValueCount(); i++) {
            String rendered = ArrowChecks.render(v, i);
            if (rendered.contains("IndexOutOfBounds")) {
                throw new AssertionError("value " + i + " of " + v.getField() + " of a validated table lies outside "
                        + "its buffers: " + rendered);
            }
        }
    }

    /** Runs a check of ArrowValidation: true if it accepts, false if it refuses with an ArrowFormatException. */
    private static boolean validator(Runnable check) {
        try {
            check.run();
            return true;
        } catch (ArrowFormatException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("an ArrowFormatException without a message", e);
            }
            return false;
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError("ArrowValidation threw " + e + " instead of an ArrowFormatException", e);
        }
    }

    /** True if the exception came out of the validator (a bug: it may only refuse with an ArrowFormatException). */
    private static boolean thrownByTheValidator(Throwable e) {
        for (StackTraceElement frame : e.getStackTrace()) {
            String c = frame.getClassName().replaceFirst("\\$.*", ""); // nested classes count as their outer class
            if (c.equals(ArrowValidation.class.getName()) || c.equals(VectorValidator.class.getName())) {
                return true;
            }
        }
        return false;
    }
}
