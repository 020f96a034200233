package dev.quiver.cli;

import dev.quiver.client.QuiverClient;
import dev.quiver.client.StoreStats;
import dev.quiver.protocol.Sizes;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code quiver stats}: memory and counts. */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Shows the store's memory and object counts.")
final class StatsCommand extends ClientCommand {
    @Override
    int run(QuiverClient client, PrintWriter out) {
        StoreStats s = client.stats();
        if (json) {
            out.println(Json.of(s));
            return 0;
        }
        out.printf("socket      %s%n", client.socket());
        out.printf("capacity    %s%n", Sizes.format(s.capacity()));
        out.printf("used        %s (%.1f%%)%n", Sizes.format(s.used()), 100.0 * s.used() / s.capacity());
        out.printf("pinned      %s%n", Sizes.format(s.pinned()));
        out.printf("evictable   %s%n", Sizes.format(s.evictable()));
        out.printf("objects     %d%n", s.objects());
        out.printf("clients     %d%n", s.clients());
        out.printf("evicted     %d objects, %s%n", s.evictedObjects(), Sizes.format(s.evictedBytes()));
        return 0;
    }
}
