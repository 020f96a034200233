package dev.quiver.flight;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.arrow.StreamReader;
import dev.quiver.protocol.ObjectId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.Ticket;

/**
 * How the endpoint names what it serves (docs/flight.md, "Names").
 *
 * <ul>
 *   <li>Descriptors are paths: {@code ["shelf", KEY]} names a shelf table, {@code ["stream", NAME]} a stream. A
 *       DoPut may add a third element: {@code ["shelf", KEY, "create"]} refuses to replace a table that is there,
 *       {@code ["stream", NAME, "end"]} ends the stream when the put completes.</li>
 *   <li>ListFlights criteria, if any, are a UTF-8 JSON object: {@code {"kind": "shelf", "prefix": "prices-"}}.</li>
 *   <li>Tickets are UTF-8 JSON objects: {@code {"shelf": "prices"}}, {@code {"object": "HEX"}} (an object id of
 *       40 hex digits, the object an Arrow IPC stream), or {@code {"stream": "ticks", "start": "earliest"}} where
 *       start is {@code "earliest"} (the default), {@code "latest"} or a sequence number.</li>
 * </ul>
 */
public final class FlightNames {
    /** The first element of a shelf table's descriptor path. */
    public static final String SHELF = "shelf";
    /** The first element of a stream's descriptor path. */
    public static final String STREAM = "stream";
    /** The field of a ticket that names an object by its id. */
    public static final String OBJECT = "object";
    /** DoPut to {@code ["shelf", KEY, "create"]}: only if no table is under the key. */
    public static final String CREATE = "create";
    /** DoPut to {@code ["stream", NAME, "end"]}: end the stream when the put completes. */
    public static final String END = "end";

    private static final ObjectMapper JSON = new ObjectMapper();

    private FlightNames() {}

    /** The descriptor of the shelf table under {@code key}. */
    public static FlightDescriptor shelf(String key) {
        return FlightDescriptor.path(SHELF, key);
    }

    /** The descriptor of stream {@code name}. */
    public static FlightDescriptor stream(String name) {
        return FlightDescriptor.path(STREAM, name);
    }

