package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrowStoreSmokeTest {
    @TempDir
    Path dir;

    @Test
    void writesAndReadsZeroCopy() throws Exception {
        try (StoreServer store = StoreServer.start(StoreConfig.of(64 << 20, dir.resolve("s.sock")));
             QuiverClient client = QuiverClient.connect(store.socket());
             BufferAllocator allocator = new RootAllocator()) {
            ArrowStore arrow = new ArrowStore(client, allocator);
            ObjectId id = ObjectId.random();
            try (BigIntVector a = new BigIntVector("a", allocator); VarCharVector b = new VarCharVector("b", allocator)) {
                for (int i = 0; i < 1000; i++) {
                    a.setSafe(i, i * 3L);
                    b.setSafe(i, ("row" + i).getBytes(StandardCharsets.UTF_8));
                }
                a.setValueCount(1000);
                b.setValueCount(1000);
                try (VectorSchemaRoot root = VectorSchemaRoot.of(a, b)) {
                    arrow.write(id, root);
                }
            }
            try (StoredTable t = arrow.read(id, 0)) {
                assertThat(t.rowCount()).isEqualTo(1000);
                VectorSchemaRoot r = t.batches().getFirst();
                assertThat(((BigIntVector) r.getVector("a")).get(999)).isEqualTo(2997L);
                assertThat(new String(((VarCharVector) r.getVector("b")).get(7), StandardCharsets.UTF_8)).isEqualTo("row7");
                for (FieldVector v : r.getFieldVectors()) {
                    for (ArrowBuf buf : v.getFieldBuffers()) {
                        assertThat(buf.memoryAddress()).isBetween(client.arenaAddress(), client.arenaAddress() + client.capacity());
                    }
                }
            }
            assertThat(client.list().getFirst().refCount()).isZero();
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }
}
