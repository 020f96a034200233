package dev.quiver.examples.readme;

import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfEntry;
import dev.quiver.arrow.StoredTable;
import dev.quiver.embedded.EmbeddedStore;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.table.Table;

/** Puts Arrow tables on the shelf of a store inside this program, replaces one, reads them back, lists and deletes. */
public class ShelfExample {
    public static void main(String[] args) {
        try (BufferAllocator allocator = new RootAllocator();
             VectorSchemaRoot table = prices(allocator, 1.5, 2.25);
             VectorSchemaRoot newer = prices(allocator, 1.75, 2.5, 3.0);
             EmbeddedStore store = EmbeddedStore.start(64 << 20);  // a store inside this program (quiver-embedded)
             Shelf shelf = Shelf.connect(store.socket(), allocator)) {  // or Shelf.connect(DefaultSocket.path())
            String key = shelf.put(table);                     // a generated key, such as "swift-otter-0427"
            shelf.put("prices", table);                        // a chosen key: an error if it is taken ...
            shelf.put("prices", newer, true);                  // ... unless replacement is asked for

            try (Table copy = shelf.get("prices")) {           // a copy in your allocator, independent of the store
                System.out.println("prices, a copy: " + copy.getRowCount() + " rows");
            }
            try (StoredTable t = shelf.getArrow("prices")) {   // zero-copy: vectors over store memory, until closed
                System.out.println("prices, zero-copy: " + t.batches().getFirst().getVector("price"));
            }

            System.out.println("keys: " + shelf.listKeys());   // every key, whichever process put it
            for (ShelfEntry e : shelf.entries()) {             // ... with version, rows, bytes and schema
                System.out.println(e.key() + ": version " + e.version() + ", " + e.rows() + " rows");
            }
            System.out.println(shelf.memoryUsage());           // tables, their bytes, the store's used and capacity
            shelf.delete(key);                                 // deferred for tables a reader still holds
            System.out.println("deleted " + key + "; then " + shelf.deleteAll() + " more");
        }
    }

    static VectorSchemaRoot prices(BufferAllocator allocator, double... values) {
        Float8Vector price = new Float8Vector("price", allocator);
        for (int i = 0; i < values.length; i++) {
            price.setSafe(i, values[i]);
        }
        VectorSchemaRoot root = VectorSchemaRoot.of(price);
        root.setRowCount(values.length);
        return root;
    }
}
