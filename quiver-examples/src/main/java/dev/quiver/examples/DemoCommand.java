package dev.quiver.examples;

import dev.quiver.examples.knn.KnnDemo;
import dev.quiver.examples.metrics.MetricsDemo;
import dev.quiver.examples.objects.ObjectsDemo;
import dev.quiver.examples.realtime.RealtimeDemo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code quiver demo [NAME]}: the demos; without a name, the real-time streaming demo, with any options given
 * ({@code quiver demo --rate 500} is {@code quiver demo realtime --rate 500}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs a demo on an embedded store (no server to start).",
                "Without a name: the real-time online-learning demo (quiver demo realtime), with the options "
                        + "given."},
        subcommands = {RealtimeDemo.class, ObjectsDemo.class, KnnDemo.class, MetricsDemo.class})
final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Unmatched
    List<String> realtimeOptions = new ArrayList<>();

    @Override
    public Integer call() {
        return spec.commandLine().getSubcommands().get("realtime").execute(realtimeOptions.toArray(String[]::new));
    }
}
