package dev.quiver.examples;

import dev.quiver.examples.knn.KnnDemo;
import dev.quiver.examples.metrics.MetricsDemo;
import dev.quiver.examples.objects.ObjectsDemo;
import dev.quiver.examples.realtime.RealtimeDemo;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code quiver demo [NAME]}: the demos; without a name, the real-time streaming demo with its defaults. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs a demo on an embedded store (no server to start).",
                "Without a name: the real-time online-learning demo (quiver demo realtime)."},
        subcommands = {RealtimeDemo.class, ObjectsDemo.class, KnnDemo.class, MetricsDemo.class})
final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return spec.commandLine().getSubcommands().get("realtime").execute();
    }
}
