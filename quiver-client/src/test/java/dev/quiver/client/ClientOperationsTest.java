package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertContent;
import static dev.quiver.client.Fixtures.assertIntact;
import static dev.quiver.client.Fixtures.awaitEvent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.info;
import static dev.quiver.client.Fixtures.nextEvent;
import static dev.quiver.client.Fixtures.put;
import static dev.quiver.client.Fixtures.refCount;
import static dev.quiver.client.QuiverClient.NO_WAIT;
import static dev.quiver.client.QuiverClient.WAIT_FOREVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.client.testing.Blocking;
import dev.quiver.client.testing.Patterns;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.store.StoreServer;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every client operation against a real store over its socket, with the semantics Plasma documented: two-stage
 * create and seal, gets that block until sealed, timeouts, metadata, repeated ids, deferred deletes, eviction, hashes,
 * subscriptions, list and stats.
 */
class ClientOperationsTest {
    private static final long CAPACITY = 4 << 20;

    @TempDir
    Path dir;
    StoreServer store;
    QuiverClient writer;
    QuiverClient reader;

    @BeforeEach
    void start() {
        store = Fixtures.store(dir, CAPACITY);
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
    void aClientKnowsItsStoreAndItsMappingOfTheArena() {
        assertThat(writer.isConnected()).isTrue();
        assertThat(writer.socket()).isEqualTo(store.socket());
        assertThat(writer.arenaPath()).isEqualTo(store.arenaPath()).isEqualTo(reader.arenaPath());
        assertThat(writer.capacity()).isEqualTo(store.capacity()).isEqualTo(CAPACITY);
        assertThat(writer.clientId()).isPositive().isNotEqualTo(reader.clientId());
        assertThat(writer.arenaAddress()).as("each client maps the arena on its own")
                .isNotZero().isNotEqualTo(reader.arenaAddress());
        try (WritableObject w = writer.create(id("placed"), 100)) {
            assertThat(w.data().address()).isBetween(writer.arenaAddress(),
                    writer.arenaAddress() + writer.capacity() - 100);
            w.seal();
        }
        try (ObjectBuffer b = reader.get(id("placed"), NO_WAIT).orElseThrow()) {
            assertThat(b.data().address()).isBetween(reader.arenaAddress(),
                    reader.arenaAddress() + reader.capacity() - 100);
            assertThat(b.toString()).contains(id("placed").toString(), "100 + 0 bytes");
        }
    }

    @Test
    void anObjectIsInvisibleBetweenCreateAndSealAndVisibleWithItsRecordAfterwards() {
        ObjectId id = id("two-stage");
        long before = System.currentTimeMillis();
        WritableObject w = writer.create(id, 100, 10, NO_WAIT);
        assertThat(w.isWritable()).isTrue();
        assertThat(w.isSealed()).isFalse();
        assertThat(w.id()).isEqualTo(id);
        assertThat(w.data().byteSize()).isEqualTo(100);
        assertThat(w.metadata().byteSize()).isEqualTo(10);

        assertThat(reader.contains(id)).isFalse();
        assertThat(reader.get(id, NO_WAIT)).isEmpty();
        ObjectInfo created = info(reader, id).orElseThrow();
        assertThat(created.state()).isEqualTo(ObjectState.CREATED);
        assertThat(created.refCount()).as("the creator's reference").isEqualTo(1);
        assertThat(created.dataSize()).isEqualTo(100);
        assertThat(created.metadataSize()).isEqualTo(10);
        assertThat(created.constructNanos()).isEqualTo(-1);
        assertThat(created.digest()).isZero();
        assertThatThrownBy(() -> reader.hash(id)).isInstanceOf(ObjectNotSealedException.class)
                .hasMessageContaining(id.toString());

        Patterns.fill(w.data(), w.metadata(), 7);
        w.seal();
        long after = System.currentTimeMillis();
        assertThat(w.isSealed()).isTrue();
        assertThat(w.isWritable()).isFalse();
        assertThat(reader.contains(id)).isTrue();

        try (ObjectBuffer b = reader.get(id, NO_WAIT).orElseThrow()) {
            assertThat(b.id()).isEqualTo(id);
            assertContent(b, 100, 10, 7);
            ObjectInfo sealed = info(reader, id).orElseThrow();
            assertThat(sealed.state()).isEqualTo(ObjectState.SEALED);
            assertThat(sealed.refCount()).as("creator and reader").isEqualTo(2);
            assertThat(sealed.constructNanos()).isNotNegative();
            assertThat(sealed.createTimeMillis()).isBetween(before, after);
            assertThat(sealed.digest()).isEqualTo(reader.hash(id)).isEqualTo(Patterns.digest(100, 10, 7))
                    .isEqualTo(Patterns.digest(b));
        }
        assertThat(refCount(reader, id)).as("after the reader's close").isEqualTo(1);
        w.close();
        assertThat(refCount(writer, id)).as("after the writer's close").isZero();
    }

    @Test
    void metadataGivenAtCreateIsCopiedInAndReadBack() {
        ObjectId id = id("with-metadata");
        byte[] meta = Patterns.metadata(33, 9);
        try (WritableObject w = writer.create(id, 200, MemorySegment.ofArray(meta))) {
            assertThat(w.metadata().byteSize()).isEqualTo(33);
            MemorySegment.copy(MemorySegment.ofArray(Patterns.data(200, 9)), 0, w.data(), 0, 200);
            w.seal();
        }
        try (ObjectBuffer b = reader.get(id, WAIT_FOREVER).orElseThrow()) {
            assertContent(b, 200, 33, 9);
        }
        ObjectInfo i = info(reader, id).orElseThrow();
        assertThat(i.dataSize()).isEqualTo(200);
        assertThat(i.metadataSize()).isEqualTo(33);
    }

    @Test
    void anEmptyObjectOccupiesOneBlock() {
        ObjectId id = id("empty");
        try (WritableObject w = writer.create(id, 0)) {
            w.seal();
        }
        try (ObjectBuffer b = reader.get(id, NO_WAIT).orElseThrow()) {
            assertThat(b.data().byteSize()).isZero();
            assertThat(b.metadata().byteSize()).isZero();
        }
        assertThat(reader.stats().used()).isEqualTo(64);
        assertThat(reader.hash(id)).isEqualTo(Patterns.digest(0, 0, 0));
    }

    @Test
    void plasmaStyleSealAbortAndReleaseById() {
        ObjectId a = id("a");
        ObjectId b = id("b");
        WritableObject wa = writer.create(a, 8);
        Patterns.fill(wa.data(), wa.metadata(), 1);
        writer.seal(a);
        assertThat(wa.isSealed()).isTrue();
        WritableObject wb = writer.create(b, 8);
        writer.abort(b);
        assertThat(wb.isWritable()).isFalse();
        assertThat(writer.contains(b)).isFalse();
        assertThat(info(writer, b)).isEmpty();
        assertThatThrownBy(() -> writer.seal(b)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("not writing object " + b);
        wa.close();

        ObjectBuffer first = reader.get(a, NO_WAIT).orElseThrow();
        ObjectBuffer second = reader.get(a, NO_WAIT).orElseThrow();
        assertThat(refCount(reader, a)).isEqualTo(2);
        reader.release(a);
        assertThat(refCount(reader, a)).isEqualTo(1);
        assertThat(List.of(first.isOpen(), second.isOpen())).containsExactlyInAnyOrder(true, false);
        reader.release(a);
        assertThat(refCount(reader, a)).isZero();
        assertThat(first.isOpen()).isFalse();
        assertThat(second.isOpen()).isFalse();
        assertThatThrownBy(() -> reader.release(a)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("holds no open buffer of object " + a);
    }

    @Test
    void aGetWithTimeoutZeroAnswersAtOnceWithAbsentEntriesAsNull() {
        ObjectId present = id("present");
        ObjectId missing = id("missing");
        put(writer, present, 10, 0, 1);
        WritableObject unsealed = writer.create(missing, 10);

        List<ObjectBuffer> got = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> reader.get(List.of(present, missing), NO_WAIT));
        assertThat(got).hasSize(2);
        assertThat(got.get(0)).isNotNull();
        assertThat(got.get(1)).as("unsealed is absent").isNull();
        assertThat(assertTimeoutPreemptively(Duration.ofSeconds(10), () -> reader.get(missing, NO_WAIT))).isEmpty();
        assertThat(refCount(reader, present)).isEqualTo(1);
        got.get(0).close();
        unsealed.close();
    }

    @Test
    void aGetWithTimeoutNAnswersAbsentAfterNMillisecondsAndKeepsWhatWasThere() {
        ObjectId present = id("present");
        ObjectId missing = id("missing");
        put(writer, present, 10, 0, 1);

        long start = System.nanoTime();
        Optional<ObjectBuffer> none = reader.get(missing, 200);
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(none).isEmpty();
        assertThat(waited).as("the get waited its timeout").isGreaterThanOrEqualTo(200);

        List<ObjectBuffer> got = reader.get(List.of(present, missing), 100);
        assertThat(got.get(0)).isNotNull();
        assertThat(got.get(1)).isNull();
        assertContent(got.get(0), 10, 0, 1);
        assertThat(refCount(reader, present)).as("the present entry holds a reference").isEqualTo(1);
        got.get(0).close();
        assertThat(refCount(reader, present)).isZero();
    }

    @Test
    void aGetInOneThreadBlocksUntilAnotherThreadSeals() {
        for (long timeout : new long[] {WAIT_FOREVER, 60_000}) {
            ObjectId id = id("late-" + timeout);
            Fixtures.Call<Optional<ObjectBuffer>> getter = Fixtures.inThread("getter", () -> reader.get(id, timeout));
            Blocking.awaitBlockedInStoreCall(getter.thread(), WAIT);
            assertThat(reader.contains(id)).isFalse(); // answered after the store registered the pending get
            WritableObject w = writer.create(id, 64, 8, NO_WAIT);
            Patterns.fill(w.data(), w.metadata(), 3);
            assertThat(writer.contains(id)).isFalse();
            assertThat(getter.result()).as("not woken by the create").isNotDone();
            w.seal();
            try (ObjectBuffer b = getter.join().orElseThrow(() -> new AssertionError("not woken by the seal"))) {
                assertContent(b, 64, 8, 3);
            }
            w.close();
        }
    }

    @Test
    void aRepeatedIdInOneGetGivesOneBufferAndOneReferencePerOccurrence() {
        ObjectId a = id("a");
        ObjectId absent = id("absent");
        put(writer, a, 50, 5, 2);
        List<ObjectBuffer> got = reader.get(List.of(a, a, absent, a), NO_WAIT);
        assertThat(got.get(2)).isNull();
        List<ObjectBuffer> bufs = List.of(got.get(0), got.get(1), got.get(3));
        assertThat(bufs).doesNotHaveDuplicates().allSatisfy(b -> assertContent(b, 50, 5, 2));
        assertThat(refCount(reader, a)).isEqualTo(3);
        for (int i = 0; i < bufs.size(); i++) {
            bufs.get(i).close();
            bufs.get(i).close();
            assertThat(refCount(reader, a)).isEqualTo(2 - i);
        }

        ObjectId c = id("c");
        Fixtures.Call<List<ObjectBuffer>> waiting = Fixtures.inThread("getter",
                () -> reader.get(List.of(c, c), WAIT_FOREVER));
        Blocking.awaitBlockedInStoreCall(waiting.thread(), WAIT);
        reader.contains(c);
        try (WritableObject w = writer.create(c, 10, 0, NO_WAIT)) {
            Patterns.fill(w.data(), w.metadata(), 4);
            w.seal();
            List<ObjectBuffer> woken = waiting.join();
            assertThat(woken).hasSize(2).doesNotContainNull().doesNotHaveDuplicates();
            assertThat(refCount(reader, c)).as("creator plus two occurrences").isEqualTo(3);
            woken.forEach(ObjectBuffer::close);
            assertThat(refCount(reader, c)).as("only the creator's").isEqualTo(1);
        }
        assertThat(refCount(writer, c)).isZero();
    }

    @Test
    void aDeleteOfAnObjectInUseIsDeferredUntilItsLastReferenceGoes() {
        ObjectId x = id("x");
        put(writer, x, 100, 0, 3);
        try (Subscription sub = writer.subscribe()) {
            awaitEvent(sub, ObjectEvent.Kind.SEALED, x);
            ObjectBuffer held = reader.get(x, NO_WAIT).orElseThrow();

            assertThat(writer.delete(x)).isEqualTo(DeleteOutcome.DEFERRED);
            assertThat(writer.contains(x)).isFalse();
            assertThat(writer.get(x, NO_WAIT)).isEmpty();
            assertThatThrownBy(() -> writer.hash(x)).isInstanceOf(ObjectNotFoundException.class);
            assertThatThrownBy(() -> writer.create(x, 10)).isInstanceOf(ObjectExistsException.class)
                    .hasMessageContaining("still in use");
            assertThat(writer.stats().used()).as("memory stays allocated while in use").isEqualTo(128);
            assertContent(held, 100, 0, 3);

            held.close();
            ObjectEvent deleted = awaitEvent(sub, ObjectEvent.Kind.DELETED, x);
            assertThat(deleted.dataSize()).isEqualTo(100);
            assertThat(writer.stats().used()).isZero();
            assertThat(writer.stats().objects()).isZero();
            try (WritableObject again = writer.create(x, 10)) {
                again.seal();
            }
            assertThat(writer.contains(x)).isTrue();
        }
    }

    @Test
    void deleteReportsAnOutcomePerObject() {
        ObjectId free = id("free");
        ObjectId missing = id("missing");
        ObjectId unsealed = id("unsealed");
        ObjectId held = id("held");
        put(writer, free, 10, 0, 1);
        put(writer, held, 10, 0, 1);
        WritableObject w = writer.create(unsealed, 10);
        ObjectBuffer b = reader.get(held, NO_WAIT).orElseThrow();

        assertThat(writer.delete(List.of(free, missing, unsealed, held))).containsExactly(DeleteOutcome.DELETED,
                DeleteOutcome.NOT_FOUND, DeleteOutcome.NOT_SEALED, DeleteOutcome.DEFERRED);
        assertThatThrownBy(() -> writer.delete(missing)).isInstanceOf(ObjectNotFoundException.class)
                .hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> writer.delete(unsealed)).isInstanceOf(ObjectNotSealedException.class)
                .hasMessageContaining("seal or abort");
        assertThat(writer.contains(free)).isFalse();
        b.close();
        w.close();
    }

    @Test
    void evictFreesLeastRecentlyReleasedUnreferencedObjectsAndReturnsExactBytes() {
        ObjectId a = id("a"), b = id("b"), c = id("c"), d = id("d"), e = id("e"), f = id("f");
        put(writer, a, 1, 0, 1);     //   64
        put(writer, b, 64, 0, 2);    //   64
        put(writer, c, 65, 10, 3);   //  128
        put(writer, d, 1000, 0, 4);  // 1024
        put(writer, e, 0, 0, 5);     //   64
        reader.get(b, NO_WAIT).orElseThrow().close(); // b is now the most recently released
        ObjectBuffer heldD = reader.get(d, NO_WAIT).orElseThrow();
        WritableObject unsealedF = writer.create(f, 100);
        // Evictable, least recently released first: a, c, e, b. d is referenced, f unsealed.
        try (Subscription sub = writer.subscribe()) {
            assertThat(reader.evict(1)).isEqualTo(64);
            awaitEvent(sub, ObjectEvent.Kind.DELETED, a);
            assertThat(reader.evict(129)).as("c then e").isEqualTo(128 + 64);
            assertThat(reader.contains(List.of(a, b, c, d, e))).containsExactly(false, true, false, true, false);
            assertThat(reader.evict(Long.MAX_VALUE)).as("b, the last evictable").isEqualTo(64);
            assertThat(reader.evict(1)).as("nothing left to evict").isZero();
            assertThat(reader.contains(List.of(b, d))).containsExactly(false, true);
            StoreStats s = reader.stats();
            assertThat(s.evictedObjects()).isEqualTo(4);
            assertThat(s.evictedBytes()).isEqualTo(64 + 128 + 64 + 64);
            assertThat(s.used()).isEqualTo(1024 + 128);
            assertContent(heldD, 1000, 0, 4);
        }
        assertThat(info(writer, f).orElseThrow().state()).isEqualTo(ObjectState.CREATED);
        heldD.close();
        unsealedF.close();
    }

    @Test
    void theHashIsEqualForEqualContents() {
        ObjectId p = id("p"), q = id("q"), r = id("r"), s = id("s");
        put(writer, p, 1000, 20, 5);
        put(reader, q, 1000, 20, 5);
        put(writer, r, 1000, 20, 6);
        try (WritableObject w = writer.create(s, 1000, 20, NO_WAIT)) {
            Patterns.fill(w.data(), w.metadata(), 5);
            w.seal();
        }
        assertThat(reader.hash(p)).isEqualTo(reader.hash(q)).isEqualTo(writer.hash(s))
                .isEqualTo(Patterns.digest(1000, 20, 5));
        assertThat(reader.hash(r)).isNotEqualTo(reader.hash(p)).isEqualTo(Patterns.digest(1000, 20, 6));
        assertThatThrownBy(() -> reader.hash(id("nothing"))).isInstanceOf(ObjectNotFoundException.class);
    }

    @Test
    void aLateSubscriberReceivesTheObjectsAlreadySealedFirstThenEachSealAndDelete() {
        List<ObjectId> early = List.of(id("s1"), id("s2"), id("s3"));
        for (int i = 0; i < early.size(); i++) {
            put(writer, early.get(i), 10 * (i + 1), i, i);
        }
        ObjectId gone = id("gone");
        put(writer, gone, 5, 0, 9);
        writer.delete(gone);
        ObjectId late = id("late");
        WritableObject w = writer.create(late, 7, 3, NO_WAIT);
        Patterns.fill(w.data(), w.metadata(), 8);

        try (Subscription sub = reader.subscribe()) {
            for (int i = 0; i < early.size(); i++) {
                ObjectEvent e = nextEvent(sub);
                assertThat(e.kind()).isEqualTo(ObjectEvent.Kind.SEALED);
                assertThat(e.id()).isEqualTo(early.get(i));
                assertThat(e.dataSize()).isEqualTo(10 * (i + 1));
                assertThat(e.metadataSize()).isEqualTo(i);
                assertThat(e.digest()).isEqualTo(Patterns.digest(10 * (i + 1), i, i));
            }
            w.seal();
            ObjectEvent sealed = sub.next(); // waits as long as it takes
            assertThat(sealed).isEqualTo(new ObjectEvent(ObjectEvent.Kind.SEALED, late, 7, 3,
                    Patterns.digest(7, 3, 8)));
            w.close();
            writer.delete(early.getFirst());
            ObjectEvent deleted = nextEvent(sub);
            assertThat(deleted.kind()).isEqualTo(ObjectEvent.Kind.DELETED);
            assertThat(deleted.id()).isEqualTo(early.getFirst());
            assertThat(sub.next(Duration.ZERO)).isEmpty();
        }
    }

    @Test
    void statsReportMemoryObjectsClientsAndEvictions() {
        StoreStats empty = reader.stats();
        assertThat(empty.capacity()).isEqualTo(store.capacity()).isEqualTo(reader.capacity()).isEqualTo(CAPACITY);
        assertThat(empty).isEqualTo(new StoreStats(CAPACITY, 0, 0, 0, 0, 2, 0, 0));

        ObjectId a = id("a");
        put(reader, a, 1000, 0, 1);
        assertThat(reader.stats()).isEqualTo(new StoreStats(CAPACITY, 1024, 0, 1024, 1, 2, 0, 0));
        ObjectBuffer held = reader.get(a, NO_WAIT).orElseThrow();
        assertThat(reader.stats()).isEqualTo(new StoreStats(CAPACITY, 1024, 1024, 0, 1, 2, 0, 0));
        WritableObject unsealed = reader.create(id("b"), 100);
        assertThat(reader.stats()).isEqualTo(new StoreStats(CAPACITY, 1152, 1152, 0, 2, 2, 0, 0));
        Subscription sub = writer.subscribe();
        assertThat(reader.stats().clients()).as("a subscription is a connection of its own").isEqualTo(3);
        sub.close();
        held.close();
        assertThat(reader.stats().evictable()).isEqualTo(1024);
        assertThat(reader.evict(1)).isEqualTo(1024);
        StoreStats after = reader.stats();
        assertThat(after.used()).isEqualTo(128);
        assertThat(after.pinned()).isEqualTo(128);
        assertThat(after.evictable()).isZero();
        assertThat(after.objects()).isEqualTo(1);
        assertThat(after.evictedObjects()).isEqualTo(1);
        assertThat(after.evictedBytes()).isEqualTo(1024);
        unsealed.close();
        assertThat(reader.stats().used()).isZero();
    }

    @Test
    void listAndBatchesSpanSeveralFrames() {
        int n = 5000; // more than one listing frame (4096 entries each)
        List<QuiverClient.ObjectData> objects = IntStream.range(0, n)
                .mapToObj(i -> new QuiverClient.ObjectData(id("many-" + i),
                        MemorySegment.ofArray(Patterns.data(1 + i % 7, i)))).toList();
        writer.createAndSeal(objects);
        List<ObjectInfo> all = writer.list();
        assertThat(all).hasSize(n).allSatisfy(i -> {
            assertThat(i.state()).isEqualTo(ObjectState.SEALED);
            assertThat(i.refCount()).isZero();
        });
        List<ObjectId> ids = objects.stream().map(QuiverClient.ObjectData::id).toList();
        assertThat(all.stream().map(ObjectInfo::id)).containsExactlyInAnyOrderElementsOf(ids);
        boolean[] present = reader.contains(ids);
        assertThat(present).hasSize(n).doesNotContain(false);
        List<ObjectBuffer> got = reader.get(ids, NO_WAIT);
        for (int i = 0; i < n; i++) {
            assertContent(got.get(i), 1 + i % 7, 0, i);
        }
        assertThat(reader.stats().pinned()).isEqualTo(64L * n);
        got.forEach(ObjectBuffer::close);
        assertThat(reader.stats().pinned()).isZero();
        assertThat(writer.delete(ids)).hasSize(n).containsOnly(DeleteOutcome.DELETED);
        assertThat(writer.list()).isEmpty();
    }

    @Test
    void aCreateBatchIsAllOrNothing() {
        ObjectId existing = id("existing");
        put(writer, existing, 10, 0, 1);
        ObjectId n1 = id("n1"), n2 = id("n2");
        MemorySegment small = MemorySegment.ofArray(new byte[10]);

        assertThatThrownBy(() -> writer.createAndSeal(List.of(new QuiverClient.ObjectData(n1, small),
                new QuiverClient.ObjectData(existing, small), new QuiverClient.ObjectData(n2, small))))
                .isInstanceOf(ObjectExistsException.class).hasMessageContaining(existing.toString());
        assertThatThrownBy(() -> writer.createAndSeal(List.of(new QuiverClient.ObjectData(n1, small),
                new QuiverClient.ObjectData(n1, small))))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("appears twice");
        MemorySegment big = MemorySegment.ofArray(new byte[(int) (CAPACITY / 2)]);
        assertThatThrownBy(() -> writer.createAndSeal(List.of(new QuiverClient.ObjectData(n1, big),
                new QuiverClient.ObjectData(n2, big), new QuiverClient.ObjectData(id("n3"), small))))
                .isInstanceOf(StoreFullException.class);
        assertThat(writer.list()).extracting(ObjectInfo::id).containsExactly(existing);
        assertThat(writer.stats().used()).isEqualTo(64);
        assertIntact(writer, existing, 10, 0, 1);

        writer.createAndSeal(List.of(new QuiverClient.ObjectData(n1, small), new QuiverClient.ObjectData(n2, small)));
        assertThat(reader.contains(List.of(n1, n2))).containsExactly(true, true);
    }
}
