package dev.quiver.cli;

import dev.quiver.client.QuiverClient;
import dev.quiver.store.Sizes;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code quiver evict BYTES}: frees memory held by unreferenced objects. */
@Command(name = "evict", mixinStandardHelpOptions = true,
        description = "Evicts unreferenced sealed objects, least recently released first, until SIZE bytes are freed.")
final class EvictCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Parameters(paramLabel = "SIZE", converter = SizeConverter.class, description = "Bytes to free, like 64m.")
    long bytes;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (QuiverClient client = socket.connect()) {
            long freed = client.evict(bytes);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Long> m = new LinkedHashMap<>();
                m.put("requested", bytes);
                m.put("freed", freed);
                out.println(Json.of(m));
            } else {
                out.printf("freed %s (%d bytes) of %s requested%n", Sizes.format(freed), freed, Sizes.format(bytes));
            }
            out.flush();
            return 0;
        }
    }
}
