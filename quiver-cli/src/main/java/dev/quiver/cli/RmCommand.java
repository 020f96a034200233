package dev.quiver.cli;

import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfKeyNotFoundException;
import dev.quiver.client.DeleteOutcome;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quiver rm ID...} deletes objects; {@code quiver rm --key KEY...} deletes shelf tables. */
@Command(name = "rm", mixinStandardHelpOptions = true,
        description = {"Deletes objects by id, or shelf tables by key (--key); deferred while a client still holds "
                + "them.",
                "By id: exits 1 if any object was not found or not sealed (the others are deleted).",
                "By key: all or nothing: every key is checked first, and if any is not on the shelf, nothing is "
                        + "deleted and the command exits 1 naming the missing keys."})
final class RmCommand extends ClientCommand {
    @Parameters(arity = "0..*", paramLabel = "ID", description = "Object ids, 40 hex digits each.")
    List<String> ids = List.of();

    @Option(names = {"-k", "--key"}, arity = "1..*", paramLabel = "KEY",
            description = "Shelf keys to delete (every version of each), instead of ids.")
    List<String> keys = List.of();

    @Override
    int run(QuiverClient client, PrintWriter out) {
        if (ids.isEmpty() == keys.isEmpty()) {
            throw new IllegalArgumentException(ids.isEmpty() ? "give object ids, or shelf keys with --key"
                    : "give object ids or --key KEY..., not both (run quiver rm twice)");
        }
        Map<String, String> result = keys.isEmpty() ? deleteIds(client) : deleteKeys(client);
        if (json) {
            out.println(Json.of(result));
        } else {
            result.forEach((what, outcome) -> out.printf("%s  %s%n", what, outcome));
        }
        return result.values().stream().allMatch(o -> o.equals("deleted") || o.equals("deferred")) ? 0 : 1;
    }

    private Map<String, String> deleteIds(QuiverClient client) {
        List<ObjectId> parsed = ids.stream().map(ObjectId::fromHex).toList(); // all valid, or nothing is deleted
        List<DeleteOutcome> outcomes = client.delete(parsed);
        Map<String, String> result = new LinkedHashMap<>();
        for (int i = 0; i < parsed.size(); i++) {
            result.put(parsed.get(i).toString(), outcomes.get(i).name().toLowerCase().replace('_', ' '));
        }
        return result;
    }

    /** Every key checked before any is deleted: an unknown key (a typo) deletes nothing. */
    private Map<String, String> deleteKeys(QuiverClient client) {
        try (BufferAllocator allocator = new RootAllocator(); Shelf shelf = Shelf.of(client, allocator)) {
            List<String> missing = keys.stream().filter(k -> !shelf.contains(k)).distinct().toList();
            if (!missing.isEmpty()) {
                throw new ShelfKeyNotFoundException((missing.size() == 1 ? "no table under key '" + missing.getFirst()
                        + "'" : "no tables under keys '" + String.join("', '", missing) + "'") + " on the shelf of "
                        + "the store at " + client.socket() + "; nothing was deleted (quiver ls --keys lists the "
                        + "keys)");
            }
            Map<String, String> result = new LinkedHashMap<>();
            for (String k : keys) {
                // false only if another client deleted it since the check (or it was named twice)
                result.putIfAbsent(k, shelf.delete(k) ? "deleted" : "not found");
            }
            return result;
        }
    }
}
