package dev.quiver.client.testing;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.QuiverException;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A client that does random work until it is killed: {@code ChaosClient SOCKET SEED KEPT...}. It creates, writes,
 * seals, gets, releases and deletes objects of its own (patterns of {@link Patterns}, seeded by their names), leaves
 * some unsealed and some held, and reads the kept objects, checking their bytes. It prints {@code ready TRANSPORT}
 * once connected, then one line per operation ({@code op N KIND}), so that its killer can pick the moment; a wrong byte is
 * printed as {@code corrupt ...}.
 */
public final class ChaosClient {
    private ChaosClient() {}

    public static void main(String[] args) {
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
        List<ObjectId> kept = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            kept.add(ObjectId.forName(args[i]));
        }
        List<ObjectId> mine = new ArrayList<>();
        List<ObjectBuffer> held = new ArrayList<>();
        List<WritableObject> writing = new ArrayList<>();
        try (QuiverClient client = QuiverClient.connect(Path.of(args[0]), Duration.ofSeconds(10))) {
            System.out.println("ready " + client.transport());
            for (long n = 0; ; n++) {
                String kind;
                try {
                    kind = step(client, random, kept, mine, held, writing);
                } catch (QuiverException e) {
                    kind = "refused " + e.getClass().getSimpleName(); // store full, object gone: part of the game
                }
                System.out.println("op " + n + " " + kind);
            }
        }
    }

    private static String step(QuiverClient client, SplittableRandom random, List<ObjectId> kept, List<ObjectId> mine,
                               List<ObjectBuffer> held, List<WritableObject> writing) {
        switch (random.nextInt(7)) {
            case 0, 1 -> {
                ObjectId id = ObjectId.random();
                long size = 1 + random.nextInt(128 << 10);
                WritableObject w = client.create(id, size);
                Patterns.fill(w.data(), w.metadata(), seed(id));
                if (random.nextInt(4) == 0) {
                    writing.add(w); // sealed later, or never
                    return "create";
                }
                w.seal();
                w.close();
                mine.add(id);
                return "put";
            }
            case 2 -> {
                if (writing.isEmpty()) {
                    return "idle";
                }
                WritableObject w = writing.removeLast();
                w.seal();
                mine.add(w.id());
                w.close();
                return "seal";
            }
            case 3 -> {
                ObjectId id = random.nextBoolean() || mine.isEmpty() ? kept.get(random.nextInt(kept.size()))
                        : mine.get(random.nextInt(mine.size()));
                ObjectBuffer b = client.get(id, QuiverClient.NO_WAIT).orElse(null);
                if (b == null) {
                    return "absent";
                }
                if (!kept.contains(id) && !Patterns.matches(b.data(), b.metadata(), seed(id))) {
                    System.out.println("corrupt " + id);
                }
                held.add(b);
                return "get";
            }
            case 4 -> {
                if (held.isEmpty()) {
                    return "idle";
                }
                held.remove(random.nextInt(held.size())).close();
                return "release";
            }
            case 5 -> {
                if (mine.isEmpty()) {
                    return "idle";
                }
                client.delete(mine.remove(random.nextInt(mine.size())));
                return "delete";
            }
            default -> {
                client.stats();
                return "stats";
            }
        }
    }

    /** The pattern seed of an object: from its id, so that any process can check its bytes. */
    public static long seed(ObjectId id) {
        return id.hashCode();
    }
}
