package dev.quiver.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything one run measured, and where: what {@link Report} prints and {@link Charts} draws.
 *
 * @param options     the settings of the run
 * @param machine     the machine
 * @param date        when the run started (ISO-8601, UTC)
 * @param loadAtStart load averages when it started
 * @param loadAtEnd   load averages when it ended
 * @param storeBytes  the store's arena size
 * @param prefault    how long the store took to pre-fault its arena
 * @param jvmFlags    the JVM flags of the worker processes
 * @param elapsed     how long the measurements took
 * @param get         section 1
 * @param put         section 2
 * @param small       section 3
 * @param table       section 4
 * @param streams     section 5
 * @param charts      the PNG files rendered, if any
 */
public record Results(Options options, Machine machine, String date, String loadAtStart, String loadAtEnd,
                      long storeBytes, Duration prefault, String jvmFlags, Duration elapsed,
                      List<GetSweep.Row> get, PutSweep.Result put, List<SmallObjects.Row> small, List<TableHandover.Row> table,
                      List<StreamSweep.Row> streams, List<Path> charts) {

    Results withCharts(List<Path> files) {
        return new Results(options, machine, date, loadAtStart, loadAtEnd, storeBytes, prefault, jvmFlags, elapsed,
                get, put, small, table, streams, List.copyOf(files));
    }
}
