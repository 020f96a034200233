package dev.quiver.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Starts worker JVMs for the demos: same java, same classpath, same JVM flags as this process. */
final class ChildProcess {
    private ChildProcess() {}

    static Process start(Class<?> main, String... args) throws IOException {
        return new ProcessBuilder(command(List.of(), main, args)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The command line of a child JVM, with extra JVM options after Quiver's flags. */
    static List<String> command(List<String> jvmOptions, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        String flags = System.getProperty("quiver.jvm.flags", "--enable-native-access=ALL-UNNAMED");
        Arrays.stream(flags.trim().split("\\s+")).filter(f -> !f.isEmpty()).forEach(cmd::add);
        cmd.add("-Dquiver.jvm.flags=" + flags);
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }
}
