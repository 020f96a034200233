package dev.quiver.cli;

import dev.quiver.client.ClientInfo;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.Sizes;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code quiver who}: the connected clients and what each holds. */
@Command(name = "who", mixinStandardHelpOptions = true,
        description = {"Lists the clients connected to the store, with what each holds: objects it has references "
                + "to, the references, their bytes in the arena, and objects it is still writing. Memory that a "
                + "client holds cannot be evicted; a client that holds much for long is the one to look at.",
                "This command's own connection is listed too (marked *). Bytes are whole 64-byte blocks; an object "
                        + "held by several clients counts for each.",
                "--json prints a list of {\"id\", \"name\", \"pid\", \"subscriber\", \"objects\", \"references\", "
                        + "\"bytes\", \"writing\", \"self\"}."})
final class WhoCommand extends ClientCommand {
    @Override
    int run(QuiverClient client, PrintWriter out) {
        List<ClientInfo> clients = client.clients();
        if (json) {
            out.println(Json.of(clients.stream().map(c -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", c.id());
                m.put("name", c.name());
                m.put("pid", c.pid());
                m.put("subscriber", c.subscriber());
                m.put("objects", c.objects());
                m.put("references", c.references());
                m.put("bytes", c.bytes());
                m.put("writing", c.writing());
                m.put("self", c.id() == client.clientId());
                return m;
            }).toList()));
            return 0;
        }
        Table t = new Table("CLIENT", "PID", "NAME", "OBJECTS", "REFS", "HELD", "WRITING");
        long total = 0;
        for (ClientInfo c : clients) {
            t.row(c.id() + (c.id() == client.clientId() ? "*" : ""), c.pid(), c.name(), c.objects(), c.references(),
                    Sizes.format(c.bytes()), c.writing());
            total += c.bytes();
        }
        t.print(out);
        out.printf("%d %s, holding %s%n", clients.size(), clients.size() == 1 ? "client" : "clients",
                Sizes.format(total));
        return 0;
    }
}
