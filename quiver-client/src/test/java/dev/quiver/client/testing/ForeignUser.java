package dev.quiver.client.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A process of another user (nobody, uid 65534), for tests of what other users can and cannot do to a store. It
 * runs a small Java program from source under {@code setpriv}, so it needs root and nothing from the classpath:
 * <ul>
 *   <li>{@link #listen}: serves a Unix socket at a path (a squatter); prints {@code listening}, then accepts
 *       connections and closes each at once.</li>
 *   <li>{@link #keepConnecting}: connects to a path over and over; prints {@code trying}, then {@code connected}
 *       (and ends) the first time a connection succeeds, or {@code never connected} when it reads a line.</li>
 * </ul>
 */
public final class ForeignUser {
    /** The uid the process runs as. */
    public static final int UID = 65534;

    private static final String SOURCE = """
            import java.io.*;
            import java.net.*;
            import java.nio.channels.*;
            import java.nio.file.*;

            public class Foreign {
                public static void main(String[] args) throws Exception {
                    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(Path.of(args[1]));
                    if (args[0].equals("listen")) {
                        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                            server.bind(address);
                            System.out.println("listening");
                            while (true) {
                                server.accept().close();
                            }
                        }
                    }
                    Thread stop = Thread.ofPlatform().daemon().start(() -> {
                        try {
                            new BufferedReader(new InputStreamReader(System.in)).readLine();
                        } catch (IOException ignored) {
                        }
                    });
                    System.out.println("trying");
                    while (stop.isAlive()) {
                        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                            ch.connect(address);
                            System.out.println("connected");
                            return;
                        } catch (IOException notYet) {
                            // no socket yet, or not allowed: keep trying
                        }
                    }
                    System.out.println("never connected");
                }
            }
            """;

    private ForeignUser() {}

    /** True if this process may start processes as another user (it is root, and setpriv is there). */
    public static boolean available() {
        try {
            return (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0
                    && Files.isExecutable(Path.of("/usr/bin/setpriv"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Serves a socket at {@code socket} as another user; its directory must let that user create files. */
    public static ChildJvm listen(Path socket) {
        return start("listen", socket);
    }

    /** Tries to connect to {@code socket} as another user until told to stop. */
    public static ChildJvm keepConnecting(Path socket) {
        return start("connect", socket);
    }

    private static ChildJvm start(String mode, Path socket) {
        try {
            Path dir = Files.createTempDirectory("quiver-foreign",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Path source = Files.writeString(dir.resolve("Foreign.java"), SOURCE);
            dir.toFile().deleteOnExit();
            source.toFile().deleteOnExit(); // deleted first: in reverse order
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
            return ChildJvm.command("foreign-" + mode, List.of("/usr/bin/setpriv", "--reuid=" + UID,
                    "--regid=" + UID, "--clear-groups", ChildJvm.javaBinary(), "-XX:-UsePerfData", source.toString(),
                    mode, socket.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
