package dev.quiver.cli;

import dev.quiver.client.DeleteOutcome;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code quiver rm ID...}: deletes objects. */
@Command(name = "rm", mixinStandardHelpOptions = true,
        description = {"Deletes objects (deferred while a client still holds them).",
                "Exits 1 if any object was not found or not sealed."})
final class RmCommand extends ClientCommand {
    @Parameters(arity = "1..*", paramLabel = "ID", description = "Object ids, 40 hex digits each.")
    List<String> ids;

    @Override
    int run(QuiverClient client, PrintWriter out) {
        List<ObjectId> parsed = ids.stream().map(ObjectId::fromHex).toList(); // all valid, or nothing is deleted
        List<DeleteOutcome> outcomes = client.delete(parsed);
        Map<String, String> result = new LinkedHashMap<>();
        for (int i = 0; i < parsed.size(); i++) {
            result.put(parsed.get(i).toString(), outcomes.get(i).name().toLowerCase().replace('_', ' '));
        }
        if (json) {
            out.println(Json.of(result));
        } else {
            result.forEach((id, outcome) -> out.printf("%s  %s%n", id, outcome));
        }
        boolean allOk = outcomes.stream().allMatch(o -> o == DeleteOutcome.DELETED || o == DeleteOutcome.DEFERRED);
        return allOk ? 0 : 1;
    }
}
