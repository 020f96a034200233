package dev.quiver.client;

import static dev.quiver.client.Fixtures.refCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreServer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link QuiverClient#getLater}: a get sent before the object exists, its answer taken or dropped later. */
class PendingGetTest {
    @TempDir
    Path dir;
    StoreServer store;
    QuiverClient writer;
    QuiverClient reader;

    @BeforeEach
    void start() {
        store = Fixtures.store(dir, 1 << 20);
        writer = QuiverClient.connect(store.socket());
        reader = QuiverClient.connect(store.socket());
    }

    @AfterEach
    void stop() {
        writer.close();
        reader.close();
        store.close();
    }

    @Test
    void aGetSentBeforeTheObjectExistsIsAnsweredWithItOncePublished() {
        ObjectId id = ObjectId.random();
        PendingGet pending = reader.getLater(id, Fixtures.WAIT.toMillis());
        assertThat(pending.id()).isEqualTo(id);
        try (WritableObject w = writer.create(id, 64)) {
            w.data().set(ValueLayout.JAVA_LONG, 0, 42L);
            w.publish();
            try (ObjectBuffer b = pending.await().orElseThrow()) {
                assertThat(b.data().get(ValueLayout.JAVA_LONG, 0)).isEqualTo(42L);
                assertThat(refCount(reader, id)).as("the writer's and the pending get's").isEqualTo(2);
            }
        }
        // both closes give their references back without waiting, on two connections
        Fixtures.awaitCondition(() -> refCount(reader, id) == 0, Fixtures.WAIT);
    }

    @Test
    void anObjectThatNeverComesIsAnEmptyAnswerAfterTheTimeout() {
        PendingGet pending = reader.getLater(ObjectId.random(), 20);
        assertThat(pending.await()).isEmpty();
        assertThat(reader.isConnected()).isTrue();
    }

    @Test
    void theAnswerIsTakenOnce() {
        ObjectId id = ObjectId.random();
        writer.createAndSeal(id, MemorySegment.ofArray(new byte[8]),
                MemorySegment.ofArray(new byte[0]));
        Fixtures.awaitCondition(() -> refCount(reader, id) == 0, Fixtures.WAIT); // the writer's, given back async
        PendingGet pending = reader.getLater(id, QuiverClient.NO_WAIT);
        try (ObjectBuffer b = pending.await().orElseThrow()) {
            assertThatThrownBy(pending::await).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("taken or dropped");
            pending.close(); // after the answer was taken: does not give back the buffer's reference
            assertThat(refCount(reader, id)).isEqualTo(1);
            assertThat(b.data().get(ValueLayout.JAVA_BYTE, 0)).isZero();
        }
        assertThat(refCount(reader, id)).isZero();
    }

    @Test
    void aDroppedGetGivesBackTheReferenceItsAnswerBrings() {
        ObjectId id = ObjectId.random();
        PendingGet pending = reader.getLater(id, Fixtures.WAIT.toMillis());
        pending.close(); // before the store could answer: the object does not exist yet
        assertThatThrownBy(pending::await).isInstanceOf(IllegalStateException.class);
        try (WritableObject w = writer.create(id, 8)) {
            w.seal(); // answers the pending get: the reader's client holds a reference until it gives it back
        }
        Fixtures.awaitCondition(() -> refCount(writer, id) == 0, Fixtures.WAIT);
        assertThat(writer.delete(id)).as("nothing holds it any more").isEqualTo(DeleteOutcome.DELETED);
    }
}
