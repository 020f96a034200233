package dev.quiver.kafka;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.client.QuiverClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;

/**
 * A Kafka → Quiver bridge in a process of its own, for {@link BridgeCrashTest}: it runs until it is killed.
 * Arguments: store socket, bootstrap servers, topic, stream. Prints {@code READY} once it has resumed.
 */
public final class BridgeChild {
    private BridgeChild() {}

    public static void main(String[] args) {
        QuiverClient client = QuiverClient.connect(Path.of(args[0]));
        ArrowStore arrow = new ArrowStore(client, new RootAllocator());
        // Small polls: the bridge is caught between seal and commit more often when it is killed.
        TopicToStream bridge = TopicToStream.builder(arrow, args[1], args[2], args[3])
                .consumerConfig(Map.of("max.poll.records", 3)).open();
        System.out.println("READY");
        System.out.flush();
        while (true) {
            bridge.poll(Duration.ofMillis(100));
        }
    }
}
