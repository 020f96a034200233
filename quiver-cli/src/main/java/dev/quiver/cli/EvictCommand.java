package dev.quiver.cli;

import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.Sizes;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code quiver evict SIZE}: frees memory held by unreferenced objects. */
@Command(name = "evict", mixinStandardHelpOptions = true,
        description = "Evicts unreferenced sealed objects, least recently released first, until SIZE bytes are freed.")
final class EvictCommand extends ClientCommand {
    @Parameters(paramLabel = "SIZE", converter = SizeConverter.class, description = "Bytes to free, like 64m.")
    long bytes;

    @Override
    int run(QuiverClient client, PrintWriter out) {
        long freed = client.evict(bytes);
        if (json) {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("requested", bytes);
            m.put("freed", freed);
            out.println(Json.of(m));
        } else {
            out.printf("freed %s (%d bytes) of %s requested%n", Sizes.format(freed), freed, Sizes.format(bytes));
        }
        return 0;
    }
}
