package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertContent;
import static dev.quiver.client.Fixtures.awaitEvent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.info;
import static dev.quiver.client.Fixtures.put;
import static dev.quiver.client.Fixtures.refCount;
import static dev.quiver.client.QuiverClient.NO_WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.testing.Patterns;
import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client hands out pins store memory and must be safe to hold: read views are read-only, write views live only
 * between create and seal or abort, closing releases exactly once, and nothing a closed client handed out can read
 * memory the store may reuse.
 */
class BufferLifecycleTest {
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
        reader.close();
        writer.close();
        store.close();
    }

    @Test
    void readViewsAreReadOnly() {
        ObjectId id = id("ro");
        put(writer, id, 100, 10, 1);
        try (ObjectBuffer b = reader.get(id, NO_WAIT).orElseThrow()) {
            assertThat(b.data().isReadOnly()).isTrue();
            assertThat(b.metadata().isReadOnly()).isTrue();
            assertThatThrownBy(() -> b.data().set(ValueLayout.JAVA_BYTE, 0, (byte) 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
            assertThatThrownBy(() -> b.metadata().set(ValueLayout.JAVA_BYTE, 0, (byte) 1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.data().fill((byte) 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> MemorySegment.copy(new byte[4], 0, b.data(), ValueLayout.JAVA_BYTE, 0, 4))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.data().asByteBuffer().put((byte) 1))
                    .isInstanceOf(ReadOnlyBufferException.class);
            assertContent(b, 100, 10, 1);
        }
        assertThat(writer.hash(id)).isEqualTo(Patterns.digest(100, 10, 1));
    }

    @Test
    void aWriteViewIsUnusableAfterSeal() {
        ObjectId id = id("sealed");
        WritableObject w = writer.create(id, 64, 8, NO_WAIT);
        MemorySegment data = w.data();
        MemorySegment meta = w.metadata();
        Patterns.fill(data, meta, 2);
        w.seal();
        assertThatThrownBy(() -> data.set(ValueLayout.JAVA_BYTE, 0, (byte) 9)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> data.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> meta.set(ValueLayout.JAVA_BYTE, 0, (byte) 9)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> w.data().fill((byte) 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(w::seal).isInstanceOf(IllegalStateException.class).hasMessageContaining("sealed");
        assertThatThrownBy(w::abort).isInstanceOf(IllegalStateException.class).hasMessageContaining("sealed");
        try (ObjectBuffer b = reader.get(id, NO_WAIT).orElseThrow()) {
            assertContent(b, 64, 8, 2);
        }
        w.close();
    }

    @Test
    void aWriteViewIsUnusableAfterAbortAndTheObjectLeavesNoTrace() {
        ObjectId id = id("aborted");
        WritableObject w = writer.create(id, 1000, 0, NO_WAIT);
        MemorySegment data = w.data();
        data.fill((byte) 1);
        assertThat(writer.stats().used()).isEqualTo(1024);
        w.abort();
        assertThat(w.isWritable()).isFalse();
        assertThat(w.isSealed()).isFalse();
        assertThatThrownBy(() -> data.set(ValueLayout.JAVA_BYTE, 0, (byte) 9)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> data.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(w::seal).isInstanceOf(IllegalStateException.class).hasMessageContaining("aborted");
        w.close();
        w.close();
        assertThat(info(writer, id)).isEmpty();
        assertThat(writer.stats().used()).isZero();
        assertThat(reader.get(id, NO_WAIT)).isEmpty();
        try (WritableObject again = writer.create(id, 10)) {
            again.seal();
        }
    }

    @Test
    void closingAWriterThatWasNeverSealedAbortsIt() {
        ObjectId id = id("forgotten");
        MemorySegment data;
        try (WritableObject w = writer.create(id, 100)) {
            data = w.data();
            data.fill((byte) 3);
        }
        assertThatThrownBy(() -> data.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThat(info(writer, id)).isEmpty();
        assertThat(writer.stats().used()).isZero();
    }

    @Test
    void aBuffersViewsAreUnusableAfterClose() {
        ObjectId id = id("closed");
        put(writer, id, 100, 10, 1);
        ObjectBuffer b = reader.get(id, NO_WAIT).orElseThrow();
        MemorySegment data = b.data();
        MemorySegment meta = b.metadata();
        MemorySegment slice = data.asSlice(10, 10);
        assertThat(b.isOpen()).isTrue();
        b.close();
        assertThat(b.isOpen()).isFalse();
        assertThatThrownBy(() -> data.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> meta.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> slice.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.data().asByteBuffer().get(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closeReleasesExactlyOnce() {
        ObjectId id = id("once");
        WritableObject w = writer.create(id, 10);
        w.seal();
        ObjectBuffer first = reader.get(id, NO_WAIT).orElseThrow();
        ObjectBuffer second = reader.get(id, NO_WAIT).orElseThrow();
        assertThat(refCount(reader, id)).as("creator and two buffers").isEqualTo(3);

        first.close();
        assertThat(refCount(reader, id)).isEqualTo(2);
        first.close();
        first.close();
        assertThat(refCount(reader, id)).as("a second close changes nothing").isEqualTo(2);
        assertThat(second.data().get(ValueLayout.JAVA_BYTE, 9)).as("still readable").isZero();

        w.close();
        assertThat(refCount(writer, id)).isEqualTo(1);
        w.close();
        assertThat(refCount(writer, id)).isEqualTo(1);

        second.close();
        second.close();
        assertThat(refCount(reader, id)).isZero();
        assertThat(reader.stats().pinned()).isZero();
        assertThat(reader.stats().evictable()).isEqualTo(64);
    }

    @Test
    void whenAClientClosesItsViewsThrowAndTheStoreDropsEverythingItHeld() {
        ObjectId x = id("x"), y = id("y"), unsealed = id("unsealed"), sealedOpen = id("sealed-open");
        put(writer, x, 100, 0, 1);
        put(writer, y, 100, 0, 2);
        ObjectBuffer bx = reader.get(x, NO_WAIT).orElseThrow();
        ObjectBuffer by = reader.get(y, NO_WAIT).orElseThrow();
        MemorySegment xData = bx.data();
        WritableObject w = reader.create(unsealed, 100, 10, NO_WAIT);
        MemorySegment wData = w.data();
        wData.fill((byte) 4);
        WritableObject s = reader.create(sealedOpen, 10, 0, NO_WAIT);
        s.seal(); // its creator reference is still held
        assertThat(refCount(writer, x)).isEqualTo(1);
        assertThat(writer.delete(y)).as("held by the reader").isEqualTo(DeleteOutcome.DEFERRED);

        try (Subscription sub = writer.subscribe()) {
            reader.close();
            assertThat(reader.isConnected()).isFalse();
            assertThatThrownBy(() -> xData.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> by.data().get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> wData.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> w.data().set(ValueLayout.JAVA_BYTE, 0, (byte) 1))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(bx.isOpen()).isFalse();
            bx.close();
            w.close();
            s.close();
            reader.close();
            assertThatThrownBy(() -> reader.get(x, NO_WAIT)).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining(store.socket().toString());

            // The store released the reader's reference to y when it saw the connection close: y is freed now.
            awaitEvent(sub, ObjectEvent.Kind.DELETED, y);
            assertThat(refCount(writer, x)).isZero();
            assertThat(refCount(writer, sealedOpen)).isZero();
            assertThat(info(writer, unsealed)).as("aborted").isEmpty();
            StoreStats stats = writer.stats();
            assertThat(stats.pinned()).isZero();
            assertThat(stats.used()).isEqualTo(128 + 64);
            assertThat(stats.clients()).as("the writer and its subscription").isEqualTo(2);
        }
        Fixtures.assertIntact(writer, x, 100, 0, 1);
    }

    @Test
    void aBufferThatWasNeverClosedIsReleasedWhenCollected() {
        ObjectId id = id("dropped");
        put(writer, id, 10, 0, 1);
        try (Subscription sub = writer.subscribe()) {
            awaitEvent(sub, ObjectEvent.Kind.SEALED, id);
            ObjectBuffer forgotten = reader.get(id, NO_WAIT).orElseThrow();
            assertThat(writer.delete(id)).isEqualTo(DeleteOutcome.DEFERRED);
            // Reachable until the delete is answered (a collection before it would make it DELETED), then
            // forgotten: an interpreted frame keeps a local alive until it is overwritten.
            Reference.reachabilityFence(forgotten);
            forgotten = null;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                System.gc();
                Optional<ObjectEvent> e = sub.next(Duration.ofMillis(100));
                if (e.isPresent() && e.get().kind() == ObjectEvent.Kind.DELETED && e.get().id().equals(id)) {
                    break; // the cleaner released the reference, so the deferred delete went through
                }
                assertThat(System.nanoTime()).as("released within " + WAIT).isLessThan(deadline);
            }
        }
    }

    @Test
    void closingABufferWhileAnotherThreadIsInsideAnIoCallOnItsViewFailsWithoutLosingTheReference()
            throws IOException {
        ObjectId id = id("in-flight");
        int size = 512 << 10; // far more than a pipe holds: the sender's write cannot finish until we read
        put(writer, id, size, 0, 3);
        ObjectBuffer b = reader.get(id, NO_WAIT).orElseThrow();
        Pipe pipe = Pipe.open();
        Fixtures.Call<Integer> sender = sendThroughPipe(b.data(), pipe);
        ByteBuffer received = ByteBuffer.allocate(size);
        readAtLeast(pipe, received, 1); // the sender is inside its write now

        assertThatThrownBy(b::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("in use");
        assertThat(b.isOpen()).as("nothing changed").isTrue();
        assertThat(refCount(reader, id)).isEqualTo(1);

        readAtLeast(pipe, received, size);
        assertThat(sender.join()).isEqualTo(size);
        assertThat(received.flip()).isEqualTo(ByteBuffer.wrap(Patterns.data(size, 3)));
        b.close();
        assertThat(b.isOpen()).isFalse();
        assertThat(refCount(reader, id)).as("released once the I/O was over").isZero();
    }

    @Test
    void closingTheClientWhileAnotherThreadIsInsideAnIoCallOnAViewClosesEverythingElse() throws IOException {
        ObjectId x = id("in-flight"), y = id("idle");
        int size = 512 << 10;
        put(writer, x, size, 0, 4);
        put(writer, y, 10, 0, 5);
        ObjectBuffer bx = reader.get(x, NO_WAIT).orElseThrow();
        ObjectBuffer by = reader.get(y, NO_WAIT).orElseThrow();
        assertThat(writer.delete(y)).isEqualTo(DeleteOutcome.DEFERRED);
        Pipe pipe = Pipe.open();
        Fixtures.Call<Integer> sender = sendThroughPipe(bx.data(), pipe);
        ByteBuffer received = ByteBuffer.allocate(size);
        readAtLeast(pipe, received, 1);

        try (Subscription sub = writer.subscribe()) {
            reader.close();
            assertThat(reader.isConnected()).isFalse();
            assertThatThrownBy(() -> by.data().get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            awaitEvent(sub, ObjectEvent.Kind.DELETED, y); // the store dropped the reader's references
            assertThat(refCount(writer, x)).isZero();
        }
        // The view in use was left mapped: the I/O completes with the right bytes instead of crashing the JVM.
        readAtLeast(pipe, received, size);
        assertThat(sender.join()).isEqualTo(size);
        assertThat(received.flip()).isEqualTo(ByteBuffer.wrap(Patterns.data(size, 4)));
        bx.close();
        assertThat(bx.isOpen()).isFalse();
    }

    private static Fixtures.Call<Integer> sendThroughPipe(MemorySegment view, Pipe pipe) {
        return Fixtures.inThread("sender", () -> {
            try {
                return pipe.sink().write(view.asByteBuffer());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void readAtLeast(Pipe pipe, ByteBuffer into, int total) throws IOException {
        while (into.position() < total) {
            if (pipe.source().read(into) < 0) {
                throw new AssertionError("pipe closed after " + into.position() + " bytes");
            }
        }
    }

}
