package dev.quiver.client.testing;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A client in a child JVM, driven line by line through stdin; it answers on stdout. Object names become ids with
 * {@link ObjectId#forName}; contents follow {@link Patterns}. Commands:
 *
 * <pre>
 * put NAME DATA META SEED      createAndSeal                      → put NAME
 * create NAME DATA META SEED   create and fill, keep writing      → created NAME offset=O
 * seal NAME                    seal and close the writer          → sealed NAME
 * get NAME TIMEOUT             get and hold the buffer            → got NAME offset=O address=A dataSize=D metaSize=M digest=H | absent NAME
 * block NAME...                get(ids, forever) in a thread; answers once the get is pending in the store
 *                                                                 → blocked, later: got ... for each
 * peek NAME INDEX              a data byte through the held view  → byte NAME INDEX VALUE
 * release NAME                 close the held buffers of NAME     → released NAME
 * exit                         close the client and end           → bye
 * </pre>
 * Every failure answers {@code error CLASS MESSAGE}.
 */
public final class ClientChild {
    private static final Map<String, List<ObjectBuffer>> HELD = new HashMap<>();
    private static final Map<String, WritableObject> WRITING = new HashMap<>();
    private static QuiverClient client;

    private ClientChild() {}

    public static void main(String[] args) throws Exception {
        client = QuiverClient.connect(Path.of(args[0]), Duration.ofSeconds(10));
        out("ready client=" + client.clientId() + " base=" + client.arenaAddress() + " capacity=" + client.capacity()
                + " pid=" + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            try {
                if (w[0].equals("exit")) {
                    break;
                }
                run(w);
            } catch (RuntimeException e) {
                out("error " + e.getClass().getSimpleName() + " " + e.getMessage());
            }
        }
        client.close();
        out("bye");
    }

    private static void run(String[] w) {
        switch (w[0]) {
            case "put" -> {
                long data = Long.parseLong(w[2]), meta = Long.parseLong(w[3]), seed = Long.parseLong(w[4]);
                client.createAndSeal(id(w[1]), MemorySegment.ofArray(Patterns.data(data, seed)),
                        MemorySegment.ofArray(Patterns.metadata(meta, seed)));
                out("put " + w[1]);
            }
            case "create" -> {
                long data = Long.parseLong(w[2]), meta = Long.parseLong(w[3]), seed = Long.parseLong(w[4]);
                WritableObject o = client.create(id(w[1]), data, meta, QuiverClient.NO_WAIT);
                Patterns.fill(o.data(), o.metadata(), seed);
                WRITING.put(w[1], o);
                out("created " + w[1] + " offset=" + (o.data().address() - client.arenaAddress()));
            }
            case "seal" -> {
                WritableObject o = WRITING.remove(w[1]);
                o.seal();
                o.close();
                out("sealed " + w[1]);
            }
            case "get" -> {
                ObjectBuffer b = client.get(id(w[1]), Long.parseLong(w[2])).orElse(null);
                if (b == null) {
                    out("absent " + w[1]);
                } else {
                    hold(w[1], b);
                }
            }
            case "block" -> {
                List<String> names = Arrays.asList(w).subList(1, w.length);
                List<ObjectId> ids = names.stream().map(ClientChild::id).toList();
                Thread t = Thread.ofPlatform().name("blocked-get").start(() -> {
                    try {
                        List<ObjectBuffer> got = client.get(ids, QuiverClient.WAIT_FOREVER);
                        for (int i = 0; i < got.size(); i++) {
                            hold(names.get(i), got.get(i));
                        }
                    } catch (RuntimeException e) {
                        out("error " + e.getClass().getSimpleName() + " " + e.getMessage());
                    }
                });
                Blocking.awaitBlockedInStoreCall(t, Duration.ofSeconds(30));
                client.contains(ids.getFirst()); // answered after the store registered the get
                out("blocked");
            }
            case "peek" -> {
                ObjectBuffer b = held(w[1]).getFirst();
                long index = Long.parseLong(w[2]);
                out("byte " + w[1] + " " + index + " " + Patterns.unsignedByte(b.data(), index));
            }
            case "release" -> {
                List<ObjectBuffer> bs = held(w[1]);
                synchronized (HELD) {
                    HELD.remove(w[1]);
                }
                bs.forEach(ObjectBuffer::close);
                out("released " + w[1]);
            }
            default -> out("error IllegalArgumentException unknown command " + w[0]);
        }
    }

    private static void hold(String name, ObjectBuffer b) {
        synchronized (HELD) {
            HELD.computeIfAbsent(name, k -> new ArrayList<>()).add(b);
        }
        out("got " + name + " offset=" + (b.data().address() - client.arenaAddress()) + " address="
                + b.data().address() + " dataSize=" + b.data().byteSize() + " metaSize=" + b.metadata().byteSize()
                + " digest=" + Patterns.digest(b));
    }

    private static List<ObjectBuffer> held(String name) {
        synchronized (HELD) {
            List<ObjectBuffer> bs = HELD.get(name);
            if (bs == null) {
                throw new IllegalStateException("holding no buffer of " + name);
            }
            return List.copyOf(bs);
        }
    }

    static ObjectId id(String name) {
        return ObjectId.forName(name);
    }

    private static synchronized void out(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
