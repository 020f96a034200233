package dev.quiver.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident memory, from {@code /proc/self/smaps_rollup} (Linux).
 *
 * @param rss          resident set: every page mapped and present, shared or not
 * @param privateBytes resident pages mapped by this process alone ({@code Private_Clean + Private_Dirty}): what the
 *                     process costs the machine beyond memory it shares, such as the store's arena
 */
record ProcessMemory(long rss, long privateBytes) {
    private static final Path ROLLUP = Path.of("/proc/self/smaps_rollup");

    static ProcessMemory read() {
        long rss = -1;
        long privateClean = -1;
        long privateDirty = -1;
        try {
            for (String line : Files.readAllLines(ROLLUP)) {
                String[] f = line.split("\\s+");
                switch (f[0]) {
                    case "Rss:" -> rss = kib(f);
                    case "Private_Clean:" -> privateClean = kib(f);
                    case "Private_Dirty:" -> privateDirty = kib(f);
                    default -> { }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ROLLUP + " (Linux only)", e);
        }
        if (rss < 0 || privateClean < 0 || privateDirty < 0) {
            throw new IllegalStateException(ROLLUP + " lacks Rss, Private_Clean or Private_Dirty");
        }
        return new ProcessMemory(rss, privateClean + privateDirty);
    }

    private static long kib(String[] fields) {
        return Long.parseLong(fields[1]) * 1024;
    }
}
