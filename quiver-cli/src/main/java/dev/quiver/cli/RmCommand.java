package dev.quiver.cli;

import dev.quiver.client.DeleteOutcome;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code quiver rm ID...}: deletes objects. */
@Command(name = "rm", mixinStandardHelpOptions = true,
        description = {"Deletes objects (deferred while a client still holds them).",
                "Exits 1 if any object was not found or not sealed."})
final class RmCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Parameters(arity = "1..*", paramLabel = "ID", description = "Object ids, 40 hex digits each.")
    List<String> ids;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<ObjectId> parsed = ids.stream().map(ObjectId::fromHex).toList(); // all valid, or nothing is deleted
        try (QuiverClient client = socket.connect()) {
            List<DeleteOutcome> outcomes = client.delete(parsed);
            PrintWriter out = spec.commandLine().getOut();
            Map<String, String> result = new LinkedHashMap<>();
            for (int i = 0; i < parsed.size(); i++) {
                result.put(parsed.get(i).toString(), outcomes.get(i).name().toLowerCase().replace('_', ' '));
            }
            if (json) {
                out.println(Json.of(result));
            } else {
                result.forEach((id, outcome) -> out.printf("%s  %s%n", id, outcome));
            }
            out.flush();
            boolean allOk = outcomes.stream()
                    .allMatch(o -> o == DeleteOutcome.DELETED || o == DeleteOutcome.DEFERRED);
            return allOk ? 0 : 1;
        }
    }
}
