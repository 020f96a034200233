package dev.quiver.flight;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How the store's Flight endpoint serves ({@code quiver store --flight [HOST:]PORT} and the options beside it).
 *
 * @param address  where to listen; port 0 picks a free port
 * @param tokens   a file of bearer tokens, one a line (blank lines and {@code #} comments ignored), or null for no
 *                 authentication
 * @param tlsCert  a PEM certificate chain for TLS, or null for plain TCP
 * @param tlsKey   the PEM (PKCS#8) private key of {@code tlsCert}, or null
 * @param insecure serve a non-loopback address without tokens anyway
 */
public record FlightSettings(InetSocketAddress address, Path tokens, Path tlsCert, Path tlsKey, boolean insecure) {
    /**
     * @throws IllegalArgumentException if only one of certificate and key is given, or if a non-loopback address is
     *     to be served without tokens and without {@code insecure}
     */
    public FlightSettings {
        Objects.requireNonNull(address, "address");
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--flight-tls takes a certificate chain and its private key, both PEM "
                    + "files; got only one");
        }
        if (tokens == null && !insecure && !isLoopback(address)) {
            throw new IllegalArgumentException("--flight " + address.getHostString() + ":" + address.getPort()
                    + " is not a loopback address, and without tokens anyone who reaches it may read, write and "
                    + "delete the store's tables: give --flight-tokens FILE (bearer tokens, one a line), or "
                    + "--flight-insecure to serve it without authentication anyway");
        }
    }

    /** Plain, unauthenticated serving on the loopback address at {@code port}. */
    public static FlightSettings loopback(int port) {
        return new FlightSettings(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), null, null, null,
                false);
    }

    /** The same settings with bearer tokens from {@code file}. */
    public FlightSettings withTokens(Path file) {
        return new FlightSettings(address, file, tlsCert, tlsKey, insecure);
    }

    /** The same settings with TLS from a PEM certificate chain and its PEM private key. */
    public FlightSettings withTls(Path cert, Path key) {
        return new FlightSettings(address, tokens, cert, key, insecure);
    }

    /** Whether TLS is on. */
    public boolean tls() {
        return tlsCert != null;
    }

    private static boolean isLoopback(InetSocketAddress a) {
        return a.getAddress() != null && a.getAddress().isLoopbackAddress();
    }
}
