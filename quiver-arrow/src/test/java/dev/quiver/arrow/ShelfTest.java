package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.StoreUnavailableException;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.table.Table;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every Shelf call against a real store in this JVM. */
class ShelfTest {
    @TempDir
    Path dir;
    StoreServer store;
    BufferAllocator allocator;
    Shelf shelf;

    @BeforeEach
    void start() throws Exception {
        store = StoreServer.start(StoreConfig.of(64 << 20, dir.resolve("store.sock")));
        allocator = new RootAllocator();
        shelf = Shelf.connect(store.socket(), allocator);
    }

    @AfterEach
    void stop() {
        shelf.close();
        store.close();
        assertThat(allocator.getAllocatedMemory()).as("Arrow memory left allocated").isZero();
        allocator.close();
    }

    private String put(String key, long version) {
        try (VectorSchemaRoot root = ShelfTestTables.root(version, allocator)) {
            return shelf.put(key, root);
        }
    }

    @Test
    void putWithAGeneratedKeyThenGetListAndDelete() {
        String key;
        try (Table t = ShelfTestTables.table(1, allocator)) {
            key = shelf.put(t);
            assertThat(ShelfTestTables.verify(t)).as("the caller's table is untouched").isEqualTo(1);
        }
        assertThat(key).matches("[a-z]+-[a-z]+-[0-9]{4}");
        assertThat(shelf.listKeys()).containsExactly(key);
        assertThat(shelf.contains(key)).isTrue();

        try (Table copy = shelf.get(key)) {
            assertThat(ShelfTestTables.verify(copy)).isEqualTo(1);
            assertThat(copy.getRowCount()).isEqualTo(ShelfTestTables.rows(1));
        }
        assertThat(shelf.delete(key)).isTrue();
        assertThat(shelf.listKeys()).isEmpty();
        assertThat(shelf.contains(key)).isFalse();
        assertThat(shelf.delete(key)).as("nothing left to delete").isFalse();
        assertThatThrownBy(() -> shelf.get(key)).isInstanceOf(ShelfKeyNotFoundException.class)
                .hasMessageContaining("'" + key + "'").hasMessageContaining(store.socket().toString());
        assertThat(shelf.client().stats().objects()).isZero();
    }

