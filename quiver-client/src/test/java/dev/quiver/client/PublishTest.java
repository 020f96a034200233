package dev.quiver.client;

import static dev.quiver.client.Fixtures.refCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectState;
import dev.quiver.store.StoreServer;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link WritableObject#publish()}: readers get an object while its writer goes on writing it. */
class PublishTest {
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
    void aReaderSeesWhatTheWriterWritesAfterPublishing() {
        ObjectId id = ObjectId.random();
        try (WritableObject w = writer.create(id, 64)) {
            assertThat(reader.get(id, QuiverClient.NO_WAIT)).as("not before publish").isEmpty();
            w.publish();
            assertThat(w.isPublished()).isTrue();
            try (ObjectBuffer b = reader.get(id, QuiverClient.NO_WAIT).orElseThrow()) {
                w.data().set(ValueLayout.JAVA_LONG, 8, 42L); // written after the reader got it: same memory
                assertThat(b.data().get(ValueLayout.JAVA_LONG, 8)).isEqualTo(42L);
            }
            assertThatThrownBy(w::abort).isInstanceOf(IllegalStateException.class).hasMessageContaining("published");
            assertThat(w.isWritable()).as("the refused abort changed nothing").isTrue();
        } // close seals a published object, and sends the release without waiting
        assertThat(writer.contains(id)).isTrue(); // answered after the release: the store has taken it by now
        assertThat(reader.list()).singleElement().satisfies(o -> {
            assertThat(o.state()).isEqualTo(ObjectState.SEALED);
            assertThat(o.refCount()).isZero();
        });
        try (ObjectBuffer b = reader.get(id, QuiverClient.NO_WAIT).orElseThrow()) {
            assertThat(b.data().get(ValueLayout.JAVA_LONG, 8)).isEqualTo(42L);
        }
    }

    @Test
    void aPublishedObjectOutlivesItsWriterSealedAsItIs() {
        ObjectId id = ObjectId.random();
        WritableObject w = writer.create(id, 64);
        w.data().set(ValueLayout.JAVA_LONG, 0, 7L);
        w.publish();
        ObjectBuffer held = reader.get(id, QuiverClient.NO_WAIT).orElseThrow();
        CRC32C expected = new CRC32C();
        expected.update(held.data().toArray(ValueLayout.JAVA_BYTE)); // data, then no metadata
        try (Subscription events = reader.subscribe()) {
            writer.close(); // its connection ends with the object unsealed
            long deadline = System.nanoTime() + Fixtures.WAIT.toNanos();
            while (true) { // the store announces the seal it made
                assertThat(System.nanoTime()).as("sealed within " + Fixtures.WAIT).isLessThan(deadline);
                Optional<ObjectEvent> e = events.next(Duration.ofMillis(100));
                if (e.isPresent() && e.get().kind() == ObjectEvent.Kind.SEALED && e.get().id().equals(id)) {
                    break;
                }
            }
        }
        try (held) {
            assertThat(held.data().get(ValueLayout.JAVA_LONG, 0)).as("still readable").isEqualTo(7L);
        }
        reader.stats(); // a round trip of this client: its release is handled
        assertThat(refCount(reader, id)).isZero();
        assertThat(reader.list()).singleElement().satisfies(o -> assertThat(o.state()).isEqualTo(ObjectState.SEALED));
        assertThat(reader.hash(id)).as("the store's digest of the bytes, as a client computes it")
                .isEqualTo(expected.getValue());
    }
}
