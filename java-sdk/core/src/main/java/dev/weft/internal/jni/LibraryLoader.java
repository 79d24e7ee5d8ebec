package dev.weft.internal.jni;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import javax.annotation.Nullable;
import javax.annotation.concurrent.GuardedBy;

/**
 * Loads the one libweft of the process and binds {@link WeftJni} to it.
 *
 * <p>The application's native library links libweft dynamically (DT_NEEDED {@code
 * libweft.so.0}). The dynamic linker shares a library between its users when they name the same
 * SONAME or the same file, so there is one instance whichever is loaded first, as long as the
 * JVM loads the same file the application library resolved:
 *
 * <ol>
 *   <li>{@value #PATH_PROPERTY} (system property) or {@value #PATH_ENV} (environment), if set;
 *   <li>else the libweft already mapped into the process (the application library was loaded
 *       first and pulled it in), found in {@code /proc/self/maps};
 *   <li>else the first {@code libweft.so.0} or {@code libweft.so} on {@code java.library.path};
 *   <li>else the copy this jar carries for the platform, extracted by {@link BundledLibrary}
 *       into a per-user cache; native libraries loaded after it resolve their {@code DT_NEEDED
 *       libweft.so.0} to it by SONAME, without an RPATH.
 * </ol>
 *
 * <p>After loading, the mapped files are checked again: two different libweft files mapped at
 * once mean two instances (two sets of thread-local span stacks, two segments), and loading
 * fails with a message that says how to fix it.
 */
public final class LibraryLoader {
  /** System property naming the libweft file to load. */
  public static final String PATH_PROPERTY = "weft.library.path";
  /** Environment variable naming the libweft file to load. */
  public static final String PATH_ENV = "WEFT_LIBRARY_PATH";

  private static final Pattern LIBWEFT = Pattern.compile("libweft\\.so(\\.[0-9]+)*");
  private static final Object lock = new Object();

  @GuardedBy("lock")
  @Nullable
  private static Path loaded;
  /** {@code loaded != null}, readable without the lock. */
  private static volatile boolean loadedFlag;

  @GuardedBy("lock")
  @Nullable
  private static LoadException failure;

  /** Why libweft could not be loaded. */
  public static final class LoadException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final boolean duplicate;

    LoadException(String message, boolean duplicate, @Nullable Throwable cause) {
      super(message, cause);
      this.duplicate = duplicate;
    }

