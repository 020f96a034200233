package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.FutexChild;
import dev.quiver.client.testing.FutexSleepers;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Futexes across processes: a child JVM sleeps on a word of a file in /dev/shm that this JVM maps too (each at its
 * own address, as clients map the arena), and this JVM wakes it. The child sleeps for up to 30 s, so a wake that does
 * not reach it shows as a false return (or as the hang guard), never as a timing.
 */
class FutexCrossProcessTest {
    private static final Duration GUARD = Duration.ofSeconds(90);
    private static final String SLEEP_MS = "30000";

    Path file;
    Arena arena;
    MemorySegment mapping;
    ChildJvm child;
    long childBase;
    long childPid;

    @BeforeEach
    void start() throws IOException {
        file = Files.createTempFile(Path.of("/dev/shm"), "quiver-futex-test-", ".words");
        arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            mapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, arena); // grows the file to 4 KiB of zeros
        }
        child = ChildJvm.start(FutexChild.class, file.toString());
        String[] mapped = child.expect("mapped", GUARD).split(" ");
        childBase = Long.parseLong(mapped[0]);
        childPid = Long.parseLong(mapped[1]);
    }

    @AfterEach
    void stop() throws IOException {
        try {
            child.send("exit");
            child.expect("bye", GUARD);
            assertThat(child.waitFor(GUARD)).isZero();
        } finally {
            child.close();
            arena.close();
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aChildAsleepOnASharedWordIsWokenByThisProcess() {
        assertTimeoutPreemptively(GUARD, () -> {
            child.send("await 64 0 " + SLEEP_MS);
            FutexSleepers.awaitAsleep(childPid, childBase + 64, GUARD);

            assertThat(Futex.wake(mapping, 64, 1)).as("woken in the other process").isEqualTo(1);
            assertThat(child.expect("awaited", GUARD)).as("the child's await").isEqualTo("true");
            assertThat(mapping.get(ValueLayout.JAVA_INT, 64)).as("the word never changed").isZero();
        });
    }

    @Test
    void aChildAsleepOnADoorbellIsWokenBySignal() {
        assertTimeoutPreemptively(GUARD, () -> {
            child.send("doorbell 128 " + SLEEP_MS);
            FutexSleepers.awaitAsleep(childPid, childBase + 128, GUARD);
            assertThat(mapping.get(ValueLayout.JAVA_INT, 132)).as("the child counted itself a sleeper").isEqualTo(1);

            assertThat(Futex.signal(mapping, 128)).as("woken in the other process").isEqualTo(1);
            assertThat(child.expect("signalled", GUARD)).as("the child's awaitSignal and the sequence it sees")
                    .isEqualTo("true 1");
            assertThat(mapping.get(ValueLayout.JAVA_INT, 132)).as("sleepers, back to zero").isZero();
        });
    }

    @Test
    void aChildTimesOutWhenNobodyWakesIt() {
        assertTimeoutPreemptively(GUARD, () -> {
            child.send("await 64 0 1");
            assertThat(child.expect("awaited", GUARD)).isEqualTo("false");
        });
    }
}
