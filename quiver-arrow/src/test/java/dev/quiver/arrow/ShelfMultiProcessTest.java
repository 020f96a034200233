package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.ChildJvm;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.table.Table;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shelf shared by several real processes (child JVMs running {@link ShelfChild}). */
class ShelfMultiProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path dir;
    StoreServer store;
    BufferAllocator allocator;
    Shelf shelf;
    final List<ChildJvm> children = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        store = StoreServer.start(StoreConfig.of(256 << 20, dir.resolve("store.sock")));
        allocator = new RootAllocator();
        shelf = Shelf.connect(store.socket(), allocator);
    }

    @AfterEach
    void stop() {
        try {
            for (ChildJvm c : children) {
                if (c.isAlive()) {
                    c.send("exit");
                    c.expect("bye", WAIT);
                    assertThat(c.waitFor(WAIT)).as("exit status of a child; its log:\n" + c.log()).isZero();
                }
            }
        } finally {
            children.forEach(ChildJvm::close);
            shelf.close();
            store.close();
            allocator.close();
        }
    }

    private void put(String key, long version) {
        try (var root = ShelfTestTables.root(version, allocator)) {
            shelf.put(key, root);
        }
    }

    private ChildJvm child() {
        ChildJvm c = ChildJvm.start(ShelfChild.class, store.socket().toString());
        children.add(c);
        return c;
    }

    private static void ready(ChildJvm c) {
        c.expect("ready", WAIT);
    }

    /** The child's answer to a command; an {@code error} line fails the test. */
    private static String ask(ChildJvm c, String command) {
        c.send(command);
        return answer(c);
    }

    private static String answer(ChildJvm c) {
        String line = c.readLine(WAIT);
        assertThat(line).as("a child's answer; its log:\n" + c.log()).doesNotStartWith("error");
        return line;
    }

    @Test
    void processesPutAndGetEachOthersTablesAndRaceForOneKey() {
        List<ChildJvm> cs = List.of(child(), child(), child());
        cs.forEach(ShelfMultiProcessTest::ready);
        int perChild = 8;
        // every child puts its own keys and, at the same moment, one key they all want
        for (int c = 0; c < cs.size(); c++) {
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < perChild; i++) {
                batch.append("put p").append(c).append("-").append(i).append(" ").append(c * 100 + i).append('\n');
            }
            batch.append("put contested ").append(1000 + c);
            cs.get(c).send(batch.toString());
        }
        int contestedWins = 0;
        for (ChildJvm c : cs) {
            for (int i = 0; i < perChild; i++) {
                assertThat(answer(c)).startsWith("put p");
            }
            String last = answer(c);
            assertThat(last).isIn("put contested", "exists contested");
            contestedWins += last.startsWith("put") ? 1 : 0;
        }
        assertThat(contestedWins).as("exactly one process put the contested key").isEqualTo(1);

        List<String> keys = shelf.listKeys();
        assertThat(keys).hasSize(cs.size() * perChild + 1).contains("contested", "p0-0", "p2-7");
        // each child reads the others' tables, concurrently
        for (int c = 0; c < cs.size(); c++) {
            StringBuilder batch = new StringBuilder();
            int other = (c + 1) % cs.size();
            for (int i = 0; i < perChild; i++) {
                batch.append("get p").append(other).append("-").append(i).append('\n');
            }
            batch.append("get contested\nkeys");
            cs.get(c).send(batch.toString());
        }
        for (int c = 0; c < cs.size(); c++) {
            int other = (c + 1) % cs.size();
            for (int i = 0; i < perChild; i++) {
                assertThat(answer(cs.get(c))).isEqualTo("got p" + other + "-" + i + " " + (other * 100 + i));
            }
            assertThat(answer(cs.get(c))).matches("got contested 100[0-2]");
            assertThat(answer(cs.get(c))).isEqualTo("keys " + String.join(",", keys));
        }
        try (Table t = shelf.get("contested")) {
            assertThat(ShelfTestTables.verify(t)).isBetween(1000L, 1002L);
        }
        assertThat(shelf.client().list()).as("one object per key, nothing left over").hasSize(keys.size());
    }

    @Test
    void readersInOtherProcessesNeverSeeAHalfWrittenOrMixedTableWhileAWriterReplaces() throws Exception {
        int versions = 30;
        ChildJvm writer = child();
        ChildJvm reader1 = child();
        ChildJvm reader2 = child();
        List.of(writer, reader1, reader2).forEach(ShelfMultiProcessTest::ready);
        put("hot", 1);

        reader1.send("read hot " + versions);
        reader2.send("read hot " + versions);
        // and two reader threads in this process, alternating copies and zero-copy reads
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<Integer>> local = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            boolean zeroCopy = t == 1;
            local.add(pool.submit(() -> readUntil("hot", versions, zeroCopy)));
        }
        writer.send("replace hot 2 " + versions);
        assertThat(answer(writer)).isEqualTo("replaced hot " + versions);

        Pattern read = Pattern.compile("read hot reads=(\\d+) versions=(\\d+)");
        for (ChildJvm r : List.of(reader1, reader2)) {
            Matcher m = read.matcher(answer(r));
            assertThat(m.matches()).isTrue();
            assertThat(Integer.parseInt(m.group(1))).isPositive();
        }
        for (Future<Integer> f : local) {
            assertThat(f.get()).isPositive();
        }
        pool.shutdown();
        assertThat(shelf.entry("hot").orElseThrow().version()).isEqualTo(versions);
        shelf.client().stats();
        assertThat(shelf.client().list()).as("only the newest version is left").hasSize(1);
    }

    /** Reads until version {@code until} is seen; every table verified, versions never going back. */
    private int readUntil(String key, long until, boolean zeroCopy) {
        long last = 0;
        int reads = 0;
        while (last < until) {
            long v;
            if (zeroCopy) {
                try (StoredTable t = shelf.getArrow(key)) {
                    v = ShelfTestTables.verify(t.batches());
                }
            } else {
                try (Table t = shelf.get(key)) {
                    v = ShelfTestTables.verify(t);
                }
            }
            assertThat(v).as("versions never go back").isGreaterThanOrEqualTo(last);
            last = v;
            reads++;
        }
        return reads;
    }

    @Test
    void concurrentReplacersInSeveralProcessesLeaveOneCompleteNewestTable() {
        List<ChildJvm> writers = List.of(child(), child());
        writers.forEach(ShelfMultiProcessTest::ready);
        put("shared", 1);
        writers.get(0).send("replace shared 100 129");
        writers.get(1).send("replace shared 200 229");
        assertThat(answer(writers.get(0))).isEqualTo("replaced shared 129");
        assertThat(answer(writers.get(1))).isEqualTo("replaced shared 229");
        try (Table t = shelf.get("shared")) {
            assertThat(ShelfTestTables.verify(t)).isIn(129L, 229L);
        }
        // Each replacement created a version above the one it read; a replacement overtaken by the other process's
        // (it read an old version, and sealed after newer ones) lost to them and deleted its own object.
        assertThat(shelf.entry("shared").orElseThrow().version()).isGreaterThan(30);
        shelf.client().stats();
        assertThat(shelf.client().list()).as("superseded versions were deleted").hasSize(1);
    }

    @Test
    void deleteAllWhileAnotherProcessHoldsATableDefersItsDeletion() {
        ChildJvm holder = child();
        ready(holder);
        put("held", 7);
        put("free", 8);
        assertThat(ask(holder, "hold held")).isEqualTo("held held 7");
        long bothBytes = shelf.memoryUsage().tableBytes();

        assertThat(shelf.deleteAll()).isEqualTo(2);
        assertThat(shelf.listKeys()).isEmpty();
        assertThat(shelf.memoryUsage().tables()).isZero();
        // the held table is still in the store, and the holder still reads it correctly
        assertThat(shelf.client().stats().objects()).isEqualTo(1);
        assertThat(shelf.client().stats().used()).isPositive().isLessThan(bothBytes);
        assertThat(ask(holder, "verify-held")).isEqualTo("held-ok 7");
        assertThat(ask(holder, "get held")).as("but no one can get it any more").isEqualTo("missing held");

        assertThat(ask(holder, "release")).isEqualTo("released");
        assertThat(shelf.client().stats().objects()).as("freed once the holder closed it").isZero();
        assertThat(shelf.client().stats().used()).isZero();
    }

    @Test
    void keysPutByADeadProcessAreStillListed() {
        ChildJvm c = child();
        ready(c);
        assertThat(ask(c, "put from-child 3")).isEqualTo("put from-child");
        c.kill();
        children.remove(c);
        assertThat(shelf.listKeys()).containsExactly("from-child");
        try (Table t = shelf.get("from-child")) {
            assertThat(ShelfTestTables.verify(t)).isEqualTo(3);
        }
        Set<String> seen = new HashSet<>(shelf.listKeys());
        assertThat(seen).containsExactly("from-child");
    }
}
