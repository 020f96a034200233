package dev.quiver.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Markdown table: the first column left-aligned (labels; more with {@link #labels(int)}), the others right-aligned
 * (figures) unless all text.
 */
final class MarkdownTable {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();
    private boolean text;
    private int labels = 1;

    MarkdownTable(String... header) {
        this.header = List.of(header);
    }

    /** Left-aligns every column: a table of words, not figures. */
    MarkdownTable text() {
        text = true;
        return this;
    }

    /** Left-aligns the first {@code n} columns: labels such as a size, a count and a name. */
    MarkdownTable labels(int n) {
        labels = n;
        return this;
    }

    MarkdownTable row(Object... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException(cells.length + " cells for " + header.size() + " columns: "
                    + Arrays.toString(cells));
        }
        rows.add(Arrays.stream(cells).map(c -> String.valueOf(c).replace("|", "\\|")).toList());
        return this;
    }

    void print(PrintWriter out) {
        out.println(line(header));
        List<String> rule = new ArrayList<>();
        for (int i = 0; i < header.size(); i++) {
            rule.add(i < labels || text ? "---" : "---:");
        }
        out.println(line(rule));
        rows.forEach(r -> out.println(line(r)));
        out.println();
    }

    private static String line(List<String> cells) {
        return "| " + String.join(" | ", cells) + " |";
    }
}
