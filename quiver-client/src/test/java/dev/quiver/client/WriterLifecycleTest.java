package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.refCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreServer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's side: Plasma's create-seal-release, forgotten writers, interrupts, failed createAndSeal. */
class WriterLifecycleTest {
    private static final long CAPACITY = 1 << 20;

    @TempDir
    Path dir;
    StoreServer store;
    QuiverClient writer;
    QuiverClient other;

    @BeforeEach
    void start() {
        store = Fixtures.store(dir, CAPACITY);
        writer = QuiverClient.connect(store.socket());
        other = QuiverClient.connect(store.socket());
    }

    @AfterEach
    void stop() {
        writer.close();
        other.close();
        store.close();
    }

    @Test
    void plasmaSequenceCreateSealReleaseReturnsTheCreatorsReferenceExactlyOnce() {
        ObjectId id = ObjectId.random();
        WritableObject w = writer.create(id, 100);
        writer.seal(id);
        assertThat(refCount(other, id)).isEqualTo(1);

        writer.release(id);
        writer.stats(); // a round trip after the (unanswered) release: the store has handled it
        assertThat(refCount(other, id)).isZero();

        w.close(); // already released: nothing more goes to the store
        assertThatThrownBy(() -> writer.release(id)).isInstanceOf(InvalidRequestException.class);
        writer.stats();
        assertThat(refCount(other, id)).isZero();
        assertThat(other.stats().evictable()).isEqualTo(128);
    }

    @Test
    void anUnsealedWriterThatIsGarbageCollectedIsAbortedAndItsMemoryFreed() throws Exception {
        forgetUnsealedWriter(ObjectId.random()); // it takes the whole store
        // A create that waits for memory completes only once the cleaner has aborted the forgotten object.
        CompletableFuture<WritableObject> waiting = CompletableFuture.supplyAsync(
                () -> other.create(ObjectId.random(), CAPACITY, 0, QuiverClient.WAIT_FOREVER));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!waiting.isDone()) {
            System.gc();
            try {
                waiting.get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException notYet) {
                assertThat(System.nanoTime()).as("aborted within " + WAIT).isLessThan(deadline);
            }
        }
        try (WritableObject w = waiting.join()) {
            assertThat(w.data().byteSize()).isEqualTo(CAPACITY);
            assertThat(other.list()).singleElement().satisfies(i -> assertThat(i.id()).isEqualTo(w.id()));
        }
    }

    private void forgetUnsealedWriter(ObjectId id) {
        writer.create(id, CAPACITY).data().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1);
    }

    @Test
    void aSealedWriterThatIsGarbageCollectedReleasesItsReference() {
        ObjectId id = ObjectId.random();
        WritableObject forgotten = writer.create(id, 10);
        forgotten.seal();
        try (Subscription sub = other.subscribe()) {
            assertThat(other.delete(id)).isEqualTo(DeleteOutcome.DEFERRED); // the forgotten writer still holds it
            // Reachable until the delete is answered (a collection before it would make it DELETED), then
            // forgotten: an interpreted frame keeps a local alive until it is overwritten.
            Reference.reachabilityFence(forgotten);
            forgotten = null;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                System.gc();
                Optional<ObjectEvent> e = sub.next(Duration.ofMillis(100));
                if (e.isPresent() && e.get().kind() == ObjectEvent.Kind.DELETED && e.get().id().equals(id)) {
                    break; // the cleaner released the creator's reference, so the deferred delete went through
                }
                assertThat(System.nanoTime()).as("released within " + WAIT).isLessThan(deadline);
            }
        }
    }


    @Test
    void anInterruptDoesNotCostTheClientItsConnection() {
        ObjectId id = ObjectId.random();
        Fixtures.put(writer, id, 10, 0, 1);
        ObjectBuffer first = writer.get(id, 0).orElseThrow();
        ObjectBuffer second = writer.get(id, 0).orElseThrow();

        Thread.currentThread().interrupt();
        try {
            // A blocking call either answers the interrupt, as blocking Java calls do, or its reply was quicker ...
            try {
                assertThat(writer.contains(id)).isTrue();
            } catch (QuiverException e) {
                assertThat(e).hasMessageContaining("interrupted");
            }
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
            // ... and a call that does not wait goes through.
            first.close();
        } finally {
            Thread.interrupted();
        }
        assertThat(writer.isConnected()).isTrue();
        writer.stats();
        assertThat(refCount(other, id)).isEqualTo(1); // the second buffer's reference survived
        second.close();
        writer.stats();
        assertThat(refCount(other, id)).isZero();
    }

    @Test
    void createAndSealFromAnUnreadableSourceFailsAndLeavesNoTrace() {
        MemorySegment gone;
        try (Arena a = Arena.ofConfined()) {
            gone = a.allocate(100);
        }
        ObjectId id = ObjectId.random();
        MemorySegment source = gone;
        assertThatThrownBy(() -> writer.createAndSeal(id, source, MemorySegment.NULL))
                .isInstanceOf(IllegalStateException.class);
        writer.stats(); // a round trip after the abort: the store has handled it
        assertThat(other.list()).isEmpty();
        assertThat(other.stats().used()).isZero();
    }
}
