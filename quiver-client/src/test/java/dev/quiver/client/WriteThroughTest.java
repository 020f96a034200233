package dev.quiver.client;

import static dev.quiver.client.DigestsTest.crc32c;
import static dev.quiver.client.DigestsTest.random;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.testing.Theories;
import dev.quiver.store.StoreServer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.generators.SourceDSL;

/**
 * {@link WritableObject#write}: the digest the store records is the CRC-32C of the bytes readers see, however the
 * object was written (the helper, several threads, the raw view afterwards, overlapping writes), and bad calls change
 * nothing.
 */
class WriteThroughTest {
    private static final long CAPACITY = 64L << 20;
    private static final Duration GUARD = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    StoreServer store;
    QuiverClient client;
    Arena arena;

    @BeforeEach
    void start() {
        store = Fixtures.store(dir, CAPACITY);
        client = QuiverClient.connect(store.socket());
        arena = Arena.ofShared();
    }

    @AfterEach
    void stop() {
        arena.close();
        client.close();
        store.close();
    }

    /** The stored bytes (data then metadata) as a reader sees them, and checks that the recorded digest is theirs. */
    private byte[] readBack(ObjectId id) {
        try (ObjectBuffer b = client.get(id, QuiverClient.NO_WAIT).orElseThrow()) {
            MemorySegment all = arena.allocate(b.data().byteSize() + b.metadata().byteSize() + 1);
            MemorySegment.copy(b.data(), 0, all, 0, b.data().byteSize());
            MemorySegment.copy(b.metadata(), 0, all, b.data().byteSize(), b.metadata().byteSize());
            MemorySegment bytes = all.asSlice(0, all.byteSize() - 1);
            assertThat(client.hash(id)).as("the digest recorded for " + id).isEqualTo(crc32c(bytes));
            return bytes.toArray(JAVA_BYTE);
        }
    }

    @Test
    void aPutThroughTheHelperRecordsTheCrcOfItsBytes() {
        Theories.check(25, qt -> qt.forAll(DigestsTest.sizes(), SourceDSL.integers().between(0, 300),
                SourceDSL.longs().all()).checkAssert((size, metadataSize, seed) -> {
                    ObjectId id = ObjectId.random();
                    MemorySegment source = random(arena, size, seed);
                    MemorySegment metadata = random(arena, metadataSize, ~seed);
                    try (WritableObject o = client.create(id, size, metadata)) {
                        o.write(0, source);
                        o.seal();
                    }
                    MemorySegment expected = arena.allocate(size + metadataSize + 1).asSlice(0, size + metadataSize);
                    MemorySegment.copy(source, 0, expected, 0, size);
                    MemorySegment.copy(metadata, 0, expected, size, metadataSize);
                    assertThat(readBack(id)).isEqualTo(expected.toArray(JAVA_BYTE));
                    assertThat(client.hash(id)).isEqualTo(crc32c(expected));
                    client.delete(id);
                }));
    }

    @Test
    void piecesFromSeveralThreadsAndUnwrittenGapsAreDigestedExactly() {
        long size = 3 * Digests.PARALLEL_FROM + 777;
        ObjectId id = ObjectId.random();
        MemorySegment source = random(arena, size, 11);
        assertTimeoutPreemptively(GUARD, () -> {
            try (WritableObject o = client.create(id, size)) {
                long half = size / 2;
                CompletableFuture<Void> other = CompletableFuture.runAsync(
                        () -> o.write(half, source.asSlice(half, size - half)));
                o.write(100, source.asSlice(100, half - 200)); // [0, 100) and [half - 100, half) left as they are
                other.join();
                o.seal();
            }
        });
        byte[] stored = readBack(id); // the digest matches whatever the gaps hold
        assertThat(MemorySegment.ofArray(stored).asSlice(100, size / 2 - 200).mismatch(
                source.asSlice(100, size / 2 - 200))).isEqualTo(-1);
    }

    @Test
    void sealDoesNotReadAgainWhatTheHelperDigested() {
        long size = Digests.PARALLEL_FROM + 5;
        ObjectId id = ObjectId.random();
        MemorySegment source = random(arena, size, 81);
        try (WritableObject o = client.create(id, size)) {
            o.write(0, source);
            // behind the writer's back (its region, not the data() view it hands out): seal must not see this
            o.writer.region.asSlice(size / 2, 1).fill((byte) ~source.getAtIndex(JAVA_BYTE, size / 2));
            o.seal();
        }
        assertThat(client.hash(id)).isEqualTo(crc32c(source));
    }

