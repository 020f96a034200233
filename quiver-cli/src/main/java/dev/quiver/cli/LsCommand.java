package dev.quiver.cli;

import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.store.Sizes;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code quiver ls}: every object in the store. */
@Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists the objects in the store, oldest first.")
final class LsCommand extends ClientCommand {
    @Override
    int run(QuiverClient client, PrintWriter out) {
        List<ObjectInfo> objects = client.list();
        if (json) {
            out.println(Json.of(objects.stream().map(LsCommand::toMap).toList()));
            return 0;
        }
        Table t = new Table("ID", "STATE", "DATA", "METADATA", "REFS", "CREATED", "CONSTRUCT");
        for (ObjectInfo o : objects) {
            t.row(o.id(), o.state().name().toLowerCase(), Sizes.format(o.dataSize()), Sizes.format(o.metadataSize()),
                    o.refCount(), Instant.ofEpochMilli(o.createTimeMillis()),
                    o.constructNanos() < 0 ? "-" : String.format("%.3f ms", o.constructNanos() / 1e6));
        }
        t.print(out);
        out.printf("%d objects%n", objects.size());
        return 0;
    }

    static Map<String, Object> toMap(ObjectInfo o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", o.id().toString());
        m.put("state", o.state().name().toLowerCase());
        m.put("dataSize", o.dataSize());
        m.put("metadataSize", o.metadataSize());
        m.put("refCount", o.refCount());
        m.put("createTime", Instant.ofEpochMilli(o.createTimeMillis()).toString());
        m.put("constructNanos", o.constructNanos());
        m.put("digest", Long.toHexString(o.digest()));
        return m;
    }
}
