package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreServer;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link QuiverClient#changeStamp}: another client's seal, delete or eviction of a stamped object shows in the stamp as
 * soon as that client's call has returned, without a round trip; what does not change visibility leaves it alone.
 */
class ChangeStampTest {
    @TempDir
    Path dir;
    StoreServer store;
    QuiverClient reader;
    QuiverClient writer;

    @BeforeEach
    void start() {
        store = Fixtures.store(dir, 1L << 20);
        reader = QuiverClient.connect(store.socket());
        writer = QuiverClient.connect(store.socket());
    }

    @AfterEach
    void stop() {
        writer.close();
        reader.close();
        store.close();
    }

    private void put(ObjectId id) {
        writer.createAndSeal(id, MemorySegment.ofArray(new byte[100]), MemorySegment.NULL);
    }

    @Test
    void aSealShowsOnceItHasReturnedAndACreateDoesNot() {
        ObjectId id = ObjectId.forName("stamped");
        ChangeStamp stamp = reader.changeStamp(List.of(id));
        assertThat(stamp.unchanged()).isTrue();
        WritableObject w = writer.create(id, 100);
        assertThat(stamp.unchanged()).as("a create makes nothing visible").isTrue();
        w.seal();
        assertThat(stamp.unchanged()).as("after the seal returned").isFalse();
        w.close();
    }

    @Test
    void aDeleteDeferredOrNotAndAnEvictionShow() {
        ObjectId held = ObjectId.forName("held");
        ObjectId free = ObjectId.forName("free");
        put(held);
        put(free);
        try (ObjectBuffer b = reader.get(held, QuiverClient.NO_WAIT).orElseThrow()) {
            ChangeStamp stamp = reader.changeStamp(List.of(held));
            assertThat(writer.delete(held)).isEqualTo(DeleteOutcome.DEFERRED);
            assertThat(stamp.unchanged()).as("a deferred delete hides the object at once").isFalse();
        }
        ChangeStamp stamp = reader.changeStamp(List.of(free));
        assertThat(writer.evict(1L << 20)).isPositive();
        assertThat(reader.contains(free)).isFalse();
        assertThat(stamp.unchanged()).as("evicted").isFalse();
    }

    @Test
    void aStampIsNeverUnchangedOnceItsClientIsClosed() {
        ChangeStamp stamp = reader.changeStamp(List.of(ObjectId.forName("x")));
        assertThat(stamp.unchanged()).isTrue();
        reader.close();
        assertThat(stamp.unchanged()).isFalse();
        assertThat(reader.changeStamp(List.of(ObjectId.forName("x"))).unchanged()).isFalse();
    }
}