    @Test
    void bytesRewrittenThroughTheRawViewAfterTheHelperWroteThemAreDigestedAsTheyAre() {
        long size = Digests.PARALLEL_FROM + 5;
        ObjectId id = ObjectId.random();
        MemorySegment source = random(arena, size, 21);
        try (WritableObject o = client.create(id, size)) {
            o.write(0, source);
            o.data().asSlice(1_000, 50_000).fill((byte) 7); // the helper's digest of these bytes is stale now
            o.seal();
        }
        source.asSlice(1_000, 50_000).fill((byte) 7);
        assertThat(readBack(id)).isEqualTo(source.toArray(JAVA_BYTE));
        assertThat(client.hash(id)).isEqualTo(crc32c(source));
    }

    @Test
    void aRawViewHeldFromBeforeStillCountsWhenWritingAfterTheHelper() {
        long size = 100_000;
        ObjectId id = ObjectId.random();
        MemorySegment source = random(arena, size, 31);
        try (WritableObject o = client.create(id, size)) {
            MemorySegment raw = o.data();
            o.write(0, source);
            raw.asSlice(10, 10).fill((byte) 1);
            o.seal();
        }
        source.asSlice(10, 10).fill((byte) 1);
        assertThat(client.hash(id)).isEqualTo(crc32c(source));
    }

    @Test
    void overlappingHelperWritesAreDigestedAsTheyEndUp() {
        long size = 200_000;
        ObjectId id = ObjectId.random();
        MemorySegment first = random(arena, size, 41);
        MemorySegment second = random(arena, 50_000, 42);
        try (WritableObject o = client.create(id, size)) {
            o.write(0, first);
            o.write(120_000, second);
            o.seal();
        }
        first.asSlice(120_000, 50_000).copyFrom(second);
        assertThat(client.hash(id)).isEqualTo(crc32c(first));
    }

