package dev.quiver.flight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.arrow.Shelf;
import dev.quiver.client.QuiverClient;
import dev.quiver.embedded.EmbeddedStore;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bearer tokens from a file, the refusal of an open non-loopback bind, and TLS with a self-signed certificate. */
class FlightSecurityTest {
    private static EmbeddedStore store;
    private static BufferAllocator allocator;

    @TempDir
    Path dir;

    @BeforeAll
    static void startStore() {
        store = EmbeddedStore.start(32L << 20);
        allocator = new RootAllocator();
        try (QuiverClient c = store.connect(); Shelf shelf = Shelf.of(c, allocator);
             VectorSchemaRoot root = Tables.batch(allocator, 0, 10)) {
            shelf.put("secret", root);
        }
    }

    @AfterAll
    static void stopStore() {
        allocator.close();
        store.close();
    }

    @Test
    void callsWithoutAKnownBearerTokenAreRefused() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "# who may read\nfirst-token\n\n  second-token  \n");
        try (QuiverFlightServer flight = QuiverFlightServer.start(store.socket(),
                FlightSettings.loopback(0).withTokens(tokens));
             FlightClient c = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", flight.port()))
                     .build()) {
            FlightRuntimeException missing = listFailure(c);
            assertThat(missing.status().code()).isEqualTo(FlightStatusCode.UNAUTHENTICATED);
            assertThat(missing.getMessage()).contains("Bearer");
            assertThat(listFailure(c, bearer("third-token")).status().code())
                    .isEqualTo(FlightStatusCode.UNAUTHENTICATED);
            assertThat(listFailure(c, bearer("# who may read")).status().code())
                    .isEqualTo(FlightStatusCode.UNAUTHENTICATED);
            assertThat(statusOfGet(c, bearer("first-tokenX"))).isEqualTo(FlightStatusCode.UNAUTHENTICATED);

            assertThat(list(c, bearer("second-token"))).hasSize(1);
            assertThat(list(c, bearer("first-token"))).hasSize(1);
        }
    }

    @Test
    void aTokenFileWithoutTokensIsRefusedAtStart() throws Exception {
        Path empty = Files.writeString(dir.resolve("tokens"), "# nobody\n\n");
        assertThatThrownBy(() -> QuiverFlightServer.start(store.socket(), FlightSettings.loopback(0).withTokens(empty)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds no token");
    }

    @Test
    void aNonLoopbackBindNeedsTokensOrAnExplicitInsecure() {
        InetSocketAddress any = new InetSocketAddress("0.0.0.0", 0);
        assertThatThrownBy(() -> new FlightSettings(any, null, null, null, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--flight-tokens")
                .hasMessageContaining("--flight-insecure");
        assertThat(new FlightSettings(any, null, null, null, true).insecure()).isTrue();
        assertThat(new FlightSettings(any, Path.of("tokens"), null, null, false).tokens()).isNotNull();
        assertThatThrownBy(() -> FlightSettings.loopback(0).withTls(Path.of("cert.pem"), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("both PEM files");
    }

    @Test
    void servesOverTlsWithASelfSignedCertificate() throws Exception {
        Path[] pem = selfSigned();
        try (QuiverFlightServer flight = QuiverFlightServer.start(store.socket(),
                FlightSettings.loopback(0).withTls(pem[0], pem[1]))) {
            assertThat(flight.uri().getScheme()).isEqualTo("grpc+tls");
            try (InputStream roots = Files.newInputStream(pem[0]);
                 FlightClient trusting = FlightClient.builder(allocator, Location.forGrpcTls("localhost",
                         flight.port())).trustedCertificates(roots).build()) {
                assertThat(list(trusting)).hasSize(1);
            }
            try (FlightClient untrusting = FlightClient.builder(allocator, Location.forGrpcTls("localhost",
                    flight.port())).build()) {
                assertThat(listFailure(untrusting).status().code()).isEqualTo(FlightStatusCode.UNAVAILABLE);
            }
            try (FlightClient plain = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1",
                    flight.port())).build()) {
                assertThat(listFailure(plain).status().code()).isEqualTo(FlightStatusCode.UNAVAILABLE);
            }
        }
    }

    /** A self-signed certificate for localhost and 127.0.0.1 made with the JDK's keytool: PEM chain and key. */
    private Path[] selfSigned() throws Exception {
        Path keystore = dir.resolve("server.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "quiver", "-keyalg", "RSA",
                "-keysize", "2048", "-validity", "2", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(output).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        Certificate cert = ks.getCertificate("quiver");
        PrivateKey key = (PrivateKey) ks.getKey("quiver", "changeit".toCharArray());
        Path certPem = Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", cert.getEncoded()));
        Path keyPem = Files.writeString(dir.resolve("key.pem"), pem("PRIVATE KEY", key.getEncoded())); // PKCS#8
        return new Path[] {certPem, keyPem};
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static CallOption bearer(String token) {
        return new CredentialCallOption(new BearerCredentialWriter(token));
    }

    private static List<FlightInfo> list(FlightClient c, CallOption... options) {
        List<FlightInfo> infos = new ArrayList<>();
        c.listFlights(Criteria.ALL, options).forEach(infos::add);
        return infos;
    }

    private static FlightRuntimeException listFailure(FlightClient c, CallOption... options) {
        try {
            list(c, options);
        } catch (FlightRuntimeException e) {
            return e;
        }
        throw new AssertionError("the listing was not refused");
    }

    private static FlightStatusCode statusOfGet(FlightClient c, CallOption... options) {
        try {
            c.getInfo(FlightNames.shelf("secret"), options);
        } catch (FlightRuntimeException e) {
            return e.status().code();
        }
        throw new AssertionError("the call was not refused");
    }
}
