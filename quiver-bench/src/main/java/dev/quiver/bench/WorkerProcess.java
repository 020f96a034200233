package dev.quiver.bench;

import dev.quiver.client.JvmFlags;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The harness's handle on one child JVM running {@link BenchWorker}: commands go to its stdin, answers come back as
 * lines on its stdout, and the harness waits for those lines (never for a time). Its stderr (its log) is kept to
 * explain a failure.
 *
 * <p>The child runs with this JVM's java binary and classpath, and the JVM flags in the system property
 * {@code quiver.jvm.flags} (which it passes on).
 */
final class WorkerProcess implements AutoCloseable {
    private static final String EOF = "\u0000EOF";
    private static final int LOG_LINES = 60;

    private final String name;
    private final Process process;
    private final PrintWriter stdin;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Deque<String> log = new ArrayDeque<>();

    private WorkerProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.stdin = new PrintWriter(process.outputWriter(StandardCharsets.UTF_8), true);
        Thread.ofPlatform().daemon().name(name + "-stdout").start(() -> pump(process.inputReader(StandardCharsets.UTF_8), true));
        Thread.ofPlatform().daemon().name(name + "-stderr").start(() -> pump(process.errorReader(StandardCharsets.UTF_8), false));
    }

    /** Starts {@code main} in a child JVM with the given arguments. */
    static WorkerProcess start(String name, Class<?> main, List<String> args) {
        return start(name, main, args, Map.of());
    }

    /** Starts {@code main} in a child JVM with the given arguments and variables added to its environment. */
    static WorkerProcess start(String name, Class<?> main, List<String> args, Map<String, String> env) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(JvmFlags.current());
        cmd.add("-D" + JvmFlags.PROPERTY + "=" + JvmFlags.currentLine());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(args);
        try {
            ProcessBuilder builder = new ProcessBuilder(cmd);
            builder.environment().putAll(env);
            return new WorkerProcess(name, builder.start());
        } catch (IOException e) {
            throw new BenchException("cannot start the worker JVM " + name + " (" + cmd.getFirst() + "): " + e, e);
        }
    }

    /** The java launcher of this JVM. */
    static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** The JVM flags children get ({@link JvmFlags#current()}). */
    static String jvmFlags() {
        return JvmFlags.currentLine();
    }

    String name() {
        return name;
    }

    /** Sends one command line. */
    void send(String line) {
        stdin.println(line);
        if (stdin.checkError()) {
            throw failure("cannot send '" + line + "': its stdin is closed");
        }
    }

    /** Sends a command and waits for its answer starting with {@code word}; returns the rest of that line. */
    String ask(String command, String word, Duration timeout) {
        send(command);
        return expect(word, timeout);
    }

    /**
     * Waits for the next line; it must start with {@code word}. Returns the rest of the line, trimmed.
     *
     * @throws BenchException with the child's log if it reported an error, ended, or said nothing in time
     */
    String expect(String word, Duration timeout) {
        String line;
        try {
            line = lines.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while waiting for " + name, e);
        }
        if (line == null) {
            throw failure("answered nothing within " + timeout.toSeconds() + " s (waiting for '" + word + "')");
        }
        if (line.equals(EOF)) {
            lines.add(EOF);
            throw failure("ended before answering '" + word + "'" + exitStatus());
        }
        if (line.startsWith("ERR ")) {
            throw failure("failed: " + line.substring(4));
        }
        if (!line.equals(word) && !line.startsWith(word + " ")) {
            throw failure("answered '" + line + "' where '" + word + "' was expected");
        }
        return line.substring(word.length()).trim();
    }

    /** Asks the child to quit and waits for it; kills it if it does not go within 10 s. */
    @Override
    public void close() {
        if (process.isAlive()) {
            stdin.println("quit");
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // fall through to the kill
            }
        }
        process.destroyForcibly();
        stdin.close();
    }

    private BenchException failure(String what) {
        String tail;
        synchronized (log) {
            tail = String.join("\n  ", log);
        }
        return new BenchException("worker process " + name + " (pid " + process.pid() + ") " + what
                + (tail.isEmpty() ? "" : "; the end of its log:\n  " + tail));
    }

    private String exitStatus() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? " (exit code " + process.exitValue() + ")" : "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private void pump(BufferedReader in, boolean stdout) {
        try (BufferedReader r = in) {
            for (String line; (line = r.readLine()) != null; ) {
                if (stdout) {
                    lines.add(line);
                } else {
                    synchronized (log) {
                        log.addLast(line);
                        if (log.size() > LOG_LINES) {
                            log.removeFirst();
                        }
                    }
                }
            }
        } catch (IOException e) {
            // the process went away
        } finally {
            if (stdout) {
                lines.add(EOF);
            }
        }
    }
}
