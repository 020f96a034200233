package dev.quiver.client.testing;

import dev.quiver.client.ClientOptions;
import dev.quiver.client.JvmFlags;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real child JVM running a main class from the test classpath, for multi-process tests. The parent talks to it
 * through lines: it reads the child's stdout line by line (blocking, with a timeout) and writes commands to its
 * stdin. The child's stderr (its log) is kept for failure messages.
 */
public final class ChildJvm implements AutoCloseable {
    private static final String EOF = "\u0000EOF";

    private final Process process;
    private final String name;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuffer log = new StringBuffer();
    private final PrintWriter stdin;

    private ChildJvm(Process process, String name) {
        this.process = process;
        this.name = name;
        this.stdin = new PrintWriter(process.outputWriter(StandardCharsets.UTF_8), true);
        pump(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)), true);
        pump(new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)), false);
    }

    /** Starts {@code main} with this JVM's java, classpath and Quiver's JVM flags. */
    public static ChildJvm start(Class<?> main, String... args) {
        return start(main.getName(), List.of(), args);
    }

    /** Starts a main class with extra JVM options. */
    public static ChildJvm start(String mainClass, List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(jvmFlags());
        String transport = System.getProperty(ClientOptions.TRANSPORT_PROPERTY);
        if (transport != null) { // the suite's run over command rings: children connect the same way
            cmd.add("-D" + ClientOptions.TRANSPORT_PROPERTY + "=" + transport);
        }
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(Arrays.asList(args));
        try {
            Process p = new ProcessBuilder(cmd).start();
            return new ChildJvm(p, mainClass.substring(mainClass.lastIndexOf('.') + 1));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + cmd, e);
        }
    }

    /** Starts any command (for example a JVM under another user) and talks to it through lines, as above. */
    public static ChildJvm command(String name, List<String> command) {
        try {
            return new ChildJvm(new ProcessBuilder(command).start(), name);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + command, e);
        }
    }

    /** The java launcher of this JVM (a JDK 25 when run by the build). */
    public static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Quiver's JVM flags, as the build passes them to the tests. */
    public static List<String> jvmFlags() {
        return JvmFlags.current();
    }

    /** The next line the child printed, waiting up to {@code timeout}; fails if none came or the child ended. */
    public String readLine(Duration timeout) {
        try {
            String line = lines.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError(name + " printed no line within " + timeout + "; its log:\n" + log);
            }
            if (line.equals(EOF)) {
                lines.add(EOF);
                throw new AssertionError(name + " ended (exit " + exitValueOrRunning() + ") before printing the "
                        + "expected line; its log:\n" + log);
            }
            return line;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Skips lines until one starts with {@code prefix}; returns the rest of that line, trimmed. */
    public String expect(String prefix, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = readLine(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length()).trim();
            }
        }
    }

    /** Skips lines until one holds {@code text} after {@code prefix} (a log line, typically), within {@code timeout}. */
    public void awaitLine(String prefix, String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = readLine(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            int at = line.indexOf(prefix);
            if (at >= 0 && line.indexOf(text, at) >= 0) {
                return;
            }
        }
    }

    /** Writes one line to the child's stdin. */
    public void send(String line) {
        stdin.println(line);
    }

    /** SIGKILL, and waits until the process is gone. */
    public void kill() {
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(30));
    }

    /**
     * SIGSTOP: the process freezes (it neither reads nor answers; the kernel still accepts connections for it) until
     * {@link #resume()}. Resume in a {@code finally}: a frozen child outlives nothing but is never cleaned up either.
     */
    public void suspend() {
        signal("STOP");
        awaitStopped(Duration.ofSeconds(30));
    }

    /**
     * Waits until every thread of the process is stopped: kill(2) returns before a group stop has reached every
     * thread, and a thread still running (on a busy machine, for milliseconds) could yet answer a request.
     */
    private void awaitStopped(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path tasks = Path.of("/proc/" + process.pid() + "/task");
        while (true) {
            boolean allStopped;
            try (java.util.stream.Stream<Path> threads = java.nio.file.Files.list(tasks)) {
                allStopped = threads.allMatch(ChildJvm::isStopped);
            } catch (IOException | java.io.UncheckedIOException e) {
                throw new IllegalStateException("cannot read the threads of " + name + " in " + tasks, e);
            }
            if (allStopped) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " was sent SIGSTOP but did not stop within " + timeout);
            }
            Thread.onSpinWait();
        }
    }

    /** A thread's state in /proc is T (stopped), or it has ended meanwhile. */
    private static boolean isStopped(Path task) {
        try {
            String stat = java.nio.file.Files.readString(task.resolve("stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'T' || state == 't';
        } catch (IOException e) {
            return true; // the thread ended
        }
    }

    /** SIGCONT: a {@link #suspend() suspended} process runs again. */
    public void resume() {
        signal("CONT");
    }

    /** SIGTERM (the JVM runs its shutdown hooks). */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the child to end and returns its exit status. */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " did not end within " + timeout + "; its log:\n" + log);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Everything the child wrote to stderr so far. */
    public String log() {
        return log.toString();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Sends a signal with kill(1): Java has no API for SIGSTOP and SIGCONT. */
    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start();
            if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill -" + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private String exitValueOrRunning() {
        return process.isAlive() ? "still running" : String.valueOf(process.exitValue());
    }

    private void pump(BufferedReader in, boolean stdout) {
        Thread.ofPlatform().daemon().name(name + (stdout ? "-out" : "-err")).start(() -> {
            try (in) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (stdout) {
                        lines.add(line);
                    } else {
                        log.append(line).append('\n');
                    }
                }
            } catch (IOException ignored) {
                // the child is gone
            } finally {
                if (stdout) {
                    lines.add(EOF);
                }
            }
        });
    }
}