    /** The ticket that reads the shelf table under {@code key}. */
    public static Ticket shelfTicket(String key) {
        ObjectNode o = JSON.createObjectNode().put(SHELF, key);
        return new Ticket(o.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The ticket that reads the object {@code id}, which holds an Arrow IPC stream (as {@code ArrowStore} writes). */
    public static Ticket objectTicket(ObjectId id) {
        ObjectNode o = JSON.createObjectNode().put(OBJECT, id.toString());
        return new Ticket(o.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The ticket that follows stream {@code name} from {@code start}: {@code "earliest"}, {@code "latest"} or a
     * sequence number in decimal.
     *
     * @throws IllegalArgumentException if start is none of these
     */
    public static Ticket streamTicket(String name, String start) {
        ObjectNode o = JSON.createObjectNode().put(STREAM, name);
        parseStart(start); // refuse a bad start here rather than at the server
        if (start.chars().allMatch(Character::isDigit)) {
            o.put("start", Long.parseLong(start));
        } else {
            o.put("start", start.toLowerCase(Locale.ROOT));
        }
        return new Ticket(o.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * ListFlights criteria: only the flights of one kind ({@code "shelf"} or {@code "stream"}, or null for both)
     * whose key or name starts with {@code prefix} (null or empty for any). As JSON:
     * {@code {"kind": "shelf", "prefix": "prices-"}}, both fields optional.
     *
     * @throws IllegalArgumentException if kind is neither "shelf" nor "stream"
     */
    public static Criteria listCriteria(String kind, String prefix) {
        ObjectNode o = JSON.createObjectNode();
        if (kind != null) {
            if (!kind.equals(SHELF) && !kind.equals(STREAM)) {
                throw new IllegalArgumentException("a listing's kind is \"shelf\" or \"stream\" (or null for both), "
                        + "got '" + kind + "'");
            }
            o.put("kind", kind);
        }
        if (prefix != null && !prefix.isEmpty()) {
            o.put("prefix", prefix);
        }
        return new Criteria(o.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** What ListFlights criteria select: {@code kind} null for every kind, {@code prefix} empty for every name. */
    record Listing(Kind kind, String prefix) {
        boolean selects(Kind k, String name) {
            return (kind == null || kind == k) && name.startsWith(prefix);
        }
    }

    /** Parses ListFlights criteria; none (empty) selects everything, malformed ones are INVALID_ARGUMENT. */
    static Listing parse(Criteria criteria) {
        byte[] bytes = criteria == null ? null : criteria.getExpression();
        if (bytes == null || bytes.length == 0) {
            return new Listing(null, "");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        String expected = "ListFlights criteria are empty (everything) or JSON like {\"kind\": \"shelf\", "
                + "\"prefix\": \"prices-\"}, kind \"shelf\" or \"stream\", both fields optional";
        JsonNode o;
        try {
            o = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            o = null;
        }
        if (o == null || !o.isObject()) {
            throw invalid("criteria " + abbreviate(text) + " are not JSON: " + expected);
        }
        List<String> unknown = new ArrayList<>();
        o.fieldNames().forEachRemaining(f -> {
            if (!f.equals("kind") && !f.equals("prefix")) {
                unknown.add(f);
            }
        });
        JsonNode kind = o.get("kind");
        JsonNode prefix = o.get("prefix");
        if (!unknown.isEmpty() || kind != null && !(kind.isTextual() && (kind.asText().equals(SHELF)
                || kind.asText().equals(STREAM))) || prefix != null && !prefix.isTextual()) {
            throw invalid("criteria " + abbreviate(text) + " are not understood: " + expected);
        }
        return new Listing(kind == null ? null : Kind.valueOf(kind.asText().toUpperCase(Locale.ROOT)),
                prefix == null ? "" : prefix.asText());
    }

    /** What a descriptor or ticket names: a shelf table, a stream, or (tickets only) an object. */
    enum Kind { SHELF, STREAM, OBJECT }

    /**
     * What a descriptor or ticket names: {@code name} is the key, the stream's name, or the object id in hex;
     * {@code start} is set for stream tickets, {@code mode} for DoPut paths.
     */
    record Target(Kind kind, String name, StreamReader.Start start, String mode) {
        boolean isShelf() {
            return kind == Kind.SHELF;
        }

        String what() {
            return switch (kind) {
                case SHELF -> "shelf key '" + name + "'";
                case STREAM -> "stream '" + name + "'";
                case OBJECT -> "object " + name;
            };
        }
    }

    /** Parses a descriptor; a malformed one is an INVALID_ARGUMENT status that says what is expected. */
    static Target parse(FlightDescriptor descriptor) {
        if (descriptor == null || descriptor.isCommand()) {
            throw invalid("descriptors are paths: [\"shelf\", KEY] or [\"stream\", NAME] (see docs/flight.md), "
                    + "not commands");
        }
        List<String> path = descriptor.getPath();
        if (path.size() < 2 || path.size() > 3 || !(SHELF.equals(path.get(0)) || STREAM.equals(path.get(0)))) {
            throw invalid("descriptor path " + path + " names nothing here: expected [\"shelf\", KEY] or "
                    + "[\"stream\", NAME] (a DoPut may add \"create\" to a shelf path, \"end\" to a stream path)");
        }
        boolean shelf = SHELF.equals(path.get(0));
        String mode = path.size() == 3 ? path.get(2) : null;
        if (mode != null && !mode.equals(shelf ? CREATE : END)) {
            throw invalid("descriptor path " + path + ": the third element of a " + path.get(0) + " path can only "
                    + "be \"" + (shelf ? CREATE : END) + "\"");
        }
        return new Target(shelf ? Kind.SHELF : Kind.STREAM, path.get(1), null, mode);
    }

    /** Parses a ticket; a malformed one is an INVALID_ARGUMENT status that says what is expected. */
    static Target parse(Ticket ticket) {
        String text = new String(ticket.getBytes(), StandardCharsets.UTF_8);
        JsonNode o;
        try {
            o = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            o = null;
        }
        List<String> fields = o == null || !o.isObject() ? List.of()
                : List.of(SHELF, STREAM, OBJECT).stream().filter(o::has).toList();
        if (fields.size() != 1) {
            throw invalid("ticket " + abbreviate(text) + " is not one of this endpoint's: expected JSON like "
                    + "{\"shelf\": \"KEY\"}, {\"stream\": \"NAME\", \"start\": \"earliest\"} or {\"object\": "
                    + "\"40 HEX DIGITS\"} (see docs/flight.md)");
        }
        Kind kind = Kind.valueOf(fields.getFirst().toUpperCase(Locale.ROOT));
        JsonNode name = o.get(fields.getFirst());
        if (!name.isTextual()) {
            throw invalid("ticket " + abbreviate(text) + ": the " + switch (kind) {
                case SHELF -> "key";
                case STREAM -> "stream name";
                case OBJECT -> "object id";
            } + " must be a string");
        }
        return switch (kind) {
            case SHELF -> new Target(kind, name.asText(), null, null);
            case STREAM -> {
                JsonNode s = o.get("start");
                yield new Target(kind, name.asText(), s == null ? StreamReader.Start.EARLIEST : parseStart(s.asText()),
                        null);
            }
            case OBJECT -> {
                try {
                    yield new Target(kind, ObjectId.fromHex(name.asText()).toString(), null, null);
                } catch (IllegalArgumentException e) {
                    throw invalid("ticket " + abbreviate(text) + ": " + e.getMessage() + " (an object id is "
                            + 2 * ObjectId.SIZE + " hex digits, as `quiver ls --objects` prints it)");
                }
            }
        };
    }

    static StreamReader.Start parseStart(String start) {
        try {
            return StreamReader.Start.parse(start);
        } catch (IllegalArgumentException e) {
            throw invalid("a stream's start is \"earliest\", \"latest\" or a sequence number (0 or more), got "
                    + abbreviate(start));
        }
    }

    private static String abbreviate(String s) {
        return "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
    }

    private static RuntimeException invalid(String message) {
        return CallStatus.INVALID_ARGUMENT.withDescription(message).toRuntimeException();
    }
}
