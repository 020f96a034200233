package dev.quiver.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * This process's memory as Linux reports it, in KiB: resident now (VmRSS) and at its peak (VmHWM), the resident pages
 * that are private to the process (Private_Clean + Private_Dirty), anonymous (RssAnon) and of shared memory such as
 * the store's arena (RssShmem), and the proportional set size (Pss: each shared page divided by the number of
 * processes that map it). The demos and the benchmarks judge zero-copy by these numbers.
 *
 * <p>{@link #read()} is empty where the kernel does not tell (not Linux, or a kernel without smaps_rollup): callers
 * say that a memory check was skipped rather than judge zeros.
 *
 * @param rssKiB     resident set: every page mapped and present, shared or not
 * @param hwmKiB     peak resident set
 * @param privateKiB resident pages mapped by this process alone: what it costs beyond memory it shares
 * @param anonKiB    resident anonymous pages (heap, Arrow's own buffers)
 * @param shmemKiB   resident pages of shared memory (the store's arena once touched)
 * @param pssKiB     proportional set size
 */
public record ProcessMemory(long rssKiB, long hwmKiB, long privateKiB, long anonKiB, long shmemKiB, long pssKiB) {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path ROLLUP = Path.of("/proc/self/smaps_rollup");
    private static final List<String> STATUS_KEYS = List.of("VmRSS", "VmHWM", "RssAnon", "RssShmem");
    private static final List<String> ROLLUP_KEYS = List.of("Pss", "Private_Clean", "Private_Dirty");

    /** This process's memory now; empty where Linux's /proc/self/status and smaps_rollup cannot say. */
    public static Optional<ProcessMemory> read() {
        try {
            return parse(Files.readString(STATUS), Files.readString(ROLLUP));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** Parses the text of /proc/PID/status and /proc/PID/smaps_rollup; empty if a field is missing. */
    static Optional<ProcessMemory> parse(String status, String rollup) {
        Map<String, Long> kib = new HashMap<>();
        collect(status, STATUS_KEYS, kib);
        collect(rollup, ROLLUP_KEYS, kib);
        if (kib.size() < STATUS_KEYS.size() + ROLLUP_KEYS.size()) {
            return Optional.empty();
        }
        return Optional.of(new ProcessMemory(kib.get("VmRSS"), kib.get("VmHWM"),
                kib.get("Private_Clean") + kib.get("Private_Dirty"), kib.get("RssAnon"), kib.get("RssShmem"),
                kib.get("Pss")));
    }

    private static void collect(String text, List<String> keys, Map<String, Long> into) {
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && keys.contains(line.substring(0, colon))) {
                String[] f = line.substring(colon + 1).trim().split("\\s+");
                into.put(line.substring(0, colon), Long.parseLong(f[0]));
            }
        }
    }
}
