package dev.quiver.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.StoredTable;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.StoreUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EmbeddedStoreTest {
    private final BufferAllocator allocator = new RootAllocator();

    @AfterEach
    void closeAllocator() {
        allocator.close();
    }

    @Test
    void aStoreInsideTheProgramServesOtherClientsAndGoesAwayOnClose() {
        Path socket;
        Shelf holder;
        StoredTable outliving;
        try (EmbeddedStore store = EmbeddedStore.start(16 << 20)) {
            socket = store.socket();
            assertThat(store.capacity()).isEqualTo(16 << 20);
            try (Shelf shelf = Shelf.connect(socket, allocator); VectorSchemaRoot root = numbers(4)) {
                shelf.put("e", root);
                assertThat(shelf.memoryUsage().storeCapacity()).isEqualTo(16 << 20);
            }
            try (QuiverClient client = store.connect(); Shelf other = Shelf.of(client, allocator)) {
                assertThat(other.listKeys()).containsExactly("e");
            }
            holder = Shelf.connect(socket, allocator);
            outliving = holder.getArrow("e");
            // the store stops under a connected shelf: its zero-copy table stays readable until closed
        }
        assertThat(Files.exists(socket)).as("the store's socket is gone").isFalse();
        assertThat(Files.exists(socket.getParent())).as("and its temporary directory").isFalse();
        BigIntVector v = (BigIntVector) outliving.batches().getFirst().getVector(0);
        assertThat(List.of(v.get(0), v.get(3))).containsExactly(0L, 30L);
        outliving.close();
        assertThat(holder.isConnected()).isFalse();
        holder.close();
        assertThatThrownBy(() -> QuiverClient.connect(socket, Duration.ZERO))
                .isInstanceOf(StoreUnavailableException.class);
    }

    @Test
    void aBadSizeIsAClearError() {
        assertThatThrownBy(() -> EmbeddedStore.start(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive size");
    }

    private VectorSchemaRoot numbers(int rows) {
        BigIntVector v = new BigIntVector("n", allocator);
        v.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
            v.set(i, i * 10L);
        }
        v.setValueCount(rows);
        VectorSchemaRoot root = VectorSchemaRoot.of(v);
        root.setRowCount(rows);
        return root;
    }
}