    /**
     * True if two instances of libweft are (or would be) loaded: a configuration error that
     * retrying cannot fix. False if libweft was not found or failed to load.
     */
    public boolean isDuplicate() {
      return duplicate;
    }
  }

  private LibraryLoader() {}

  /**
   * Loads libweft if this has not been done yet and returns its path. Idempotent; a duplicate
   * instance is remembered and thrown again, a library not found is looked for again next time.
   *
   * @throws LoadException if libweft cannot be found or loaded, or if two instances are
   *     (or would be) in the process; the message says what to do
   */
  public static Path ensureLoaded() {
    synchronized (lock) {
      if (loaded != null) {
        return loaded;
      }
      if (failure != null) {
        throw failure;
      }
      try {
        loaded = load(System.getProperty(PATH_PROPERTY), System.getenv(PATH_ENV),
            System.getProperty("java.library.path", ""));
        loadedFlag = true;
        return loaded;
      } catch (LoadException e) {
        if (e.isDuplicate()) {
          failure = e;
        }
        throw e;
      }
    }
  }

  /**
   * Whether {@link #ensureLoaded()} has succeeded, without loading anything or taking a lock (for
   * per-call checks such as {@code dev.weft.WeftClock}'s).
   */
  public static boolean isLoaded() {
    return loadedFlag;
  }

  /** The loaded libweft, or null before {@link #ensureLoaded()} succeeded. */
  @Nullable
  public static Path loadedPath() {
    synchronized (lock) {
      return loaded;
    }
  }

  private static Path load(@Nullable String property, @Nullable String env, String libraryPath) {
    List<Path> mapped = mappedLibweft();
    if (mapped.size() > 1) {
      throw twoInstances(mapped);
    }
    String explicit = property != null && !property.isEmpty() ? property
        : env != null && !env.isEmpty() ? env : null;
    Path target;
    if (explicit != null) {
      target = realPath(Path.of(explicit));
      if (!Files.isRegularFile(target)) {
        throw new LoadException("weft: libweft not found at " + explicit + " (from "
            + (property != null && !property.isEmpty() ? "-D" + PATH_PROPERTY : PATH_ENV)
            + "): point it at the libweft.so.0 your native library links against", false,
            null);
      }
      if (mapped.size() == 1 && !mapped.get(0).equals(target)) {
        throw new LoadException("weft: two instances of libweft would be loaded: the"
            + " process already has " + mapped.get(0) + " (pulled in by a native library) and "
            + PATH_PROPERTY + "/" + PATH_ENV + " names " + target + ". Native spans would not"
            + " join the JVM trace. Unset " + PATH_PROPERTY + " and " + PATH_ENV
            + " (Weft then uses the libweft already loaded) or point them at "
            + mapped.get(0), true, null);
      }
    } else if (mapped.size() == 1) {
      target = mapped.get(0);
    } else {
      target = findOnLibraryPath(libraryPath);
      boolean bundled = BundledLibrary.enabled();
      if (target == null && bundled) {
        target = BundledLibrary.extract();
      }
      if (target == null) {
        throw new LoadException("weft: libweft not found: no libweft is loaded yet, none is on"
            + " java.library.path (" + libraryPath + ") and "
            + (bundled ? "the weft-java-sdk jar carries none for " + System.getProperty("os.name")
                + "/" + System.getProperty("os.arch") + " (it can carry linux-x86_64 and"
                + " linux-aarch64, glibc 2.34+)"
                : "the copy the weft-java-sdk jar carries is turned off ("
                + BundledLibrary.BUNDLED_PROPERTY + "=false)")
            + ". Load your native library first (it links"
            + " libweft.so.0), or set -D" + PATH_PROPERTY + "=<path of libweft.so.0> or "
            + PATH_ENV + ", or add its directory to java.library.path", false, null);
      }
    }
    try {
      System.load(target.toString());
    } catch (UnsatisfiedLinkError e) {
      throw new LoadException("weft: cannot load " + target + ": " + e.getMessage(), false, e);
    } catch (IllegalCallerException e) {
      // JDK 24+ with --illegal-native-access=deny (JEP 472)
      throw new LoadException("weft: the JVM refuses to load " + target + " (" + e.getMessage()
          + "): run with --enable-native-access=ALL-UNNAMED (Weft on the class path) or"
          + " --enable-native-access=dev.weft (on the module path)", false, e);
    }
    List<Path> after = mappedLibweft();
    if (after.size() > 1) {
      throw twoInstances(after);
    }
    return target;
  }

  private static LoadException twoInstances(List<Path> mapped) {
    return new LoadException("weft: " + mapped.size() + " instances of libweft are"
        + " loaded in this process: " + mapped + ". Each has its own thread-local span stacks"
        + " and segment, so native spans would not join the JVM trace. Link every native"
        + " library against the shared libweft.so.0 (not libweft.a, not a private copy), ship"
        + " one copy of it, and if you set -D" + PATH_PROPERTY + " or " + PATH_ENV
        + ", point it at that copy", true, null);
  }

  @Nullable
  private static Path findOnLibraryPath(String libraryPath) {
    for (String dir : libraryPath.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      for (String name : new String[] {"libweft.so.0", "libweft.so"}) {
        Path candidate = Path.of(dir, name);
        if (Files.isRegularFile(candidate)) {
          return realPath(candidate);
        }
      }
    }
    return null;
  }

  private static Path realPath(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      return path.toAbsolutePath().normalize();
    }
  }

  /**
   * The distinct libweft files mapped into this process (real paths), from {@code
   * /proc/self/maps}; empty where that file does not exist.
   */
  public static List<Path> mappedLibweft() {
    return mappedLibweft(readMaps());
  }

  static List<Path> mappedLibweft(List<String> mapsLines) {
    Set<String> paths = new LinkedHashSet<>();
    for (String line : mapsLines) {
      int slash = line.indexOf('/');
      if (slash < 0) {
        continue;
      }
      String path = line.substring(slash);
      if (path.endsWith(" (deleted)")) {
        path = path.substring(0, path.length() - " (deleted)".length());
      }
      String file = path.substring(path.lastIndexOf('/') + 1);
      if (LIBWEFT.matcher(file).matches()) {
        paths.add(path);
      }
    }
    List<Path> result = new ArrayList<>();
    for (String p : paths) {
      result.add(Path.of(p));
    }
    return result;
  }

  private static List<String> readMaps() {
    Path maps = Path.of("/proc/self/maps");
    try {
      return Files.readAllLines(maps, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of();
    }
  }
}
