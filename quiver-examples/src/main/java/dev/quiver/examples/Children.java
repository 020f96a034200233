package dev.quiver.examples;

import dev.quiver.client.JvmFlags;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The demos' child processes: a child JVM runs a class of this jar with the same java, classpath and Quiver JVM flags
 * as this process, talks by printing lines, and is followed by a thread that turns those lines into {@link Line}s on
 * one queue (ending with {@code EXIT status}), so that the demo reads every child's report in one loop.
 */
public final class Children {
    /** What children print on stderr that says nothing to the reader of a demo. */
    private static final Set<String> NOISE = Set.of("WARNING: Using incubator modules: jdk.incubator.vector");

    private Children() {}

    /** One line a child printed on stdout, or {@code EXIT status} once it ended (-1 if its status is unknown). */
    public record Line(String source, String text) {
        /** The line's space-separated fields. */
        public String[] fields() {
            return text.split(" ");
        }

        /** Whether this is the {@code EXIT} line of the child. */
        public boolean isExit() {
            return text.startsWith("EXIT ");
        }
    }

    /** The command line of a child JVM running {@code main}, with extra JVM options after Quiver's flags. */
    public static List<String> command(List<String> jvmOptions, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(JvmFlags.current());
        cmd.add("-D" + JvmFlags.PROPERTY + "=" + JvmFlags.currentLine());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /**
     * Starts {@code main} in a child JVM named {@code source} and follows it: its stdout lines go to {@code lines},
     * then its {@code EXIT} line; its stderr goes to {@code err}, each line prefixed with the source.
     */
    public static Process start(String source, BlockingQueue<Line> lines, PrintWriter err, List<String> jvmOptions,
                                Class<?> main, String... args) throws IOException {
        Process p = new ProcessBuilder(command(jvmOptions, main, args)).start();
        Thread.ofPlatform().daemon().name(source).start(() -> {
            try (BufferedReader in = p.inputReader(StandardCharsets.UTF_8)) {
                for (String s; (s = in.readLine()) != null; ) {
                    lines.add(new Line(source, s));
                }
            } catch (IOException e) {
                // the pipe broke: the exit status tells the rest
            }
            try {
                lines.add(new Line(source, "EXIT " + p.waitFor()));
            } catch (InterruptedException e) {
                lines.add(new Line(source, "EXIT -1"));
            }
        });
        Predicate<String> worthShowing = s -> !NOISE.contains(s);
        Thread.ofPlatform().daemon().name(source + "-stderr").start(() -> {
            try (BufferedReader in = p.errorReader(StandardCharsets.UTF_8)) {
                for (String s; (s = in.readLine()) != null; ) {
                    if (worthShowing.test(s)) {
                        synchronized (err) {
                            err.println(source + ": " + s);
                            err.flush();
                        }
                    }
                }
            } catch (IOException e) {
                // the child is gone
            }
        });
        return p;
    }

    /** The next line of any child, waiting until the deadline ({@link System#nanoTime()}); null once it passed. */
    public static Line next(BlockingQueue<Line> lines, long deadlineNanos) throws InterruptedException {
        return lines.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
}
