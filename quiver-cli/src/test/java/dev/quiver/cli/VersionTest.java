package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code quiver --version}: the build's version and the git commit it was built from. */
class VersionTest {
    @Test
    void theVersionNamesTheProjectVersionAndTheCommitOfThisCheckout() throws Exception {
        Cli r = Cli.run("--version");
        assertThat(r.exit()).isZero();
        Matcher m = Pattern.compile("quiver (\\d+\\.\\d+\\.\\d+(?:-SNAPSHOT)?) \\(commit ([0-9a-f]{12})")
                .matcher(r.out());
        assertThat(m.find()).as("version line: %s", r.out()).isTrue();
        assertThat(r.out()).contains("on Java " + Runtime.version());
        String head = gitHead();
        Assumptions.assumeTrue(head != null, "not a git checkout: the build records no commit");
        assertThat(head).as("the commit the classes were built from").startsWith(m.group(2));
    }

    /** HEAD of the checkout the tests run in, or null without git. */
    private static String gitHead() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("git", "rev-parse", "HEAD").directory(Path.of("..").toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return p.waitFor() == 0 ? out : null;
    }
}
