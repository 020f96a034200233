package dev.quiver.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain text table with aligned columns; numbers, sizes (12 KiB) and durations (38 µs) right-aligned. */
public final class Table {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    /** A table with these column headers. */
    public Table(String... headers) {
        this.headers = List.of(headers);
    }

    /** Adds a row, one cell per header, each printed with {@link String#valueOf(Object)}. */
    public Table row(Object... cells) {
        rows.add(java.util.Arrays.stream(cells).map(String::valueOf).toList());
        return this;
    }

    /** Prints the headers and the rows, columns aligned. */
    public void print(PrintWriter out) {
        int[] width = new int[headers.size()];
        boolean[] numeric = new boolean[headers.size()];
        java.util.Arrays.fill(numeric, true);
        for (int i = 0; i < width.length; i++) {
            width[i] = headers.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], r.get(i).length());
                numeric[i] &= r.get(i).matches("-?[0-9.,]+( [KMGTP]?i?B| [nµm]?s)?");
            }
        }
        print(out, headers, width, numeric);
        for (List<String> r : rows) {
            print(out, r, width, numeric);
        }
        out.flush();
    }

    private static void print(PrintWriter out, List<String> cells, int[] width, boolean[] numeric) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            String pad = " ".repeat(width[i] - c.length());
            line.append(numeric[i] ? pad + c : c + pad).append(i < cells.size() - 1 ? "  " : "");
        }
        out.println(line.toString().stripTrailing());
    }
}
