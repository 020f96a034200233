package dev.quiver.examples.readme;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.client.DefaultSocket;
import dev.quiver.client.QuiverClient;
import dev.quiver.kafka.StreamToTopic;
import dev.quiver.kafka.TopicToStream;
import java.time.Duration;

/** Carries stream "metrics" from machine A's store to machine B's through Kafka topic "arrow_tables". */
public class KafkaBridgeExample {
    public static void main(String[] args) {
        if (args.length != 2 || !(args[0].equals("publish") || args[0].equals("subscribe"))) {
            System.err.println("usage: KafkaBridgeExample publish|subscribe BOOTSTRAP   (such as kafka:9092)");
            System.exit(2);
        }
        String bootstrap = args[1];
        try (QuiverClient client = QuiverClient.connect(DefaultSocket.path())) {
            ArrowStore arrow = new ArrowStore(client);
            if (args[0].equals("publish")) {
                // machine A: publish stream "metrics" to Kafka (resumes after the last batch already in the topic)
                try (StreamToTopic pub = StreamToTopic.builder(arrow, "metrics", bootstrap, "arrow_tables").open()) {
                    while (!pub.ended()) pub.pump(Duration.ofMillis(500));   // until the stream's writer ends it
                    System.out.println("published " + pub.published() + " batches");
                }
            } else {
                // machine B: fill its own stream "metrics" from the topic; local readers use StreamReader as usual
                try (TopicToStream in = TopicToStream.builder(arrow, bootstrap, "arrow_tables", "metrics").open()) {
                    while (true) {                                  // until stopped (Ctrl-C)
                        if (in.poll(Duration.ofMillis(500)).sealed() > 0) {   // seal in the store first, then commit
                            System.out.println("sealed " + in.sealed() + " batches");
                        }
                    }
                }
            }
        }
    }
}
