package dev.quiver.examples.metrics;

import dev.quiver.kafka.SeedMetrics;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.hardware.GlobalMemory;
import oshi.util.GlobalConfig;

/**
 * Samples this host's CPU and memory use with OSHI, as the seed did with psutil: CPU busy and idle in percent since
 * the previous sample, memory in use and available in percent.
 */
final class HostSampler {
    private final String device;
    private final CentralProcessor cpu;
    private final GlobalMemory memory;
    private final long startNanos = System.nanoTime();
    private long[] ticks;

    HostSampler() {
        // OSHI caches what it reads for 300 ms by default: samples taken faster would repeat the same CPU ticks.
        GlobalConfig.set(GlobalConfig.OSHI_UTIL_MEMOIZER_EXPIRATION, 10);
        SystemInfo si = new SystemInfo();
        this.cpu = si.getHardware().getProcessor();
        this.memory = si.getHardware().getMemory();
        String host = si.getOperatingSystem().getNetworkParams().getHostName();
        this.device = host == null || host.isBlank() ? "localhost" : host;
        this.ticks = cpu.getSystemCpuLoadTicks();
    }

    String device() {
        return device;
    }

    /** One sample: CPU over the time since the previous one. */
    SeedMetrics.Sample sample() {
        double busy = 100 * cpu.getSystemCpuLoadBetweenTicks(ticks);
        ticks = cpu.getSystemCpuLoadTicks();
        double used = 100.0 * (memory.getTotal() - memory.getAvailable()) / memory.getTotal();
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        int elapsed = (int) ((System.nanoTime() - startNanos) / 1_000_000);
        return new SeedMetrics.Sample(device, micros, (float) busy, (float) (100 - busy), (float) used,
                (float) (100 - used), elapsed);
    }
}
