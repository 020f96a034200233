package dev.quiver.examples.readme;

import dev.quiver.client.DefaultSocket;
import dev.quiver.client.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A README example run as a user runs it: its {@code main} in a child JVM started with exactly the JVM flags that
 * README.md lists (none of the build's), with the default socket pointed at a test's store through
 * {@code QUIVER_SOCKET}.
 */
final class ExampleRun {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    private ExampleRun() {}

    /** What a finished run left: its exit status, and everything it printed to stdout and stderr. */
    record Result(int exit, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** The README's JVM flags; fails, naming the section, when it lists none. */
    static List<String> flags(Readme readme) {
        List<String> flags = readme.jvmFlags();
        if (flags.isEmpty()) {
            throw new AssertionError("README.md lists no JVM flags: its section '" + Readme.FLAGS_HEADING
                    + "' should have a table with one | `--flag` | why | row per flag");
        }
        return flags;
    }

    /** The command line of {@code main} with {@code flags}, the default socket at {@code socket} (null: unset). */
    static List<String> command(Class<?> main, List<String> flags, Path socket, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "-u", DefaultSocket.ENV));
        if (socket != null) {
            cmd.add(DefaultSocket.ENV + "=" + socket);
        }
        cmd.add(ChildJvm.javaBinary());
        cmd.addAll(flags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs {@code main} with the README's flags to its end (within a minute). */
    static Result run(Class<?> main, Path socket, String... args) {
        return run(command(main, flags(Readme.load()), socket, args));
    }

    /** Runs {@code main} with the given flags instead of the README's. */
    static Result runWith(List<String> flags, Class<?> main, Path socket, String... args) {
        return run(command(main, flags, socket, args));
    }

    /** Starts {@code main} with the README's flags, for a run that the test follows line by line and ends. */
    static ChildJvm start(Class<?> main, Path socket, String... args) {
        return ChildJvm.command(main.getSimpleName(), command(main, flags(Readme.load()), socket, args));
    }

    private static Result run(List<String> cmd) {
        try {
            Path out = Files.createTempFile("example", ".out");
            Path err = Files.createTempFile("example", ".err");
            try {
                Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!p.waitFor(LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor();
                    throw new AssertionError("did not end within " + LIMIT + ": " + cmd + "\n" + Files.readString(err));
                }
                return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
