package dev.quiver.cli;

import dev.quiver.client.StoreUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.CallOptions;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.memory.BufferAllocator;
import picocli.CommandLine.Option;

/**
 * The options of get, put and tail that reach a store's Flight endpoint ({@code quiver store --flight}) instead of
 * its socket: {@code --remote URI}, {@code --token-file FILE}, {@code --tls-roots FILE}; the command's {@code --timeout}
 * bounds how long the endpoint may take to answer its first call.
 */
final class RemoteOptions {
    @Option(names = "--remote", paramLabel = "URI", description = {"Talk to a store's Flight endpoint (quiver store "
            + "--flight) instead of its socket: grpc://HOST:PORT (or grpc+tcp://), grpc+tls://HOST:PORT with TLS."})
    URI uri;

    @Option(names = "--token-file", paramLabel = "FILE", description = "With --remote: send the first token in this "
            + "file (lines starting with # are skipped) as 'authorization: Bearer TOKEN'.")
    Path tokenFile;

    @Option(names = "--tls-roots", paramLabel = "FILE", description = "With --remote grpc+tls://: trust the PEM "
            + "certificates in this file (such as a self-signed server's own) instead of the system's.")
    Path tlsRoots;

    /** A Flight client of the remote endpoint and the call options every call sends. */
    record Remote(FlightClient client, CallOption[] options) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            client.close();
        }
    }

    boolean given() {
        return uri != null;
    }

    /**
     * A client of the remote endpoint, once the endpoint has answered a first call (ListActions) within
     * {@code timeout}: connecting, TLS and the token are all checked by it, so an endpoint that does not answer
     * ends the command rather than hanging it. The command's own calls then run without a deadline: a large get
     * takes what it takes, and a tail follows for as long as the stream goes on.
     *
     * @throws StoreUnavailableException if the endpoint did not answer within {@code timeout}
     */
    Remote connect(BufferAllocator allocator, Duration timeout) {
        if ((tokenFile != null || tlsRoots != null) && uri == null) {
            throw new IllegalArgumentException("--token-file and --tls-roots go with --remote URI, which is missing");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        if (!scheme.equals("grpc") && !scheme.equals("grpc+tcp") && !scheme.equals("grpc+tls")
                || uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("--remote " + uri + ": expected grpc://HOST:PORT, grpc+tcp://HOST:PORT "
                    + "or grpc+tls://HOST:PORT, such as grpc://127.0.0.1:8815");
        }
        FlightClient.Builder b = FlightClient.builder(allocator, new Location(uri));
        if (tlsRoots != null) {
            try (InputStream in = Files.newInputStream(tlsRoots)) {
                b.trustedCertificates(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("--tls-roots " + tlsRoots + ": cannot read it: " + e.getMessage());
            }
        }
        CallOption[] options = tokenFile == null ? new CallOption[0]
                : new CallOption[] {new CredentialCallOption(new BearerCredentialWriter(token(tokenFile)))};
        FlightClient client = b.build();
        try {
            CallOption[] first = Arrays.copyOf(options, options.length + 1);
            first[options.length] = CallOptions.timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
            client.listActions(first).forEach(action -> { });
        } catch (RuntimeException e) {
            close(client);
            if (e instanceof FlightRuntimeException f && f.status().code() == FlightStatusCode.TIMED_OUT) {
                throw new StoreUnavailableException("the Flight endpoint at " + uri + " did not answer within "
                        + format(timeout) + ": check that a store serves it (quiver store --flight), is not stopped "
                        + "and is reachable from here, or allow more time with --timeout");
            }
            throw e;
        }
        return new Remote(client, options);
    }

    private static void close(FlightClient client) {
        try {
            client.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    private static String token(Path file) {
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String t = line.strip();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    return t;
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--token-file " + file + ": cannot read it: " + e.getMessage());
        }
        throw new IllegalArgumentException("--token-file " + file + " holds no token");
    }
}
