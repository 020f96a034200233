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
 *   <li>{@link #watchSocket}: watches the socket's directory (inotify); prints {@code watching}, then tries to
 *       connect the moment anything named like the socket appears there. When a file named {@code endMarker}
 *       appears it prints {@code result createdInPlace=B connected=B} and ends: whether the socket was ever
 *       created at its path (rather than renamed there, complete), and whether a connection ever succeeded.</li>
 * </ul>
 */
public final class ForeignUser {
    /** The uid the process runs as. */
    public static final int UID = 65534;

    private static final String SOURCE = """
            import java.io.*;
            import java.lang.foreign.*;
            import java.lang.invoke.MethodHandle;
            import java.net.*;
            import java.nio.channels.*;
            import java.nio.charset.StandardCharsets;
            import java.nio.file.*;

            public class Foreign {
                static final int IN_CREATE = 0x100, IN_MOVED_TO = 0x80;

                public static void main(String[] args) throws Throwable {
                    Path socket = Path.of(args[1]);
                    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
                    if (args[0].equals("listen")) {
                        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                            server.bind(address);
                            System.out.println("listening");
                            while (true) {
                                server.accept().close();
                            }
                        }
                    }
                    // watch: wake on every name created in the socket's directory (inotify) and connect at once.
                    Linker linker = Linker.nativeLinker();
                    MethodHandle init = linker.downcallHandle(linker.defaultLookup().find("inotify_init").get(),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT));
                    MethodHandle addWatch = linker.downcallHandle(linker.defaultLookup().find("inotify_add_watch").get(),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                                    ValueLayout.JAVA_INT));
                    MethodHandle read = linker.downcallHandle(linker.defaultLookup().find("read").get(),
                            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                                    ValueLayout.JAVA_LONG));
                    Arena arena = Arena.ofConfined();
                    int fd = (int) init.invokeExact();
                    int wd = (int) addWatch.invokeExact(fd, arena.allocateFrom(socket.getParent().toString()),
                            IN_CREATE | IN_MOVED_TO);
                    if (fd < 0 || wd < 0) {
                        throw new IllegalStateException("inotify failed");
                    }
                    System.out.println("watching");
                    boolean createdInPlace = false;
                    boolean connected = false;
                    MemorySegment buf = arena.allocate(64 * 1024, 8);
                    while (true) {
                        long n = (long) read.invokeExact(fd, buf, buf.byteSize());
                        for (long off = 0; off < n; ) {
                            int mask = buf.get(ValueLayout.JAVA_INT, off + 4);
                            int len = buf.get(ValueLayout.JAVA_INT, off + 12);
                            String name = buf.getString(off + 16, StandardCharsets.UTF_8);
                            off += 16 + len;
                            if (name.equals(args[2])) {
                                System.out.println("result createdInPlace=" + createdInPlace + " connected=" + connected);
                                return;
                            }
                            if (name.equals(socket.getFileName().toString())) {
                                createdInPlace |= (mask & IN_CREATE) != 0;
                                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                                    ch.connect(address);
                                    connected = true;
                                } catch (IOException refused) {
                                    // not allowed: good
                                }
                            }
                        }
                    }
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

    /** Watches for {@code socket} as another user, as described above, until {@code endMarker} appears. */
    public static ChildJvm watchSocket(Path socket, String endMarker) {
        return start("watch", socket, endMarker);
    }

    private static ChildJvm start(String mode, Path socket, String... more) {
        try {
            Path dir = Files.createTempDirectory("quiver-foreign",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Path source = Files.writeString(dir.resolve("Foreign.java"), SOURCE);
            dir.toFile().deleteOnExit();
            source.toFile().deleteOnExit(); // deleted first: in reverse order
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
            return ChildJvm.command("foreign-" + mode, List.of("/usr/bin/setpriv", "--reuid=" + UID,
                    "--regid=" + UID, "--clear-groups", ChildJvm.javaBinary(), "-XX:-UsePerfData",
                    "--enable-native-access=ALL-UNNAMED", source.toString(), mode, socket.toString(),
                    more.length > 0 ? more[0] : ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
