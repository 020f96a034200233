package dev.quiver.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the figures were measured on, read from /proc and the JVM: a figure means little without the machine.
 *
 * @param cpu                 the CPU model ({@code model name} in /proc/cpuinfo)
 * @param cpus                logical CPUs listed in /proc/cpuinfo
 * @param availableProcessors CPUs this JVM may use
 * @param memoryBytes         MemTotal from /proc/meminfo
 * @param kernel              /proc/sys/kernel/osrelease
 * @param os                  PRETTY_NAME from /etc/os-release
 * @param jdk                 the JVM's version, name and vendor
 * @param shmemHugePages      the transparent huge page policy of shared memory (/dev/shm), e.g. {@code never}
 */
public record Machine(String cpu, int cpus, int availableProcessors, long memoryBytes, String kernel, String os,
                      String jdk, String shmemHugePages) {
    private static final String UNKNOWN = "unknown";

    /** Reads this machine; missing files read as "unknown". */
    public static Machine read() {
        List<String> cpuinfo = lines("/proc/cpuinfo");
        String cpu = cpuinfo.stream().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(UNKNOWN);
        int cpus = (int) cpuinfo.stream().filter(l -> l.startsWith("processor")).count();
        long mem = lines("/proc/meminfo").stream().filter(l -> l.startsWith("MemTotal:")).findFirst()
                .map(l -> Long.parseLong(l.replaceAll("\\D+", "")) * 1024).orElse(0L);
        String kernel = first("/proc/sys/kernel/osrelease").orElse(UNKNOWN);
        String os = lines("/etc/os-release").stream().filter(l -> l.startsWith("PRETTY_NAME=")).findFirst()
                .map(l -> l.substring("PRETTY_NAME=".length()).replace("\"", "")).orElse(UNKNOWN);
        String jdk = Runtime.version() + " (" + System.getProperty("java.vm.name") + ", "
                + System.getProperty("java.vendor") + ")";
        // The active choice is the bracketed word: "always within_size advise [never] deny force".
        String thp = first("/sys/kernel/mm/transparent_hugepage/shmem_enabled").map(s -> {
            Matcher m = Pattern.compile("\\[(\\w+)]").matcher(s);
            return m.find() ? m.group(1) : s;
        }).orElse(UNKNOWN);
        return new Machine(cpu, cpus, Runtime.getRuntime().availableProcessors(), mem, kernel, os, jdk, thp);
    }

    /** The 1, 5 and 15 minute load averages (/proc/loadavg): how busy the machine was. */
    public static String loadAverage() {
        return first("/proc/loadavg").map(s -> String.join(" ", List.of(s.split("\\s+")).subList(0, 3)))
                .orElse(UNKNOWN);
    }

    private static List<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static Optional<String> first(String file) {
        return lines(file).stream().findFirst().map(String::trim);
    }
}
