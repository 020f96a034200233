package dev.quiver.arrow;

import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shelf's naming: key rules, generated keys, the object id of each version slot, and the metadata that tags
 * an object as a shelf table.
 *
 * <p>Metadata of a shelf table (US-ASCII, a media type with parameters):
 * <pre>
 * application/vnd.apache.arrow.stream; shelf-key=KEY; shelf-version=VERSION; rows=ROWS
 * </pre>
 */
final class ShelfKeys {
    /** Longest key. */
    static final int MAX_KEY_LENGTH = 128;
    /** Version slots per key: at most this many versions of one key are in the store at once. */
    static final int SLOTS = 64;

    private static final String ID_PREFIX = "quiver.shelf/";
    private static final String META_PREFIX = ArrowStore.STREAM_MEDIA_TYPE + "; shelf-key=";
    /** Shortest and longest metadata a shelf table can have (key of 1 and of MAX_KEY_LENGTH characters). */
    static final int MIN_METADATA = (META_PREFIX + "a; shelf-version=1; rows=0").length();
    static final int MAX_METADATA = (META_PREFIX + "; shelf-version=; rows=").length() + MAX_KEY_LENGTH + 2 * 20;

    private static final Map<String, List<ObjectId>> SLOT_IDS = new ConcurrentHashMap<>();
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final String[] ADJECTIVES = {
        "amber", "brave", "brisk", "calm", "clever", "coral", "crisp", "dapper", "eager", "early", "fancy", "gentle",
        "glad", "golden", "green", "happy", "hazel", "jolly", "keen", "kind", "lively", "lucky", "mellow", "merry",
        "misty", "nimble", "noble", "proud", "quick", "quiet", "rapid", "royal", "rustic", "shiny", "silver", "snowy",
        "steady", "sunny", "swift", "tidy", "vivid", "warm", "wild", "witty", "young", "zesty"};
    private static final String[] NOUNS = {
        "badger", "beacon", "birch", "bison", "brook", "canyon", "cedar", "comet", "crane", "dolphin", "eagle",
        "falcon", "fern", "finch", "fjord", "fox", "glacier", "harbor", "hawk", "heron", "island", "lark", "lynx",
        "maple", "meadow", "moose", "otter", "owl", "panda", "pine", "prairie", "puffin", "quail", "raven", "reef",
        "river", "robin", "salmon", "sparrow", "summit", "tiger", "tundra", "walrus", "willow", "wren", "yak"};

    private ShelfKeys() {}

    /**
     * Checks a user's key.
     *
     * @throws IllegalArgumentException saying which rule the key breaks
     */
    static String validate(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("a shelf key cannot be empty: use 1 to " + MAX_KEY_LENGTH
                    + " characters from A-Z a-z 0-9 . _ -");
        }
        if (key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("shelf key '" + key.substring(0, 20) + "...' has " + key.length()
                    + " characters; the limit is " + MAX_KEY_LENGTH);
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (i == 0 && !alnum) {
                throw new IllegalArgumentException("shelf key '" + key + "' must start with a letter or a digit");
            }
            if (!alnum && c != '.' && c != '_' && c != '-') {
                throw new IllegalArgumentException("shelf key '" + key + "' has " + describe(c) + " at position " + i
                        + "; a key uses only A-Z a-z 0-9 . _ -");
            }
        }
        return key;
    }

    private static String describe(char c) {
        return Character.isWhitespace(c) || Character.isISOControl(c)
                ? String.format("the character U+%04X", (int) c) : "'" + c + "'";
    }

    /** A random, readable key such as {@code swift-otter-0427}. */
    static String generate() {
        return ADJECTIVES[RANDOM.nextInt(ADJECTIVES.length)] + "-" + NOUNS[RANDOM.nextInt(NOUNS.length)] + "-"
                + String.format("%04d", RANDOM.nextInt(10_000));
    }

    /** The ids of every version slot of a key: slot {@code s} is {@code forName("quiver.shelf/KEY/s")}. */
    static List<ObjectId> slotIds(String key) {
        List<ObjectId> ids = SLOT_IDS.get(key);
        if (ids == null) {
            List<ObjectId> made = new ArrayList<>(SLOTS);
            for (int s = 0; s < SLOTS; s++) {
                made.add(ObjectId.forName(ID_PREFIX + key + "/" + s));
            }
            ids = List.copyOf(made);
            if (SLOT_IDS.size() > 4096) {
                SLOT_IDS.clear(); // a bounded cache of recent keys
            }
            SLOT_IDS.put(key, ids);
        }
        return ids;
    }

    /** The id a version of a key lives under. */
    static ObjectId idOf(String key, long version) {
        return slotIds(key).get(slot(version));
    }

    static int slot(long version) {
        return (int) Math.floorMod(version, (long) SLOTS);
    }

    /** What a shelf table's metadata says. */
    record Tag(String key, long version, long rows) {}

    static byte[] metadata(String key, long version, long rows) {
        return (META_PREFIX + key + "; shelf-version=" + version + "; rows=" + rows).getBytes(StandardCharsets.US_ASCII);
    }

    /** Parses an object's metadata; null if the object is not a shelf table. */
    static Tag parse(MemorySegment metadata) {
        long n = metadata.byteSize();
        if (n < MIN_METADATA || n > MAX_METADATA) {
            return null;
        }
        String text = new String(metadata.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
        if (!text.startsWith(ArrowStore.STREAM_MEDIA_TYPE + ";")) {
            return null;
        }
        String key = null;
        long version = -1;
        long rows = -1;
        for (String part : text.substring(ArrowStore.STREAM_MEDIA_TYPE.length() + 1).split(";")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                return null;
            }
            String name = part.substring(0, eq).trim();
            String value = part.substring(eq + 1).trim();
            try {
                switch (name) {
                    case "shelf-key" -> key = value;
                    case "shelf-version" -> version = Long.parseLong(value);
                    case "rows" -> rows = Long.parseLong(value);
                    default -> { } // a parameter of a later version: ignore
                }
            } catch (NumberFormatException e) {
                return null;
            }
        }
        if (key == null || version < 0 || rows < 0) {
            return null;
        }
        try {
            validate(key);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return new Tag(key, version, rows);
    }
}
