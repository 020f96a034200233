package dev.quiver.cli;

import dev.quiver.client.JvmFlags;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code quiver demo}, {@code quiver example} and {@code quiver bench}: the demos live in quiver-examples and the
 * benchmarks in quiver-bench, each with a runnable jar of its own, so that the operator's tool does not carry their
 * libraries (JVector, OSHI, a Kafka broker, gRPC, JMH, XChart). These commands run that jar in a child JVM with this
 * JVM's java and Quiver's JVM flags, hand it every argument unchanged (its own {@code --help} included), share this
 * terminal, and exit with its status. {@code bin/quiver} builds the jars that are missing or stale.
 */
final class SiblingCommands {
    private static final Jar EXAMPLES = new Jar("quiver-examples/target/quiver-examples.jar", "quiver-examples",
            List.of("-jar", "{jar}"));

    private SiblingCommands() {}

    /** The demos: {@code quiver demo [realtime|objects|knn|metrics] [OPTIONS]}. */
    @Command(name = "demo", description = {"Runs a demo on an embedded store: realtime (the default), objects, knn, "
            + "metrics. 'quiver demo --help' lists them; each has its own --help.",
            "Runs quiver-examples/target/quiver-examples.jar."})
    static final class Demo extends Sibling {
        Demo() {
            super(EXAMPLES, "demo");
        }
    }

    /** The walkthrough: {@code quiver example}. */
    @Command(name = "example", description = {"Runs the walkthrough of the README's \"Arrow on the shelf\" on an "
            + "embedded store (its source, quiver-examples' ExampleCommand.java, is the example to read).",
            "Runs quiver-examples/target/quiver-examples.jar."})
    static final class Example extends Sibling {
        Example() {
            super(EXAMPLES, "example");
        }
    }

    /** The multi-process benchmark: {@code quiver bench [--quick] ...}. */
    @Command(name = "bench", description = {"Measures Quiver next to the physical limit and the alternatives, and "
            + "prints a Markdown report ('quiver bench --help' for its options; --quick is a smoke test).",
            "Runs quiver-bench/target/quiver-benchmarks.jar."})
    static final class Bench extends Sibling {
        Bench() {
            super(new Jar("quiver-bench/target/quiver-benchmarks.jar", "quiver-bench",
                    List.of("-cp", "{jar}", "dev.quiver.bench.BenchCommand")), null);
        }
    }

    /** A runnable jar of the checkout, by its path from the checkout's root, and how java runs it. */
    record Jar(String path, String module, List<String> javaArgs) {}

    abstract static class Sibling implements Callable<Integer> {
        private final Jar jar;
        private final String command;

        @Unmatched
        List<String> args = new ArrayList<>();

        @Spec
        CommandSpec spec;

        Sibling(Jar jar, String command) {
            this.jar = jar;
            this.command = command;
        }

        @Override
        public Integer call() throws IOException, InterruptedException {
            Path file = root().resolve(jar.path());
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(file + " does not exist: bin/quiver builds it, or run './mvnw -pl "
                        + jar.module() + " -am install -DskipTests'");
            }
            List<String> cmd = command(file);
            return new ProcessBuilder(cmd).inheritIO().start().waitFor();
        }

        /** The child's command line: this JVM's java, Quiver's JVM flags, the jar, then the arguments. */
        List<String> command(Path file) {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.addAll(JvmFlags.current());
            cmd.add("-D" + JvmFlags.PROPERTY + "=" + JvmFlags.currentLine());
            jar.javaArgs().forEach(a -> cmd.add(a.equals("{jar}") ? file.toString() : a));
            if (command != null) {
                cmd.add(command);
            }
            cmd.addAll(args);
            return cmd;
        }
    }


    /**
     * The checkout's root: {@code -Dquiver.home} (bin/quiver sets it), else three levels above this class's jar or
     * classes directory ({@code ROOT/quiver-cli/target/quiver.jar} or {@code ROOT/quiver-cli/target/classes}).
     */
    static Path root() {
        String home = System.getProperty("quiver.home");
        if (home != null) {
            return Path.of(home);
        }
        try {
            Path self = Path.of(SiblingCommands.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return self.toAbsolutePath().getParent().getParent().getParent();
        } catch (URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot tell where quiver.jar lies; set -Dquiver.home=CHECKOUT", e);
        }
    }
}