    @Test
    void generatedKeysDiffer() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            try (VectorSchemaRoot root = ShelfTestTables.root(i, allocator)) {
                keys.add(shelf.put(root));
            }
        }
        assertThat(keys).doesNotHaveDuplicates();
        assertThat(shelf.listKeys()).containsExactlyInAnyOrderElementsOf(keys);
    }

    @Test
    void aChosenKeyIsRefusedWhenTakenUnlessReplacementIsAsked() {
        put("prices", 1);
        assertThatThrownBy(() -> put("prices", 2)).isInstanceOf(ShelfKeyExistsException.class)
                .hasMessageContaining("'prices'").hasMessageContaining("version 1").hasMessageContaining("replace");
        try (Table t = shelf.get("prices")) {
            assertThat(ShelfTestTables.verify(t)).as("the failed put changed nothing").isEqualTo(1);
        }

        try (VectorSchemaRoot root = ShelfTestTables.root(2, allocator)) {
            assertThat(shelf.put("prices", root, true)).isEqualTo("prices");
        }
        try (Table t = shelf.get("prices")) {
            assertThat(ShelfTestTables.verify(t)).isEqualTo(2);
        }
        assertThat(shelf.entry("prices").orElseThrow().version()).isEqualTo(2);
        // the replaced version is gone from the store: one object left
        assertThat(shelf.client().list()).hasSize(1);

        try (VectorSchemaRoot root = ShelfTestTables.root(3, allocator)) {
            shelf.put("fresh", root, true); // replace of an absent key is a put
        }
        assertThat(shelf.listKeys()).containsExactly("fresh", "prices");
    }

    @Test
    void keysAreValidatedWithClearMessages() {
        try (VectorSchemaRoot root = ShelfTestTables.root(1, allocator)) {
            assertThatThrownBy(() -> shelf.put("", root)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("empty");
            assertThatThrownBy(() -> shelf.put("a".repeat(129), root)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("129 characters").hasMessageContaining("128");
            assertThatThrownBy(() -> shelf.put("my table", root)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("U+0020").hasMessageContaining("position 2")
                    .hasMessageContaining("A-Z a-z 0-9 . _ -");
            assertThatThrownBy(() -> shelf.put("a/b", root)).hasMessageContaining("'/'");
            assertThatThrownBy(() -> shelf.put(".hidden", root)).hasMessageContaining("start with a letter or a digit");
            assertThatThrownBy(() -> shelf.put("café", root)).hasMessageContaining("'é'");
            assertThatThrownBy(() -> shelf.get("no such key!")).isInstanceOf(IllegalArgumentException.class);
            assertThat(shelf.client().list()).as("refused puts create nothing").isEmpty();

            for (String ok : List.of("a", "7", "Sales_2024.Q1-final", "x".repeat(128))) {
                assertThat(shelf.put(ok, root)).isEqualTo(ok);
            }
        }
        assertThat(shelf.listKeys()).hasSize(4);
    }

    @Test
    void getReturnsACopyThatOutlivesTheStore() throws Exception {
        put("kept", 5);
        Table copy;
        try (BufferAllocator mine = allocator.newChildAllocator("mine", 0, Long.MAX_VALUE)) {
            copy = shelf.get("kept", mine);
            assertThat(mine.getAllocatedMemory()).as("the copy is in the caller's allocator").isPositive();
            for (FieldVector v : ShelfArrow.view(copy).getFieldVectors()) {
                for (ArrowBuf b : v.getFieldBuffers()) {
                    long base = shelf.client().arenaAddress();
                    assertThat(b.memoryAddress() < base || b.memoryAddress() >= base + shelf.client().capacity())
                            .as("a copy's buffer lies outside the store's arena").isTrue();
                }
            }
            shelf.delete("kept");
            shelf.close();
            store.close();
            assertThat(ShelfTestTables.verify(copy)).as("readable with the store gone").isEqualTo(5);
            copy.close();
        }
    }

    @Test
    void getArrowIsZeroCopyAndHoldsItsVersionThroughReplacementAndDelete() {
        put("live", 1);
        try (StoredTable held = shelf.getArrow("live")) {
            for (FieldVector v : held.batches().getFirst().getFieldVectors()) {
                for (ArrowBuf b : v.getFieldBuffers()) {
                    assertThat(b.memoryAddress()).isBetween(shelf.client().arenaAddress(),
                            shelf.client().arenaAddress() + shelf.client().capacity());
                }
            }
            try (VectorSchemaRoot root = ShelfTestTables.root(2, allocator)) {
                shelf.put("live", root, true);
            }
            try (StoredTable now = shelf.getArrow("live")) {
                assertThat(ShelfTestTables.verify(now.batches())).isEqualTo(2);
            }
            assertThat(ShelfTestTables.verify(held.batches())).as("the holder still reads version 1").isEqualTo(1);
            shelf.delete("live");
            assertThat(shelf.listKeys()).isEmpty();
            assertThat(ShelfTestTables.verify(held.batches())).as("delete is deferred while held").isEqualTo(1);
            assertThat(shelf.client().stats().objects()).isEqualTo(1);
        }
        shelf.client().stats(); // a round trip after the asynchronous release
        assertThat(shelf.client().stats().objects()).as("freed once the holder closed it").isZero();
    }

    @Test
    void severalBatchesAreStoredAsOneTableAndConcatenatedByGet() {
        List<VectorSchemaRoot> batches = ShelfTestTables.batches(9, 4, allocator);
        try {
            ShelfEntry e = shelf.putBatches("batched", batches.getFirst().getSchema(), batches, null, false);
            assertThat(e.rows()).isEqualTo(ShelfTestTables.rows(9));
            assertThat(e.version()).isEqualTo(1);
            assertThat(e.key()).isEqualTo("batched");
        } finally {
            batches.forEach(VectorSchemaRoot::close);
        }
        try (StoredTable t = shelf.getArrow("batched")) {
            assertThat(t.batches()).hasSize(4);
            assertThat(ShelfTestTables.verify(t.batches())).isEqualTo(9);
        }
        try (Table copy = shelf.get("batched")) {
            assertThat(ShelfTestTables.verify(copy)).isEqualTo(9);
        }
        try (StoreArrowReader r = shelf.reader("batched")) {
            int n = 0;
            while (r.loadNextBatch()) {
                n++;
            }
            assertThat(n).isEqualTo(4);
        } catch (java.io.IOException ex) {
            throw new AssertionError(ex);
        }
        // putBatches with a null key generates one
        List<VectorSchemaRoot> more = ShelfTestTables.batches(10, 2, allocator);
        try {
            assertThat(shelf.putBatches(null, more.getFirst().getSchema(), more, null, false).key())
                    .matches("[a-z]+-[a-z]+-[0-9]{4}");
        } finally {
            more.forEach(VectorSchemaRoot::close);
        }
    }

    @Test
    void dictionaryEncodedColumnsRoundTripAndTheCopyOwnsItsDictionaries() {
        DictionaryEncoding encoding = new DictionaryEncoding(1, false, new ArrowType.Int(32, true));
        try (VarCharVector dictValues = new VarCharVector("colors", allocator);
             VarCharVector raw = new VarCharVector("color", allocator)) {
            String[] colors = {"red", "green", "blue"};
            for (int i = 0; i < colors.length; i++) {
                dictValues.setSafe(i, colors[i].getBytes(StandardCharsets.UTF_8));
            }
            dictValues.setValueCount(colors.length);
            for (int i = 0; i < 100; i++) {
                raw.setSafe(i, colors[i % 3].getBytes(StandardCharsets.UTF_8));
            }
            raw.setValueCount(100);
            Dictionary dictionary = new Dictionary(dictValues, encoding);
            DictionaryProvider.MapDictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider(dictionary);
            IntVector encoded = (IntVector) DictionaryEncoder.encode(raw, dictionary);
            encoded.getField(); // the encoded field carries the dictionary encoding
            try (Table t = new Table(List.of(encoded), 100, provider)) {
                shelf.put("colors", t);
            }
        }
        try (Table copy = shelf.get("colors")) {
            assertThat(copy.getSchema().getFields().getFirst().getDictionary()).isEqualTo(encoding);
            try (VarCharVector decoded = (VarCharVector) copy.decode("color", 1)) {
                assertThat(new String(decoded.get(4), StandardCharsets.UTF_8)).isEqualTo("green");
                assertThat(decoded.getValueCount()).isEqualTo(100);
            }
        } // closing the copy closes its dictionaries: the allocator check in stop() proves it
        try (StoredTable zeroCopy = shelf.getArrow("colors")) {
            assertThat(zeroCopy.dictionaries().lookup(1).getVector().getValueCount()).isEqualTo(3);
        }
    }

    @Test
    void entriesReportSchemaRowsSizeAndVersion() {
        put("a", 1);
        put("b", 2);
        try (VectorSchemaRoot root = ShelfTestTables.root(3, allocator)) {
            shelf.put("b", root, true);
        }
        List<ShelfEntry> entries = shelf.entries();
        assertThat(entries).extracting(ShelfEntry::key).containsExactly("a", "b");
        ShelfEntry b = entries.get(1);
        assertThat(b.version()).isEqualTo(2);
        assertThat(b.rows()).isEqualTo(ShelfTestTables.rows(3));
        assertThat(b.schema().getFields()).extracting(f -> f.getName())
                .containsExactly("version", "i", "value", "name", "checksum");
        ObjectInfo info = shelf.client().list().stream().filter(o -> o.id().equals(b.id())).findFirst().orElseThrow();
        assertThat(b.bytes()).isEqualTo(info.dataSize() + info.metadataSize());
        assertThat(shelf.entry("b")).contains(b);
        assertThat(shelf.entry("zzz")).isEmpty();
        // the object's metadata says what it is, readable by anyone
        try (ObjectBuffer o = shelf.client().get(b.id(), 0).orElseThrow()) {
            assertThat(new String(o.metadata().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                    StandardCharsets.US_ASCII)).isEqualTo("application/vnd.apache.arrow.stream; shelf-key=b; "
                    + "shelf-version=2; rows=" + ShelfTestTables.rows(3));
        }
    }

    @Test
    void memoryUsageCountsTheShelfsTablesAndTheStore() {
        assertThat(shelf.memoryUsage()).isEqualTo(new ShelfUsage(0, 0, 0, 64 << 20));
        put("a", 1);
        put("b", 2);
        // an object that is not on the shelf
        shelf.client().createAndSeal(ObjectId.random(), MemorySegment.ofArray(new byte[1000]), MemorySegment.NULL);

        ShelfUsage u = shelf.memoryUsage();
        long expected = 0;
        for (ShelfEntry e : shelf.entries()) {
            expected += (e.bytes() + 63) / 64 * 64;
        }
        assertThat(u.tables()).isEqualTo(2);
        assertThat(u.tableBytes()).isEqualTo(expected).isPositive();
        assertThat(u.storeUsed()).isEqualTo(expected + 1024);
        assertThat(u.storeCapacity()).isEqualTo(64 << 20);
        assertThat(u.storeFree()).isEqualTo((64 << 20) - expected - 1024);
    }

    @Test
    void deleteAllRemovesEveryTableAndNothingElse() {
        put("a", 1);
        put("b", 2);
        put("c", 3);
        ObjectId other = ObjectId.forName("not on the shelf");
        shelf.client().createAndSeal(other, MemorySegment.ofArray(new byte[10]),
                MemorySegment.ofArray(ArrowStore.STREAM_MEDIA_TYPE.getBytes(StandardCharsets.US_ASCII)));
        assertThat(shelf.deleteAll()).isEqualTo(3);
        assertThat(shelf.listKeys()).isEmpty();
        assertThat(shelf.memoryUsage().tables()).isZero();
        assertThat(shelf.client().contains(other)).isTrue();
        assertThat(shelf.deleteAll()).isZero();
    }

    @Test
    void concurrentPutsOfOneNewKeyLetExactlyOneWin() throws Exception {
        int writers = 6;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                long version = 100 + w;
                results.add(pool.submit(() -> {
                    try (VectorSchemaRoot root = ShelfTestTables.root(version, allocator)) {
                        go.await();
                        shelf.put("contested", root);
                        return true;
                    } catch (ShelfKeyExistsException e) {
                        return false;
                    }
                }));
            }
            go.countDown();
            int won = 0;
            for (Future<Boolean> f : results) {
                won += f.get() ? 1 : 0;
            }
            assertThat(won).isEqualTo(1);
        } finally {
            pool.shutdown();
        }
        try (Table t = shelf.get("contested")) {
            assertThat(ShelfTestTables.verify(t)).isBetween(100L, 105L);
        }
        assertThat(shelf.client().list()).as("the losers deleted their objects").hasSize(1);
    }

    @Test
    void concurrentReplacementsLeaveOneNewestVersion() throws Exception {
        put("hot", 1);
        int writers = 4;
        int each = 10;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int base = 1000 * (w + 1);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        try (VectorSchemaRoot root = ShelfTestTables.root(base + i, allocator)) {
                            shelf.put("hot", root, true);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        ShelfEntry e = shelf.entry("hot").orElseThrow();
        // each writer's replacements created ever higher versions; an overtaken one may reuse a freed version number
        assertThat(e.version()).isGreaterThan(each);
        try (Table t = shelf.get("hot")) {
            assertThat(ShelfTestTables.verify(t) % 1000).isEqualTo(each - 1); // some writer's last table
        }
        assertThat(shelf.client().list()).as("every superseded version was deleted").hasSize(1);
    }

    @Test
    void aReplacementSkipsSlotsHeldByOldVersionsAndSaysWhenAllAreHeld() {
        put("k", 0);
        List<StoredTable> held = new ArrayList<>();
        try {
            for (int v = 1; v < ShelfKeys.SLOTS; v++) {
                held.add(shelf.getArrow("k")); // holds version v - 1, which the next put replaces
                try (VectorSchemaRoot root = ShelfTestTables.root(v, allocator)) {
                    shelf.put("k", root, true);
                }
            }
            // 63 replaced versions are held, and the newest is visible: every slot is taken
            held.add(shelf.getArrow("k"));
            try (VectorSchemaRoot root = ShelfTestTables.root(99, allocator)) {
                assertThatThrownBy(() -> shelf.put("k", root, true)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("all 64 version slots of key 'k'");
            }
            for (int v = 0; v < held.size(); v++) {
                assertThat(ShelfTestTables.verify(held.get(v).batches())).isEqualTo(v);
            }
        } finally {
            held.forEach(StoredTable::close);
        }
        shelf.client().stats();
        try (VectorSchemaRoot root = ShelfTestTables.root(100, allocator)) {
            shelf.put("k", root, true); // released: slots are free again
        }
        try (Table t = shelf.get("k")) {
            assertThat(ShelfTestTables.verify(t)).isEqualTo(100);
        }
        assertThat(shelf.entry("k").orElseThrow().version()).isEqualTo(ShelfKeys.SLOTS + 1);
    }

    @Test
    void aPutOfANewKeyTakesTheNextSlotWhenAnOldDeletedVersionIsStillHeld() {
        put("again", 1);
        try (StoredTable old = shelf.getArrow("again")) {
            assertThat(shelf.delete("again")).isTrue(); // deferred: version 1's id stays reserved while held
            assertThat(shelf.contains("again")).isFalse();
            put("again", 2);
            assertThat(shelf.entry("again").orElseThrow().version()).isEqualTo(2);
            try (Table t = shelf.get("again")) {
                assertThat(ShelfTestTables.verify(t)).isEqualTo(2);
            }
            assertThat(ShelfTestTables.verify(old.batches())).isEqualTo(1);
        }
    }

    @Test
    void aPutOfANewKeyThatAnotherClientIsWritingIsRefused() {
        // another client's put of the same new key, created and not yet sealed
        try (QuiverClient other = QuiverClient.connect(store.socket());
             var writing = other.create(ShelfKeys.idOf("busy", 1), 100,
                     MemorySegment.ofArray(ShelfKeys.metadata("busy", 1, 0)))) {
            assertThatThrownBy(() -> put("busy", 1)).isInstanceOf(ShelfKeyExistsException.class)
                    .hasMessageContaining("being put by another client right now");
            assertThat(shelf.contains("busy")).isFalse();
            writing.abort();
        }
        put("busy", 3); // once the other writer gave up, the key is free
        assertThat(shelf.listKeys()).containsExactly("busy");
    }

    @Test
    void aFailedPutLeavesNoTrace() {
        try (VectorSchemaRoot root = ShelfTestTables.root(1, allocator);
             VectorSchemaRoot bigger = ShelfTestTables.root(2, allocator);
             VarCharVector renamed = new VarCharVector("different", allocator)) {
            renamed.setValueCount(0);
            VectorSchemaRoot mismatched = new VectorSchemaRoot(List.of(renamed));
            assertThatThrownBy(() -> shelf.putBatches("mixed", root.getSchema(), List.of(root, mismatched), null,
                    false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fields differ");

            // batches that change between measuring and writing: the object was created, then aborted (the first
            // two passes validate and measure, the third writes)
            Iterable<VectorSchemaRoot> changing = new Iterable<>() {
                int passes;

                @Override
                public java.util.Iterator<VectorSchemaRoot> iterator() {
                    return List.of(passes++ < 2 ? root : bigger).iterator();
                }
            };
            assertThatThrownBy(() -> shelf.putBatches("changing", root.getSchema(), changing, null, false))
                    .isInstanceOf(IllegalStateException.class);
        }
        assertThat(shelf.client().list()).isEmpty();
        assertThat(shelf.listKeys()).isEmpty();
    }

    @Test
    void anEmptyTableIsATable() {
        try (VectorSchemaRoot empty = ShelfTestTables.root(1, 0, 0, allocator)) {
            shelf.put("empty", empty);
        }
        assertThat(shelf.entry("empty").orElseThrow().rows()).isZero();
        try (Table t = shelf.get("empty")) {
            assertThat(t.getRowCount()).isZero();
            assertThat(t.getSchema().getFields()).hasSize(5);
        }
    }

    @Test
    void aStoreTooSmallForTheTableRefusesThePutAndKeepsTheOldVersion() throws Exception {
        shelf.close();
        store.close();
        store = StoreServer.start(StoreConfig.of(1 << 20, dir.resolve("small.sock")));
        shelf = Shelf.connect(store.socket(), allocator);
        put("small", 1);
        try (VarCharVector big = new VarCharVector("blob", allocator)) {
            byte[] cell = new byte[16];
            for (int i = 0; i < 200_000; i++) { // 3.2 MB of values: more than the whole store
                big.setSafe(i, cell);
            }
            big.setValueCount(200_000);
            VectorSchemaRoot root = new VectorSchemaRoot(List.of(big));
            assertThatThrownBy(() -> shelf.put("small", root, true))
                    .isInstanceOf(dev.quiver.client.StoreFullException.class);
        }
        try (Table t = shelf.get("small")) {
            assertThat(ShelfTestTables.verify(t)).isEqualTo(1);
        }
        assertThat(shelf.client().list()).hasSize(1);
    }

    @Test
    void afterTheStoreStopsIsConnectedIsFalseAndCallsThrowStoreUnavailable() {
        put("a", 1);
        assertThat(shelf.isConnected()).isTrue();
        StoredTable held = shelf.getArrow("a");
        store.close();
        assertThatThrownBy(() -> shelf.memoryUsage()).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining(store.socket().toString());
        assertThat(shelf.isConnected()).isFalse();
        assertThatThrownBy(() -> shelf.get("a")).isInstanceOf(StoreUnavailableException.class);
        assertThatThrownBy(() -> shelf.listKeys()).isInstanceOf(StoreUnavailableException.class);
        try (VectorSchemaRoot root = ShelfTestTables.root(2, allocator)) {
            assertThatThrownBy(() -> shelf.put("b", root)).isInstanceOf(StoreUnavailableException.class);
        }
        assertThat(ShelfTestTables.verify(held.batches())).as("a held zero-copy table stays readable").isEqualTo(1);
        held.close();
        shelf.close();
        assertThat(shelf.isConnected()).isFalse();
    }

    @Test
    void aClosedShelfSaysSo() {
        shelf.close();
        assertThat(shelf.isConnected()).isFalse();
        assertThatThrownBy(() -> shelf.listKeys()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        shelf.close(); // twice is fine
    }

    @Test
    void aShelfOverAClientLeavesTheClientOpen() {
        try (QuiverClient client = QuiverClient.connect(store.socket())) {
            try (Shelf over = Shelf.of(client, allocator)) {
                try (VectorSchemaRoot root = ShelfTestTables.root(1, allocator)) {
                    over.put("x", root);
                }
            }
            assertThat(client.isConnected()).isTrue();
            assertThat(shelf.listKeys()).containsExactly("x");
        }
    }
}
