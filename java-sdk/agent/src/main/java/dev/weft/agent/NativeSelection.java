package dev.weft.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import javax.annotation.Nullable;

/**
 * Which classes get their native methods stitched: a comma-separated list of class and package
 * globs from {@value #PROPERTY} (system property) or {@value #ENV} (environment).
 *
 * <ul>
 *   <li>{@code com.example.Codec}: that class; {@code com.example.codec.*}: the classes of that
 *       package ({@code *} matches within one name segment, nested classes included); {@code
 *       org.lz4.**}: that package and its sub-packages ({@code **} matches across dots);
 *   <li>{@code !pattern}: excluded, whatever else matches;
 *   <li>unset, empty, or only exclusions: the default, {@value #DEFAULT_INCLUDE} minus the JDK
 *       ({@code java.**}, {@code javax.**}, {@code jdk.**}, {@code sun.**}, {@code com.sun.**}).
 * </ul>
 *
 * Weft's own classes (the agent, its shaded ByteBuddy, {@code dev.weft.**}) and the
 * OpenTelemetry Java agent's ({@code io.opentelemetry.javaagent.**}) are never instrumented.
 * Only classes that declare a native method themselves are touched.
 */
public final class NativeSelection {
  /** System property with the globs. */
  public static final String PROPERTY = "weft.instrument.native";
  /** Environment variable with the globs (the property wins). */
  public static final String ENV = "WEFT_INSTRUMENT_NATIVE";
  /** What is included when nothing is. */
  public static final String DEFAULT_INCLUDE = "**";

  private static final List<String> DEFAULT_EXCLUDES = List.of(
      "java.**", "javax.**", "jdk.**", "sun.**", "com.sun.**");
  private static final List<String> ALWAYS_EXCLUDED = List.of(
      "dev.weft.**", "io.opentelemetry.javaagent.**", "net.bytebuddy.**");
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_$.*]+");

  private final List<Pattern> includes;
  private final List<Pattern> excludes;
  private final String description;

  private NativeSelection(List<Pattern> includes, List<Pattern> excludes, String description) {
    this.includes = includes;
    this.excludes = excludes;
    this.description = description;
  }

  /** The selection configured for this JVM. */
  public static NativeSelection fromEnvironment() {
    String property = System.getProperty(PROPERTY);
    if (property != null && !property.isBlank()) {
      return parse(property, "-D" + PROPERTY);
    }
    String env = System.getenv(ENV);
    if (env != null && !env.isBlank()) {
      return parse(env, ENV);
    }
    return parse("", "default");
  }

  /**
   * Parses a comma-separated glob list.
   *
   * @param source where it came from, for error messages
   * @throws IllegalArgumentException for a malformed glob, naming it and the source
   */
  public static NativeSelection parse(@Nullable String globs, String source) {
    List<Pattern> includes = new ArrayList<>();
    List<Pattern> excludes = new ArrayList<>();
    for (String glob : ALWAYS_EXCLUDED) {
      excludes.add(compile(glob));
    }
    boolean userIncludes = false;
    if (globs != null) {
      for (String raw : globs.split(",", -1)) {
        String glob = raw.trim();
        if (glob.isEmpty()) {
          continue;
        }
        boolean exclude = glob.startsWith("!");
        String body = exclude ? glob.substring(1).trim() : glob;
        if (body.isEmpty() || !VALID.matcher(body).matches() || body.startsWith(".")
            || body.endsWith(".") || body.contains("..") || body.contains("***")) {
          throw new IllegalArgumentException("weft-agent: invalid glob '" + glob + "' in "
              + source + " (" + globs + "): use class names and package globs such as"
              + " com.example.Codec, com.example.codec.*, org.lz4.**, !com.example.Skip");
        }
        if (exclude) {
          excludes.add(compile(body));
        } else {
          includes.add(compile(body));
          userIncludes = true;
        }
      }
    }
    if (!userIncludes) {
      includes.add(compile(DEFAULT_INCLUDE));
      for (String glob : DEFAULT_EXCLUDES) {
        excludes.add(compile(glob));
      }
    }
    String description = (globs == null || globs.isBlank() ? "" : globs.trim() + " ")
        + "(" + source + (userIncludes ? "" : "; default: every class outside the JDK") + ")";
    return new NativeSelection(List.copyOf(includes), List.copyOf(excludes), description);
  }

  /** Whether the class with this binary name ({@code a.b.C$D}) is selected. */
  public boolean matches(String className) {
    for (Pattern p : excludes) {
      if (p.matcher(className).matches()) {
        return false;
      }
    }
    for (Pattern p : includes) {
      if (p.matcher(className).matches()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return description;
  }

  private static Pattern compile(String glob) {
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*') {
        if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
          i++;
          // "a.**" also matches classes directly in "a" and "a" itself is not a class name
          regex.append(".*");
        } else {
          regex.append("[^.]*");
        }
      } else if (c == '.' || c == '$') {
        regex.append('\\').append(c);
      } else {
        regex.append(c);
      }
    }
    return Pattern.compile(regex.toString(), 0);
  }
}
