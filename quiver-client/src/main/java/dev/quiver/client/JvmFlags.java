package dev.quiver.client;

import java.util.Arrays;
import java.util.List;

/**
 * The JVM flags every Quiver process runs with (the README's "JVM flags" lists why each is needed): native access for
 * the foreign function and memory API, {@code java.nio} opened to Arrow's IPC writer, {@code sun.misc.Unsafe} allowed
 * for Netty (Arrow's allocator), and {@code jdk.internal.misc} exported to Agrona (the command rings). Launchers that
 * start child JVMs pass them on: {@link #current()} is what this JVM was given in the system property
 * {@value #PROPERTY}, or {@link #DEFAULT}.
 */
public final class JvmFlags {
    /** The system property through which launchers pass the flags on to the JVMs they start. */
    public static final String PROPERTY = "quiver.jvm.flags";
    /** The flags, as the build's {@code quiver.jvm.flags} and {@code bin/quiver} state them. */
    public static final List<String> DEFAULT = List.of("--enable-native-access=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");

    private JvmFlags() {}

    /** The flags this JVM was given in {@value #PROPERTY}, or {@link #DEFAULT} if it was given none. */
    public static List<String> current() {
        String given = System.getProperty(PROPERTY, "").strip();
        return given.isEmpty() ? DEFAULT : Arrays.asList(given.split("\\s+"));
    }

    /** {@link #current()} as one string, for {@code -D}{@value #PROPERTY}{@code =...} of a child JVM. */
    public static String currentLine() {
        return String.join(" ", current());
    }
}
