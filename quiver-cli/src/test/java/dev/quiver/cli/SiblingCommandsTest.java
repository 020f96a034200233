package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * quiver demo, example and bench run the jars of quiver-examples and quiver-bench in a child JVM: the operator's tool
 * carries none of their libraries, hands them every argument unchanged, and says how to build a missing jar.
 */
class SiblingCommandsTest {
    @Test
    void theChildGetsEveryArgumentUnchangedHelpIncluded() {
        CommandLine cli = new CommandLine(new QuiverCommand());
        CommandLine.ParseResult parsed = cli.parseArgs("demo", "knn", "--points", "10", "--help");
        SiblingCommands.Sibling demo = (SiblingCommands.Sibling) parsed.subcommand().commandSpec().userObject();
        List<String> cmd = demo.command(Path.of("/x/quiver-examples.jar"));
        assertThat(cmd).endsWith("-jar", "/x/quiver-examples.jar", "demo", "knn", "--points", "10", "--help");
        assertThat(cmd).contains("--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED");

        parsed = new CommandLine(new QuiverCommand()).parseArgs("bench", "--quick");
        SiblingCommands.Sibling bench = (SiblingCommands.Sibling) parsed.subcommand().commandSpec().userObject();
        assertThat(bench.command(Path.of("/x/b.jar")))
                .endsWith("-cp", "/x/b.jar", "dev.quiver.bench.BenchCommand", "--quick");
    }

    @Test
    void aMissingJarIsAClearErrorThatSaysHowToBuildIt(@TempDir Path empty) {
        System.setProperty("quiver.home", empty.toString());
        try {
            Cli r = Cli.run("demo", "objects");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).contains(empty.resolve("quiver-examples/target/quiver-examples.jar") + " does not exist")
                    .contains("./mvnw -pl quiver-examples -am install -DskipTests");
            Cli b = Cli.run("bench", "--quick");
            assertThat(b.exit()).isEqualTo(1);
            assertThat(b.err()).contains("quiver-benchmarks.jar does not exist");
        } finally {
            System.clearProperty("quiver.home");
        }
    }

    @Test
    void theHelpListsTheDemosExampleAndBench() {
        assertThat(Cli.run("--help").out()).contains("demo ").contains("example ").contains("bench ");
    }

    /**
     * The demos' and benchmarks' libraries are not on the operator's tool's classpath. (gRPC and Flight are: the store's
     * Flight endpoint and the --remote commands need them.)
     */
    @Test
    void noLibraryOfTheDemosOrTheBenchmarksIsOnTheClasspath() {
        for (String name : List.of("io.github.jbellis.jvector.graph.GraphIndexBuilder", "oshi.SystemInfo",
                "kafka.server.KafkaRaftServer", "org.openjdk.jmh.annotations.Benchmark", "org.knowm.xchart.XYChart",
                "dev.quiver.testkit.EmbeddedKafka", "dev.quiver.bench.Bench")) {
            assertThatThrownBy(() -> Class.forName(name)).as(name).isInstanceOf(ClassNotFoundException.class);
        }
    }
}
