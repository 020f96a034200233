package dev.quiver.cli;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/** Short text for Arrow schemas and types, in the style of pyarrow: {@code id:int64, name:utf8, x:decimal(21,1)}. */
public final class SchemaText {
    private SchemaText() {}

    /** Every column as {@code name:type}, cut to about {@code width} characters with a count of the rest. */
    public static String abbreviate(Schema schema, int width) {
        List<Field> fields = schema.getFields();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            String col = fields.get(i).getName() + ":" + type(fields.get(i));
            String more = " ... +" + (fields.size() - i) + " more";
            if (i > 0 && out.length() + 2 + col.length() > width) {
                return out.append(more).toString();
            }
            out.append(i == 0 ? "" : ", ").append(col);
        }
        return out.toString();
    }

    /** A field's type; a dictionary-encoded column shows {@code dictionary<values, indices>}. */
    static String type(Field f) {
        String t = type(f.getType(), f.getChildren());
        if (f.getDictionary() != null) {
            return "dictionary<" + t + ", " + type(f.getDictionary().getIndexType(), List.of()) + ">";
        }
        return t;
    }

    static String type(ArrowType t, List<Field> children) {
        return switch (t) {
            case ArrowType.Int i -> (i.getIsSigned() ? "int" : "uint") + i.getBitWidth();
            case ArrowType.FloatingPoint f -> switch (f.getPrecision()) {
                case HALF -> "float16";
                case SINGLE -> "float32";
                case DOUBLE -> "float64";
            };
            case ArrowType.Utf8 u -> "utf8";
            case ArrowType.LargeUtf8 u -> "large_utf8";
            case ArrowType.Utf8View u -> "utf8_view";
            case ArrowType.Binary b -> "binary";
            case ArrowType.LargeBinary b -> "large_binary";
            case ArrowType.FixedSizeBinary b -> "fixed_binary(" + b.getByteWidth() + ")";
            case ArrowType.Bool b -> "bool";
            case ArrowType.Null n -> "null";
            case ArrowType.Decimal d -> "decimal(" + d.getPrecision() + "," + d.getScale() + ")";
            case ArrowType.Date d -> d.getUnit() == org.apache.arrow.vector.types.DateUnit.DAY ? "date32" : "date64";
            case ArrowType.Time tm -> "time" + tm.getBitWidth() + "[" + unit(tm.getUnit()) + "]";
            case ArrowType.Timestamp ts -> "timestamp[" + unit(ts.getUnit())
                    + (ts.getTimezone() == null ? "" : ", " + ts.getTimezone()) + "]";
            case ArrowType.Duration du -> "duration[" + unit(du.getUnit()) + "]";
            case ArrowType.Interval iv -> "interval[" + iv.getUnit().name().toLowerCase(Locale.ROOT) + "]";
            case ArrowType.List l -> "list<" + child(children) + ">";
            case ArrowType.LargeList l -> "large_list<" + child(children) + ">";
            case ArrowType.FixedSizeList l -> "fixed_list<" + child(children) + ", " + l.getListSize() + ">";
            case ArrowType.Struct s -> "struct<" + children.stream().map(c -> c.getName() + ":" + type(c))
                    .collect(Collectors.joining(", ")) + ">";
            case ArrowType.Map m -> "map<" + (children.isEmpty() || children.getFirst().getChildren().size() < 2 ? "?"
                    : type(children.getFirst().getChildren().get(0)) + ", "
                    + type(children.getFirst().getChildren().get(1))) + ">";
            default -> t.getTypeID().name().toLowerCase(Locale.ROOT);
        };
    }

    private static String child(List<Field> children) {
        return children.isEmpty() ? "?" : type(children.getFirst());
    }

    private static String unit(org.apache.arrow.vector.types.TimeUnit u) {
        return switch (u) {
            case SECOND -> "s";
            case MILLISECOND -> "ms";
            case MICROSECOND -> "us";
            case NANOSECOND -> "ns";
        };
    }
}
