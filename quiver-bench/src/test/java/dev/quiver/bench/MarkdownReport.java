package dev.quiver.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a Markdown report back: its "## " sections, and the rows of the tables in a section. */
final class MarkdownReport {
    private final Map<String, String> sections = new LinkedHashMap<>();

    MarkdownReport(String markdown) {
        String heading = "";
        StringBuilder body = new StringBuilder();
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("## ")) {
                sections.put(heading, body.toString());
                heading = line.trim();
                body.setLength(0);
            } else {
                body.append(line).append('\n');
            }
        }
        sections.put(heading, body.toString());
    }

    List<String> headings() {
        return List.copyOf(sections.keySet());
    }

    String section(String heading) {
        String body = sections.get(heading);
        if (body == null) {
            throw new AssertionError("no section '" + heading + "' in the report; it has " + sections.keySet());
        }
        return body;
    }

    /** The tables of a section, each a list of data rows (header and rule dropped), each a list of cells. */
    List<List<List<String>>> tables(String heading) {
        List<List<List<String>>> tables = new ArrayList<>();
        List<List<String>> current = null;
        int lineInTable = 0;
        for (String line : section(heading).split("\n")) {
            if (line.startsWith("|")) {
                if (current == null) {
                    current = new ArrayList<>();
                    tables.add(current);
                    lineInTable = 0;
                }
                if (lineInTable++ >= 2) {
                    current.add(cells(line));
                }
            } else {
                current = null;
            }
        }
        return tables;
    }

    private static List<String> cells(String row) {
        String inner = row.trim();
        inner = inner.substring(1, inner.length() - 1);
        List<String> cells = new ArrayList<>();
        for (String c : inner.split("\\|", -1)) {
            cells.add(c.trim());
        }
        return cells;
    }
}
