package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertContent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static dev.quiver.client.Fixtures.refCount;
import static dev.quiver.client.QuiverClient.NO_WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreServer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ClientOptions#withBatchedViewEnds(boolean)}: buffers obtained together share one scope, ended once all of
 * them are closed, and the store hears of their closes then. The reader's own listings and statistics flush first
 * and are answered after its releases, so they show what the store has heard.
 */
class BatchedViewEndsTest {
    @TempDir
    Path dir;
    StoreServer store;
    QuiverClient writer;
    QuiverClient reader;

    @BeforeEach
    void start() {
        store = Fixtures.store(dir, 1 << 20);
        writer = QuiverClient.connect(store.socket());
        reader = QuiverClient.connect(store.socket(), ClientOptions.defaults().withBatchedViewEnds(true));
    }

    @AfterEach
    void stop() {
        reader.close();
        writer.close();
        store.close();
    }

    @Test
    void aClosedBuffersAccessorsThrowAtOnceAndItsViewsReadTheHeldBytesUntilTheyEnd() {
        ObjectId id = id("one");
        put(writer, id, 100, 10, 1);
        ObjectBuffer b = reader.get(id, NO_WAIT).orElseThrow();
        MemorySegment data = b.data();
        assertContent(b, 100, 10, 1);
        b.close();
        assertThatThrownBy(b::data).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(b::metadata).isInstanceOf(IllegalStateException.class);

        reader.flush();
        assertThatThrownBy(() -> data.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThat(refCount(reader, id)).as("the reference went back once the view ended").isZero();
    }

    @Test
    void withoutAFlushTheReferencesGoBackByThemselves() {
        ObjectId id = id("timer");
        put(writer, id, 64, 0, 2);
        for (int i = 0; i < 5; i++) {
            try (ObjectBuffer b = reader.get(id, NO_WAIT).orElseThrow()) {
                assertContent(b, 64, 0, 2);
            }
        }
        Fixtures.awaitCondition(() -> refCount(writer, id) == 0, WAIT);
    }

    @Test
    void buffersObtainedTogetherShareOneScopeUnlessBatchingIsOff() {
        ObjectId id = id("together");
        put(writer, id, 64, 0, 3);
        assertThat(scopesOfTen(reader, id)).as("batched: one scope").hasSize(1);
        assertThat(scopesOfTen(writer, id)).as("unbatched: a scope per buffer").hasSize(10);
        assertThat(refCount(reader, id)).isZero();
    }

    @Test
    void aBufferLeftOpenHoldsBackTheOthersOfItsGenerationUntilItCloses() {
        ObjectId kept = id("kept");
        ObjectId gone = id("gone");
        put(writer, kept, 64, 0, 4);
        put(writer, gone, 64, 0, 5);
        List<ObjectBuffer> both = reader.get(List.of(kept, gone), NO_WAIT);
        both.get(1).close();
        assertThat(refCount(reader, gone)).as("held back by the open buffer of its generation").isEqualTo(1);
        assertThat(reader.delete(gone)).isEqualTo(DeleteOutcome.DEFERRED);
        assertThat(reader.stats().objects()).as("the deleted object waits for its reference").isEqualTo(2);

        both.get(0).close();
        assertThat(reader.stats().objects()).as("the deferred delete completed").isEqualTo(1);
        assertThat(refCount(reader, kept)).isZero();
    }

    @Test
    void closingTheClientEndsEveryViewOfItsOpenBuffersAtOnce() {
        ObjectId id = id("end");
        put(writer, id, 64, 0, 6);
        ObjectBuffer open = reader.get(id, NO_WAIT).orElseThrow();
        MemorySegment openView = open.data();
        ObjectBuffer closed = reader.get(id, NO_WAIT).orElseThrow();
        MemorySegment closedView = closed.data();
        closed.close();
        reader.close();
        assertThatThrownBy(() -> openView.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> closedView.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        Fixtures.awaitCondition(() -> refCount(writer, id) == 0, WAIT);
    }

    /** The distinct scopes of ten buffers of one get, closed. */
    private static List<MemorySegment.Scope> scopesOfTen(QuiverClient client, ObjectId id) {
        List<MemorySegment.Scope> scopes = new ArrayList<>();
        for (ObjectBuffer b : client.get(java.util.Collections.nCopies(10, id), NO_WAIT)) {
            if (!scopes.contains(b.data().scope())) {
                scopes.add(b.data().scope());
            }
            b.close();
        }
        return scopes;
    }
}
