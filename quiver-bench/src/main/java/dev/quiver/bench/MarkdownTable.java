package dev.quiver.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A Markdown table: first column left-aligned (labels), the others right-aligned (figures) unless all text. */
final class MarkdownTable {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();
    private boolean text;

    MarkdownTable(String... header) {
        this.header = List.of(header);
    }

    /** Left-aligns every column: a table of words, not figures. */
    MarkdownTable text() {
        text = true;
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
            rule.add(i == 0 || text ? "---" : "---:");
        }
        out.println(line(rule));
        rows.forEach(r -> out.println(line(r)));
        out.println();
    }

    private static String line(List<String> cells) {
        return "| " + String.join(" | ", cells) + " |";
    }
}
