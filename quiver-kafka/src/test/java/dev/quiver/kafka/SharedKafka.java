package dev.quiver.kafka;

import dev.quiver.testkit.EmbeddedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests an {@link EmbeddedKafka} parameter: one real KRaft broker for the whole test run (started by the first
 * class that asks, stopped when the run ends), so the module pays the broker's start once. Tests keep apart by
 * using topics of their own ({@link #topic}).
 */
final class SharedKafka implements ParameterResolver {
    private static final AtomicInteger TOPICS = new AtomicInteger();

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedKafka.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Holder.class, k -> new Holder(), Holder.class).kafka;
    }

    /** A fresh topic name with the given stem. */
    static String topic(String stem) {
        return stem + "-" + TOPICS.incrementAndGet();
    }

    private static final class Holder implements AutoCloseable {
        final Path dir;
        final EmbeddedKafka kafka;

        Holder() {
            try {
                dir = Files.createTempDirectory("quiver-kafka-test");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            kafka = EmbeddedKafka.start(dir.resolve("broker"));
        }

        @Override
        public void close() throws IOException {
            kafka.close();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
