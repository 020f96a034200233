package dev.quiver.cli;

import dev.quiver.protocol.Sizes;
import picocli.CommandLine;

/** Parses sizes like 512m or 4g for picocli. */
public final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        try {
            return Sizes.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
