package dev.weft.cli;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** "250ms", "2s", "1m", or an ISO-8601 duration ("PT2S"). */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.endsWith("ms")) {
        return positive(Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2))), value);
      }
      if (v.endsWith("s")) {
        return positive(Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1))), value);
      }
      if (v.endsWith("m")) {
        return positive(Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1))), value);
      }
      return positive(Duration.parse(value.trim()), value);
    } catch (RuntimeException e) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (like"
          + " 500ms, 2s, 1m)");
    }
  }

  private static Duration positive(Duration d, String value) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(value);
    }
    return d;
  }
}
