package dev.quiver.arrow;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The committed seed corpus of a Jazzer fuzz test: {@code <package>/<TestClass>Inputs/<method>/} on the classpath. */
final class FuzzCorpus {
    private FuzzCorpus() {}

    static List<Path> seeds(Class<?> fuzzTest, String method) throws IOException {
        var dir = fuzzTest.getResource(fuzzTest.getSimpleName() + "Inputs/" + method);
        if (dir == null) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
            return files.sorted().toList();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }
}
