package dev.quiver.bench;

import dev.quiver.client.ObjectEvent;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.Subscription;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The child processes of {@link ListingUnderLoad}, so that neither the store nor the lister shares a JVM (and its
 * garbage collections) with the client whose round trips are measured:
 * {@code store SOCKET BYTES} serves a store until {@code quit}; {@code client SOCKET} answers {@code list} and
 * {@code subscribe N} with {@code done COUNT}.
 */
public final class ListingProcess {
    private ListingProcess() {}

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (args[0].equals("store")) {
            try (StoreServer store = StoreServer.start(StoreConfig.of(Long.parseLong(args[2]), Path.of(args[1])))) {
                System.out.println("ready");
                String line;
                while ((line = in.readLine()) != null && !line.equals("quit")) {
                    // serve
                }
            }
            return;
        }
        try (QuiverClient client = QuiverClient.connect(Path.of(args[1]))) {
            System.out.println("ready");
            String line;
            while ((line = in.readLine()) != null && !line.equals("quit")) {
                String[] w = line.split(" ");
                long count = 0;
                if (w[0].equals("list")) {
                    count = client.list().size();
                } else {
                    try (Subscription s = client.subscribe()) {
                        for (int i = Integer.parseInt(w[1]); i > 0; i--) {
                            if (s.next(Duration.ofMinutes(1)).orElseThrow().kind() == ObjectEvent.Kind.SEALED) {
                                count++;
                            }
                        }
                    }
                }
                System.out.println("done " + count);
            }
        }
    }
}
