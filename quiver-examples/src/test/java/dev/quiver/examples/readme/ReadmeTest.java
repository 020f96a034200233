package dev.quiver.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's Java code is the examples' code, and its JVM flags are the build's: README.md shows every source file of
 * {@code dev.quiver.examples.readme} from its first import to its end, shows no other Java, and lists exactly the
 * parent POM's {@code quiver.jvm.flags}.
 */
class ReadmeTest {
    static final Path SOURCES = Path.of("src/main/java/dev/quiver/examples/readme");

    /** The examples, as the README shows them: each source without its package line. */
    static List<Example> examples() throws IOException {
        try (Stream<Path> files = Files.list(SOURCES)) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().map(Example::of).toList();
        }
    }

    record Example(String name, Path source, String shown) {
        static Example of(Path source) {
            String text = Readme.read(source);
            String header = "package dev.quiver.examples.readme;\n\n";
            if (!text.startsWith(header)) {
                throw new AssertionError(source + " must start with '" + header.strip() + "' and a blank line");
            }
            String name = source.getFileName().toString().replace(".java", "");
            return new Example(name, source, text.substring(header.length()));
        }
    }

    @Test
    void everyJavaBlockOfTheReadmeIsAnExampleAsItsSourceHasIt() throws IOException {
        assertThat(mismatches(Readme.load(), examples())).isEmpty();
    }

    @Test
    void theReadmeListsTheBuildsJvmFlagsAndEveryFlagSnippetUsesThem() {
        Readme readme = Readme.load();
        List<String> build = Arrays.asList(System.getProperty("quiver.jvm.flags").trim().split("\\s+"));
        assertThat(readme.jvmFlags())
                .as("README.md's table of JVM flags (section '%s') against the parent POM's quiver.jvm.flags; "
                        + "change both together", Readme.FLAGS_HEADING)
                .isEqualTo(build);
        assertThat(flagSnippetMismatches(readme)).isEmpty();
    }

    @Test
    void theReadmeNamesTheProjectsVersionAsTheOneToDependOn() {
        Readme section = Readme.load().section(Readme.FLAGS_HEADING).orElseThrow(
                () -> new AssertionError("README.md has no section '" + Readme.FLAGS_HEADING + "'"));
        String version = System.getProperty("quiver.version");
        List<String> named = Pattern.compile("<version>([^<]+)</version>|dev\\.quiver:[a-z-]+:([^\"']+)")
                .matcher(section.text()).results().map(r -> r.group(1) != null ? r.group(1) : r.group(2)).toList();
        assertThat(named).as("versions of dev.quiver artifacts in README.md's section '%s'", Readme.FLAGS_HEADING)
                .isNotEmpty().allMatch(version::equals);
    }

    @Test
    void theLauncherStartsItsJvmsWithTheBuildsFlags() {
        String launcher = Readme.read(Readme.repositoryRoot().resolve("bin/quiver"));
        Matcher m = Pattern.compile("(?ms)^FLAGS=\\((.*?)\\)").matcher(launcher);
        assertThat(m.find()).as("bin/quiver sets FLAGS=( ... )").isTrue();
        List<String> build = Arrays.asList(System.getProperty("quiver.jvm.flags").trim().split("\\s+"));
        assertThat(Arrays.asList(m.group(1).trim().split("\\s+")))
                .as("bin/quiver's FLAGS against the parent POM's quiver.jvm.flags; change both together")
                .isEqualTo(build);
    }

    @Test
    void theModulesOwnDocsStateTheFlags() {
        List<String> flags = ExampleRun.flags(Readme.load());
        for (String doc : List.of("quiver-client/src/main/java/dev/quiver/client/package-info.java",
                "quiver-arrow/src/main/java/dev/quiver/arrow/package-info.java")) {
            assertThat(Readme.read(Readme.repositoryRoot().resolve(doc))).as(doc).contains(flags);
        }
    }

    // ---------------------------------------------------------------- the checks catch what they are meant to catch

    @Test
    void aChangedSnippetIsReportedWithHowToFixIt() throws IOException {
        Readme readme = Readme.load();
        Readme changed = new Readme(readme.text().replace("ObjectId.forName(\"my-object\")", "ObjectId.random()"));
        assertThat(mismatches(changed, examples())).singleElement().asString()
                .contains("ClientExample", "ClientExample.java", "line ", "ObjectId.random()", "copy");
    }

    @Test
    void aJavaBlockWithoutAnExampleIsReported() throws IOException {
        Readme extra = new Readme(Readme.load().text() + "\n```java\nclient.get(id, 0);\n```\n");
        assertThat(mismatches(extra, examples())).singleElement().asString()
                .contains("client.get(id, 0);", "dev.quiver.examples.readme");
    }

    @Test
    void aFlagMissingFromASnippetIsReported() {
        Readme readme = Readme.load();
        String flag = ExampleRun.flags(readme).getLast();
        Readme missing = new Readme(readme.text().replaceFirst("(?m)^(java .*) " + Pattern.quote(flag), "$1"));
        assertThat(missing.jvmFlags()).isEqualTo(readme.jvmFlags());
        assertThat(flagSnippetMismatches(missing)).singleElement().asString().contains("java ", flag);
    }

    @Test
    void aReadmeWithoutTheFlagsSectionListsNoFlags() {
        Readme readme = Readme.load();
        Readme without = new Readme(readme.text().replace("# " + Readme.FLAGS_HEADING, "# Flags"));
        assertThat(without.jvmFlags()).isEmpty();
        assertThatThrownBy(() -> ExampleRun.flags(without)).hasMessageContaining(Readme.FLAGS_HEADING);
    }

    // ------------------------------------------------------------------------------------------------- the checks

    /** What differs between the README's Java blocks and the examples, each with how to fix it. */
    static List<String> mismatches(Readme readme, List<Example> examples) {
        List<String> problems = new ArrayList<>();
        List<Readme.Block> blocks = new ArrayList<>(readme.javaBlocks());
        for (Example e : examples) {
            Optional<Readme.Block> shown = blocks.stream().filter(b -> b.text().contains("class " + e.name() + " "))
                    .findFirst();
            if (shown.isEmpty()) {
                problems.add("README.md has no ```java block of class " + e.name() + ": copy " + e.source()
                        + " from its first import to its end into the README, where it belongs");
                continue;
            }
            blocks.remove(shown.get());
            if (!shown.get().text().equals(e.shown())) {
                problems.add("README.md's ```java block of " + e.name() + " differs from " + e.source() + " "
                        + firstDifference(shown.get().text(), e.shown()) + ". The source is compiled and run by the "
                        + "tests: edit it, then copy it from its first import to its end into the README's block");
            }
        }
        for (Readme.Block b : blocks) {
            problems.add("README.md has a ```java block that is no example (no class of dev.quiver.examples.readme): "
                    + "make it one, a complete source file under " + SOURCES + " shown whole, or show no Java:\n"
                    + b.text());
        }
        return problems;
    }

    /** Every code block of the JVM flags section that names flags names exactly the table's, in its order. */
    static List<String> flagSnippetMismatches(Readme readme) {
        List<String> flags = readme.jvmFlags();
        return readme.section(Readme.FLAGS_HEADING).map(Readme::blocks).orElse(List.of()).stream()
                .filter(b -> !b.flags().isEmpty() && !b.flags().equals(flags))
                .map(b -> "a snippet of README.md's section '" + Readme.FLAGS_HEADING + "' names " + b.flags()
                        + " where the section's table lists " + flags + "; make them the same:\n" + b.text())
                .toList();
    }

    private static String firstDifference(String shown, String source) {
        String[] a = shown.split("\n", -1);
        String[] b = source.split("\n", -1);
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            String x = i < a.length ? a[i] : "(nothing)";
            String y = i < b.length ? b[i] : "(nothing)";
            if (!x.equals(y)) {
                return "at line " + (i + 1) + " of the block:\n  README: " + x + "\n  source: " + y;
            }
        }
        return "";
    }
}
