package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.arrow.RandomArrow.Spec;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zero-copy proven in another process: a child JVM reads a table of every type and reports that every buffer of every
 * vector it loaded (children of nested vectors included) lies inside its own mapping of the arena, and that the
 * values are right; then a long changed in the arena through a raw mapping of this JVM is seen through the child's
 * BigIntVector. Nothing was copied on the way.
 */
class ZeroCopyCrossProcessTest {
    static final Spec SPEC = new Spec(RandomArrow.everyType(), RandomArrow.rows(300, 1, 77), 0.25, 2024);
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aTableReadInAnotherJvmLiesInItsMappingOfTheArenaAndSeesChangesToIt() throws Exception {
        try (StoreServer store = StoreServer.start(StoreConfig.of(64L << 20, dir.resolve("s.sock")));
             QuiverClient client = QuiverClient.connect(store.socket());
             BufferAllocator allocator = new RootAllocator()) {
            ArrowStore arrow = new ArrowStore(client, allocator);
            try (RandomArrow.Table t = RandomArrow.table(SPEC, allocator)) {
                arrow.write(ObjectId.forName("table"), t.schema, t.batches(), t.dictionaries);
            }
            try (BigIntVector v = new BigIntVector("v", allocator)) {
                v.allocateNew(1000);
                for (int i = 0; i < 1000; i++) {
                    v.set(i, i * 10L);
                }
                v.setValueCount(1000);
                try (VectorSchemaRoot root = VectorSchemaRoot.of(v)) {
                    arrow.write(ObjectId.forName("poke"), root);
                }
            }

            try (ChildJvm child = ChildJvm.start(ZeroCopyReaderChild.class, store.socket().toString(), "table",
                    "poke")) {
                Map<String, String> ready = fields(child.expect("ready", WAIT));
                long childBase = Long.parseLong(ready.get("base"));
                assertThat(Long.parseLong(ready.get("capacity"))).isEqualTo(client.capacity());

                Map<String, String> table = fields(child.expect("table", WAIT));
                assertThat(table.get("values")).as("the child read the right values").isEqualTo("ok");
                assertThat(Integer.parseInt(table.get("batches"))).isEqualTo(3);
                assertThat(Integer.parseInt(table.get("buffers"))).as("buffers holding data").isGreaterThan(300);
                assertThat(Integer.parseInt(table.get("outside")))
                        .as("buffers outside the child's mapping [%s, +%s)", childBase, client.capacity()).isZero();

                Map<String, String> poke = fields(child.expect("poke", WAIT));
                long offset = Long.parseLong(poke.get("offset"));
                assertThat(Long.parseLong(poke.get("value"))).isEqualTo(ZeroCopyReaderChild.ROW * 10L);

                // A raw mapping of the arena file in this JVM: the same bytes the child's vector stands on.
                try (Arena arena = Arena.ofConfined();
                     FileChannel ch = FileChannel.open(client.arenaPath(), StandardOpenOption.READ,
                             StandardOpenOption.WRITE)) {
                    MemorySegment raw = ch.map(FileChannel.MapMode.READ_WRITE, 0, client.capacity(), arena);
                    ValueLayout.OfLong at = ValueLayout.JAVA_LONG_UNALIGNED;
                    assertThat(raw.get(at, offset)).as("the child's value, seen through a raw mapping here")
                            .isEqualTo(ZeroCopyReaderChild.ROW * 10L);
                    raw.set(at, offset, 0x5EED_F00DL);
                    child.send("peek");
                    assertThat(Long.parseLong(fields(child.expect("peek", WAIT)).get("value")))
                            .as("a long changed in the arena here, seen through the child's BigIntVector")
                            .isEqualTo(0x5EED_F00DL);
                    raw.set(at, offset, -7L);
                    child.send("peek");
                    assertThat(Long.parseLong(fields(child.expect("peek", WAIT)).get("value"))).isEqualTo(-7L);
                }
                child.send("exit");
                child.expect("bye", WAIT);
                assertThat(child.waitFor(WAIT)).isZero();
            }
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }

    /** "k=v k=v ..." into a map (values without spaces; "values=" takes the rest of the line). */
    private static Map<String, String> fields(String line) {
        Map<String, String> out = new HashMap<>();
        String[] words = line.trim().split("\\s+");
        for (int i = 0; i < words.length; i++) {
            int eq = words[i].indexOf('=');
            if (eq > 0) {
                String key = words[i].substring(0, eq);
                String value = words[i].substring(eq + 1);
                if (key.equals("values")) {
                    value = String.join(" ", java.util.Arrays.copyOfRange(words, i, words.length)).substring(7);
                    out.put(key, value);
                    break;
                }
                out.put(key, value);
            }
        }
        return out;
    }
}
