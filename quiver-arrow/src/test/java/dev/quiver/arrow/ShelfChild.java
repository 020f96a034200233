package dev.quiver.arrow;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.table.Table;

/**
 * A shelf user in a child JVM: {@code ShelfChild SOCKET}. Prints {@code ready}, then runs one command per line of
 * stdin and answers with one line:
 * <pre>
 * put KEY V            put the table of version V under KEY      → put KEY | exists KEY
 * replace KEY FROM TO  replace KEY with versions FROM..TO        → replaced KEY TO
 * get KEY              copy, verify                              → got KEY V | missing KEY
 * read KEY UNTIL       read (copies and zero-copy, alternating) until version UNTIL is seen; every table must be
 *                      complete, and versions must never go back → read KEY reads=N versions=M
 * hold KEY             getArrow and keep it open                 → held KEY V
 * verify-held          verify the held table again               → held-ok V
 * release              close it, then a round trip               → released
 * keys                 listKeys                                  → keys K1,K2,...
 * exit                                                          → bye
 * </pre>
 * Any failure prints {@code error MESSAGE} (the parent fails the test with it).
 */
public final class ShelfChild {
    private ShelfChild() {}

    public static void main(String[] args) throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
             Shelf shelf = Shelf.connect(Path.of(args[0]), allocator)) {
            System.out.println("ready");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            StoredTable held = null;
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.trim().split("\\s+");
                try {
                    switch (w[0]) {
                        case "put" -> {
                            try (VectorSchemaRoot root = ShelfTestTables.root(Long.parseLong(w[2]), allocator)) {
                                shelf.put(w[1], root);
                                say("put " + w[1]);
                            } catch (ShelfKeyExistsException e) {
                                say("exists " + w[1]);
                            }
                        }
                        case "replace" -> {
                            for (long v = Long.parseLong(w[2]); v <= Long.parseLong(w[3]); v++) {
                                try (VectorSchemaRoot root = ShelfTestTables.root(v, allocator)) {
                                    shelf.put(w[1], root, true);
                                }
                            }
                            say("replaced " + w[1] + " " + w[3]);
                        }
                        case "get" -> {
                            try (Table t = shelf.get(w[1])) {
                                say("got " + w[1] + " " + ShelfTestTables.verify(t));
                            } catch (ShelfKeyNotFoundException e) {
                                say("missing " + w[1]);
                            }
                        }
                        case "read" -> say(read(shelf, w[1], Long.parseLong(w[2])));
                        case "hold" -> {
                            held = shelf.getArrow(w[1]);
                            say("held " + w[1] + " " + ShelfTestTables.verify(held.batches()));
                        }
                        case "verify-held" -> say("held-ok " + ShelfTestTables.verify(held.batches()));
                        case "release" -> {
                            held.close();
                            held = null;
                            shelf.client().stats(); // a round trip after the release: the store has handled it
                            say("released");
                        }
                        case "keys" -> say("keys " + String.join(",", shelf.listKeys()));
                        case "exit" -> {
                            say("bye");
                            return;
                        }
                        default -> say("error unknown command " + line);
                    }
                } catch (Throwable t) {
                    say("error " + t);
                }
            }
        }
    }

    private static String read(Shelf shelf, String key, long until) {
        long last = 0;
        int reads = 0;
        int versions = 0;
        while (last < until) {
            long v;
            try {
                if (reads % 2 == 0) {
                    try (Table t = shelf.get(key)) {
                        v = ShelfTestTables.verify(t);
                    }
                } else {
                    try (StoredTable t = shelf.getArrow(key)) {
                        v = ShelfTestTables.verify(t.batches());
                    }
                }
            } catch (ShelfKeyNotFoundException e) {
                if (last == 0) {
                    continue; // the writer has not put the first version yet
                }
                throw new AssertionError("key " + key + " vanished after version " + last + " was read");
            }
            reads++;
            if (v < last) {
                throw new AssertionError("read version " + v + " after version " + last);
            }
            if (v > last) {
                versions++;
                last = v;
            }
        }
        return "read " + key + " reads=" + reads + " versions=" + versions;
    }

    private static void say(String s) {
        System.out.println(s);
        System.out.flush();
    }
}