    @Test
    void writesOutOfRangeAreRefusedAndChangeNothing() {
        ObjectId id = ObjectId.random();
        MemorySegment source = random(arena, 1_000, 51);
        MemorySegment junk = random(arena, 1_001, 52);
        try (WritableObject o = client.create(id, 1_000)) {
            o.write(0, source);
            assertThatThrownBy(() -> o.write(-1, junk.asSlice(0, 10))).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("cannot write 10 bytes at offset -1 of object " + id)
                    .hasMessageContaining("its data holds 1000 bytes");
            assertThatThrownBy(() -> o.write(995, junk.asSlice(0, 6))).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("cannot write 6 bytes at offset 995");
            assertThatThrownBy(() -> o.write(0, junk)).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("cannot write 1001 bytes at offset 0");
            assertThatThrownBy(() -> o.write(Long.MAX_VALUE, junk.asSlice(0, 2)))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> o.write(0, null)).isInstanceOf(NullPointerException.class);
            o.write(1_000, MemorySegment.NULL); // an empty write at the end is fine
            o.seal();
        }
        assertThat(readBack(id)).isEqualTo(source.toArray(JAVA_BYTE));
        assertThat(client.hash(id)).isEqualTo(crc32c(source));
    }

    @Test
    void writesAfterSealOrAbortAreRefusedAndChangeNothing() {
        ObjectId id = ObjectId.random();
        MemorySegment source = random(arena, 1_000, 61);
        MemorySegment junk = random(arena, 10, 62);
        WritableObject o = client.create(id, 1_000);
        o.write(0, source);
        o.seal();
        assertThatThrownBy(() -> o.write(0, junk)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot write to object " + id + ": it is sealed");
        o.close();
        assertThatThrownBy(() -> o.write(0, junk)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("it is closed");
        assertThat(readBack(id)).isEqualTo(source.toArray(JAVA_BYTE));

        ObjectId aborted = ObjectId.random();
        WritableObject a = client.create(aborted, 1_000);
        a.abort();
        assertThatThrownBy(() -> a.write(0, junk)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("it is aborted");
        assertThat(client.contains(aborted)).isFalse();
    }

    @Test
    void createAndSealDigestsWhileCopyingLargeObjects() {
        long size = 2 * Digests.PARALLEL_FROM + 3;
        ObjectId id = ObjectId.random();
        MemorySegment data = random(arena, size, 71);
        MemorySegment metadata = random(arena, 33, 72);
        client.createAndSeal(id, data, metadata);
        MemorySegment expected = arena.allocate(size + 33);
        MemorySegment.copy(data, 0, expected, 0, size);
        MemorySegment.copy(metadata, 0, expected, size, 33);
        assertThat(readBack(id)).isEqualTo(expected.toArray(JAVA_BYTE));
    }

    @Test
    void aWriterThatOnlyCopiesInHasNoViewScopeToEndAndOneThatTakesAViewHasOne() {
        ObjectId copied = ObjectId.random();
        MemorySegment source = random(arena, 256, 81);
        try (WritableObject o = client.create(copied, 256, MemorySegment.ofArray(new byte[] {1, 2, 3}))) {
            o.write(0, source);
            o.seal();
            assertThat(o.writer.lease.generation.hasArena()).as("nothing to close at seal: no handshake").isFalse();
        }
        assertThat(readBack(copied)).startsWith(source.toArray(JAVA_BYTE)).endsWith(1, 2, 3);

        ObjectId viewed = ObjectId.random();
        try (WritableObject o = client.create(viewed, 256)) {
            MemorySegment view = o.data();
            view.copyFrom(source);
            o.seal();
            assertThat(o.writer.lease.generation.hasArena()).isTrue();
            assertThatThrownBy(() -> view.get(JAVA_BYTE, 0)).as("the view ended at seal")
                    .isInstanceOf(IllegalStateException.class);
        }
        assertThat(readBack(viewed)).isEqualTo(source.toArray(JAVA_BYTE));
    }

    @Test
    void aCopyInRacingAnAbortNeverLandsInTheMemoryOfTheNextObject() throws Exception {
        long size = 2 * Digests.PARALLEL_FROM; // copies long enough to be in progress when the abort comes
        MemorySegment ones = arena.allocate(size).fill((byte) 1);
        MemorySegment twos = arena.allocate(size).fill((byte) 2);
        for (int round = 0; round < 20; round++) {
            WritableObject first = client.create(ObjectId.random(), size);
            java.util.concurrent.CountDownLatch copying = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<Throwable> copier = CompletableFuture.supplyAsync(() -> {
                try {
                    while (true) {
                        first.write(0, ones);
                        copying.countDown();
                    }
                } catch (IllegalStateException e) {
                    return e; // the abort: no copy starts after it
                }
            });
            copying.await();
            first.abort();
            ObjectId nextId = ObjectId.random();
            WritableObject next = client.create(nextId, size);
            assertThat(next.writer.lease.offset).as("the store reuses the aborted block")
                    .isEqualTo(first.writer.lease.offset);
            next.write(0, twos);
            assertThat(assertTimeoutPreemptively(GUARD, () -> copier.get())).hasMessageContaining("aborted");
            next.seal();
            next.close();
            try (ObjectBuffer b = client.get(nextId, QuiverClient.NO_WAIT).orElseThrow()) {
                assertThat(b.data().mismatch(twos)).as("round %d: a copy into the aborted object landed in this one",
                        round).isEqualTo(-1);
            }
            client.delete(nextId);
        }
    }

    @Test
    void anObjectWithoutADigestIsCopiedInAsIsAndHashedFromItsBytesWhenAsked() throws Exception {
        long size = 2 * Digests.PARALLEL_FROM + 5;
        MemorySegment source = random(arena, size, 91);
        ObjectId id = ObjectId.random();
        try (Subscription events = client.subscribe();
             WritableObject o = client.create(id, size, 7, QuiverClient.NO_WAIT).withoutDigest()) {
            o.write(0, source);
            assertThat(o.writer.written.isOff()).as("the copy digested nothing").isTrue();
            o.seal();
            assertThatThrownBy(o::withoutDigest).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("it is sealed");
            ObjectEvent sealed = events.next(GUARD).orElseThrow();
            assertThat(sealed.id()).isEqualTo(id);
            assertThat(sealed.digest()).isEqualTo(QuiverClient.NO_DIGEST);
        }
        assertThat(client.list()).filteredOn(i -> i.id().equals(id)).singleElement()
                .satisfies(i -> assertThat(i.digest()).isEqualTo(QuiverClient.NO_DIGEST));
        byte[] bytes = readBackWithoutDigestCheck(id);
        assertThat(client.hash(id)).as("computed from the bytes").isEqualTo(crc32c(MemorySegment.ofArray(bytes)));
        assertThat(Fixtures.refCount(client, id)).as("hashing read the object and let it go").isZero();
    }

    /** The stored bytes, data then metadata. */
    private byte[] readBackWithoutDigestCheck(ObjectId id) {
        try (ObjectBuffer b = client.get(id, QuiverClient.NO_WAIT).orElseThrow()) {
            byte[] all = new byte[(int) (b.data().byteSize() + b.metadata().byteSize())];
            MemorySegment.copy(b.data(), JAVA_BYTE, 0, all, 0, (int) b.data().byteSize());
            MemorySegment.copy(b.metadata(), JAVA_BYTE, 0, all, (int) b.data().byteSize(), (int) b.metadata().byteSize());
            return all;
        }
    }
}
