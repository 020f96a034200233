package dev.quiver.cli;

import dev.quiver.client.ObjectEvent;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.StoreUnavailableException;
import dev.quiver.client.Subscription;
import dev.quiver.protocol.Sizes;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code quiver watch}: follows the store's subscription. With {@code --json}, one JSON object per line. */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Follows seals and deletions as they happen.",
                "Objects already sealed come first; runs until interrupted or the store stops."})
final class WatchCommand extends ClientCommand {
    @Option(names = {"-n", "--count"}, paramLabel = "N", defaultValue = "-1",
            description = "Stop after N events (default: follow forever).")
    long count;

    @Override
    int run(QuiverClient client, PrintWriter out) {
        try (Subscription sub = client.subscribe()) {
            for (long seen = 0; count < 0 || seen < count; seen++) {
                ObjectEvent e = sub.next();
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("time", Instant.now().toString());
                    m.put("event", e.kind().name().toLowerCase());
                    m.put("id", e.id().toString());
                    m.put("dataSize", e.dataSize());
                    m.put("metadataSize", e.metadataSize());
                    m.put("digest", Digest.show(e.digest()));
                    out.println(Json.line(m));
                } else {
                    out.printf("%s  %-7s  %s  %s + %s%n", Instant.now(), e.kind().name().toLowerCase(), e.id(),
                            Sizes.format(e.dataSize()), Sizes.format(e.metadataSize()));
                }
                out.flush();
            }
            return 0;
        } catch (StoreUnavailableException e) {
            spec.commandLine().getErr().println("quiver watch: the store went away: " + e.getMessage());
            return 1;
        }
    }
}
