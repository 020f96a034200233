package dev.quiver.examples.readme;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of README.md that tests check: its fenced code blocks, a section by its heading, and the JVM flags that
 * the section {@value #FLAGS_HEADING} lists in a table ({@code | `--flag` | why |}). The fresh project's
 * prebuild.groovy (src/it/readme-shelf) reads the same two things by the same rules.
 */
record Readme(String text) {
    static final String FLAGS_HEADING = "JVM flags";

    private static final Pattern BLOCK = Pattern.compile("(?ms)^```(\\w*)\\n(.*?)^```$");
    private static final Pattern FLAG_ROW = Pattern.compile("(?m)^\\| `(--[^`]+)` \\|");
    private static final Pattern FLAG = Pattern.compile("--[a-z][a-z-]*=[A-Za-z0-9._/=-]+");

    /** A fenced code block: its language tag and its text up to the closing fence. */
    record Block(String language, String text) {
        /** The JVM flags named in the block, in order. */
        List<String> flags() {
            return FLAG.matcher(text).results().map(MatchResult::group).toList();
        }
    }

    /** The repository's README.md (the tests run in the module's directory). */
    static Readme load() {
        return new Readme(read(repositoryRoot().resolve("README.md")));
    }

    static Path repositoryRoot() {
        return Path.of("").toAbsolutePath().getParent();
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    List<Block> blocks() {
        return blocks(text);
    }

    List<Block> javaBlocks() {
        return blocks().stream().filter(b -> b.language().equals("java")).toList();
    }

    /** The section whose heading starts with {@code heading}, up to the next heading of the same or a higher level. */
    Optional<Readme> section(String heading) {
        Matcher m = Pattern.compile("(?m)^(#+) " + Pattern.quote(heading) + ".*$").matcher(text);
        if (!m.find()) {
            return Optional.empty();
        }
        int level = m.group(1).length();
        Matcher next = Pattern.compile("(?m)^#{1," + level + "} ").matcher(text);
        int end = next.find(m.end()) ? next.start() : text.length();
        return Optional.of(new Readme(text.substring(m.start(), end)));
    }

    /** The flags in the first column of the JVM flags table, in order; empty if the README has none. */
    List<String> jvmFlags() {
        return section(FLAGS_HEADING).map(s -> FLAG_ROW.matcher(s.text).results().map(r -> r.group(1)).toList())
                .orElse(List.of());
    }

    private static List<Block> blocks(String text) {
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            blocks.add(new Block(m.group(1), m.group(2)));
        }
        return blocks;
    }
}
