package dev.quiver.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's memory as Linux reports it, in KiB: resident now (VmRSS) and at its peak (VmHWM), the resident
 * pages that are private (RssAnon) and those of shared memory such as the store's arena (RssShmem), and the
 * proportional set size (Pss: each shared page divided by the number of processes that map it). Zero where the
 * kernel does not say (not Linux, or an older kernel).
 */
record ProcMemory(long rssKiB, long hwmKiB, long anonKiB, long shmemKiB, long pssKiB) {
    static ProcMemory read() {
        long rss = 0;
        long hwm = 0;
        long anon = 0;
        long shmem = 0;
        long pss = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kib(line);
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kib(line);
                } else if (line.startsWith("RssAnon:")) {
                    anon = kib(line);
                } else if (line.startsWith("RssShmem:")) {
                    shmem = kib(line);
                }
            }
            Path rollup = Path.of("/proc/self/smaps_rollup");
            if (Files.isReadable(rollup)) {
                for (String line : Files.readAllLines(rollup)) {
                    if (line.startsWith("Pss:")) {
                        pss = kib(line);
                    }
                }
            }
        } catch (IOException e) {
            // not Linux: report zeros
        }
        return new ProcMemory(rss, hwm, anon, shmem, pss);
    }

    private static long kib(String line) {
        String[] f = line.trim().split("\\s+");
        return Long.parseLong(f[1]);
    }
}
