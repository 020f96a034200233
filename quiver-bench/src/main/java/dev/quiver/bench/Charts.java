package dev.quiver.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG charts of the size sweeps (medians), for BENCHMARKS.md. Rendered headless with XChart. */
final class Charts {
    static final String GET = "get-latency.png";
    static final String PUT = "put-bandwidth.png";
    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;

    private Charts() {}

    /** Renders every chart into {@code dir} (created if needed); returns the files. */
    static List<Path> render(Results r, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true"); // no display needed, nor wanted
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        files.add(save(getChart(r), dir.resolve(GET)));
        files.add(save(putChart(r), dir.resolve(PUT)));
        return files;
    }

    private static XYChart getChart(Results r) {
        XYChart c = chart("Get one object from another process (time per get + sum, median)",
                "object size (KiB, log scale)", "time (µs, log scale)");
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setYAxisDecimalPattern("#,##0.##");
        List<GetSweep.Row> rows = r.get();
        double[] x = rows.stream().mapToDouble(row -> row.size() / 1024.0).toArray();
        series(c, "private memory: sum (limit)", x, rows, row -> row.local().median() / 1e3);
        series(c, "Quiver get + sum", x, rows, row -> row.quiver().median() / 1e3);
        series(c, "Quiver get + sum, fast path", x, rows, row -> row.quiverFast().median() / 1e3);
        series(c, "Quiver get + sum, first touch", x, rows, row -> row.quiverFirstTouch().median() / 1e3);
        series(c, "Unix socket copy + sum", x, rows, row -> row.socket().median() / 1e3);
        series(c, "Arrow Flight DoGet + sum", x, rows, row -> row.flight().median() / 1e3);
        series(c, "store's Flight endpoint DoGet + sum", x, rows, row -> row.storeFlight().median() / 1e3);
        return c;
    }

    private static XYChart putChart(Results r) {
        XYChart c = chart("Put one object (bandwidth, median)", "object size (KiB, log scale)", "GB/s");
        c.getStyler().setYAxisMin(0.0);
        List<PutSweep.Row> rows = r.put().rows();
        double[] x = rows.stream().mapToDouble(row -> row.size() / 1024.0).toArray();
        series(c, "memcpy into touched mapping (limit)", x, rows, row -> row.memcpy().median());
        series(c, "Quiver put", x, rows, row -> row.put().median());
        List<PutSweep.ParallelRow> p = r.put().parallel();
        if (!p.isEmpty()) {
            int threads = p.getFirst().threads();
            double[] px = p.stream().mapToDouble(row -> row.size() / 1024.0).toArray();
            series(c, "memcpy, " + threads + " threads (limit)", px, p, row -> row.memcpy().median());
            series(c, "Quiver put, " + threads + "-thread copy", px, p, row -> row.put().median());
        }
        return c;
    }

    private static XYChart chart(String title, String xTitle, String yTitle) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        XYStyler s = c.getStyler();
        s.setXAxisLogarithmic(true);
        s.setXAxisDecimalPattern("#,##0.#");
        s.setLegendPosition(Styler.LegendPosition.OutsideS); // below the plot: never hides a point
        s.setChartBackgroundColor(java.awt.Color.WHITE);
        return c;
    }

    private static <T> void series(XYChart c, String name, double[] x, List<T> rows, ToDoubleFunction<T> y) {
        c.addSeries(name, x, rows.stream().mapToDouble(y).toArray()).setMarker(SeriesMarkers.CIRCLE);
    }

    private static Path save(XYChart chart, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
        return file;
    }
}
