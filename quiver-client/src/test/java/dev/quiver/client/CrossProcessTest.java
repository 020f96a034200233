package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertContent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static dev.quiver.client.Fixtures.refCount;
import static dev.quiver.client.QuiverClient.NO_WAIT;
import static dev.quiver.client.QuiverClient.WAIT_FOREVER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.Blocking;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.ClientChild;
import dev.quiver.client.testing.Patterns;
import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreServer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Objects cross process boundaries without being copied: a child JVM and this JVM map the same arena, each at its
 * own address, and read each other's objects in place. Proven by addresses, by a byte changed in shared memory and
 * seen through another process's view, and by a get in one process woken by a seal in another.
 */
class CrossProcessTest {
    private static final long CAPACITY = 4 << 20;

    @TempDir
    Path dir;
    StoreServer store;
    QuiverClient parent;
    ChildJvm child;
    Map<String, String> childInfo;

    @BeforeEach
    void start() {
        store = Fixtures.store(dir, CAPACITY);
        parent = QuiverClient.connect(store.socket());
        child = ChildJvm.start(ClientChild.class, store.socket().toString());
        childInfo = fields(child.expect("ready", WAIT));
    }

    @AfterEach
    void stop() {
        try {
            child.send("exit");
            child.expect("bye", WAIT);
            assertThat(child.waitFor(WAIT)).isZero();
        } finally {
            child.close();
            parent.close();
            store.close();
        }
    }

    @Test
    void anObjectWrittenInOneJvmIsReadInPlaceByAnother() {
        long childBase = Long.parseLong(childInfo.get("base"));
        assertThat(Long.parseLong(childInfo.get("capacity"))).isEqualTo(parent.capacity()).isEqualTo(CAPACITY);

        // Written by the child, read here: the view lies inside this process's mapping of the arena.
        child.send("put from-child 5000 100 42");
        child.expect("put from-child", WAIT);
        long childObjectOffset;
        try (ObjectBuffer b = parent.get(id("from-child"), NO_WAIT).orElseThrow()) {
            assertContent(b, 5000, 100, 42);
            assertInsideMapping(b.data().address(), 5000, parent.arenaAddress(), parent.capacity());
            assertThat(b.metadata().address()).as("metadata follows data in place").isEqualTo(b.data().address() + 5000);
            childObjectOffset = b.data().address() - parent.arenaAddress();
        }
        assertThat(parent.hash(id("from-child"))).isEqualTo(Patterns.digest(5000, 100, 42));

        // Written here, read by the child: its view lies inside its own mapping, at the same offset as ours.
        put(parent, id("from-parent"), 3000, 10, 43);
        long parentOffset;
        try (ObjectBuffer mine = parent.get(id("from-parent"), NO_WAIT).orElseThrow()) {
            parentOffset = mine.data().address() - parent.arenaAddress();
        }
        child.send("get from-parent 0");
        Map<String, String> got = fields(child.expect("got from-parent", WAIT));
        long childAddress = Long.parseLong(got.get("address"));
        assertInsideMapping(childAddress, 3000, childBase, CAPACITY);
        assertThat(Long.parseLong(got.get("offset"))).isEqualTo(parentOffset).isNotEqualTo(childObjectOffset);
        assertThat(got.get("dataSize")).isEqualTo("3000");
        assertThat(got.get("metaSize")).isEqualTo("10");
        assertThat(Long.parseLong(got.get("digest"))).as("what the child sees, hashed by the child")
                .isEqualTo(Patterns.digest(3000, 10, 43));
        assertThat(refCount(parent, id("from-parent"))).as("the child's reference").isEqualTo(1);
        child.send("release from-parent");
        child.expect("released from-parent", WAIT);
    }

    @Test
    void aByteChangedThroughAnotherMappingIsSeenThroughTheChildsView() throws IOException {
        ObjectId id = id("shared");
        put(parent, id, 4096, 0, 7);
        child.send("get shared -1");
        long offset = Long.parseLong(fields(child.expect("got shared", WAIT)).get("offset"));
        int original = Byte.toUnsignedInt(Patterns.dataByte(100, 7));
        child.send("peek shared 100");
        assertThat(child.expect("byte shared 100", WAIT)).isEqualTo(String.valueOf(original));

        byte changed = (byte) ~original;
        try (Arena scope = Arena.ofConfined();
             FileChannel ch = FileChannel.open(store.arenaPath(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment mapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, store.capacity(), scope);
            mapping.set(ValueLayout.JAVA_BYTE, offset + 100, changed);
        }

        child.send("peek shared 100");
        assertThat(child.expect("byte shared 100", WAIT)).as("the child's view is the same memory")
                .isEqualTo(String.valueOf(Byte.toUnsignedInt(changed)));
        try (ObjectBuffer b = parent.get(id, NO_WAIT).orElseThrow()) {
            assertThat(b.data().get(ValueLayout.JAVA_BYTE, 100)).isEqualTo(changed);
        }
    }

    @Test
    void aGetBlockedInTheChildWakesWhenThisProcessSeals() {
        ObjectId id = id("awaited");
        child.send("block awaited");
        child.expect("blocked", WAIT); // the child's get is pending in the store
        WritableObject w = parent.create(id, 1000, 10, NO_WAIT);
        Patterns.fill(w.data(), w.metadata(), 9);
        assertThat(refCount(parent, id)).as("only the creator, until the seal").isEqualTo(1);
        w.seal();
        Map<String, String> got = fields(child.expect("got awaited", WAIT));
        assertThat(Long.parseLong(got.get("digest"))).isEqualTo(Patterns.digest(1000, 10, 9));
        assertInsideMapping(Long.parseLong(got.get("address")), 1000, Long.parseLong(childInfo.get("base")), CAPACITY);
        assertThat(refCount(parent, id)).as("creator and the woken child").isEqualTo(2);
        w.close();
    }

    @Test
    void aGetBlockedHereWakesWhenTheChildSeals() {
        ObjectId id = id("from-child-later");
        Fixtures.Call<Optional<ObjectBuffer>> getter = Fixtures.inThread("getter", () -> parent.get(id, WAIT_FOREVER));
        Blocking.awaitBlockedInStoreCall(getter.thread(), WAIT);
        assertThat(parent.contains(id)).isFalse(); // the get is pending in the store
        child.send("create from-child-later 2000 0 11");
        long offset = Long.parseLong(fields(child.expect("created from-child-later", WAIT)).get("offset"));
        assertThat(parent.contains(id)).isFalse();
        assertThat(getter.result()).isNotDone();
        child.send("seal from-child-later");
        child.expect("sealed from-child-later", WAIT);
        try (ObjectBuffer b = getter.join().orElseThrow()) {
            assertContent(b, 2000, 0, 11);
            assertThat(b.data().address() - parent.arenaAddress()).isEqualTo(offset);
            assertInsideMapping(b.data().address(), 2000, parent.arenaAddress(), parent.capacity());
        }
    }

    private static void assertInsideMapping(long address, long size, long base, long capacity) {
        assertThat(address).as("address inside the mapping [%d, %d)", base, base + capacity)
                .isGreaterThanOrEqualTo(base).isLessThanOrEqualTo(base + capacity - size);
    }

    /** The key=value fields of a line from the child. */
    private static Map<String, String> fields(String line) {
        Map<String, String> m = new HashMap<>();
        for (String w : line.split("\\s+")) {
            int eq = w.indexOf('=');
            if (eq > 0) {
                m.put(w.substring(0, eq), w.substring(eq + 1));
            }
        }
        return m;
    }
}
