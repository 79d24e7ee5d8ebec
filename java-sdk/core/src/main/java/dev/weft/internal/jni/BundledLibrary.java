package dev.weft.internal.jni;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.annotation.Nullable;

/**
 * The libweft that weft-java-sdk's jar carries, at {@code
 * META-INF/native/linux-<arch>/libweft.so.0} ({@code x86_64}, {@code aarch64}; glibc 2.34 or
 * newer), extracted into a per-user cache before it is loaded: the last step of {@link
 * LibraryLoader}'s search.
 *
 * <p>The copy goes to {@code <workdir>/<sha256 of its content>/libweft.so.0}, where the work
 * directory is {@value #WORKDIR_PROPERTY} (system property), else {@value #WORKDIR_ENV}, else
 * {@code $XDG_CACHE_HOME/weft}, else {@code ~/.cache/weft}. It keeps the file name {@code
 * libweft.so.0}, its SONAME: once the JVM has loaded it, the dynamic loader resolves the {@code
 * DT_NEEDED libweft.so.0} of every native library loaded later to this copy, whatever their RPATH
 * (or none) says, so the application's JNI library shares the JVM's libweft.
 *
 * <p>Several JVMs may extract at once: each writes a temporary file in the same directory and
 * renames it into place (atomic on POSIX file systems); since the directory is named by the content
 * hash, every writer writes the same bytes, and the file is read back and checked against the hash
 * before it is used, so no lock is needed. A file that is there but does not match (truncated,
 * altered) is replaced the same way. A work directory that cannot be written, or that is on a file
 * system mounted {@code noexec}, fails with a message that names the property to change.
 */
public final class BundledLibrary {
  /** System property: the directory the bundled libweft is extracted into. */
  public static final String WORKDIR_PROPERTY = "weft.native.workdir";
  /** Environment variable: the directory the bundled libweft is extracted into. */
  public static final String WORKDIR_ENV = "WEFT_NATIVE_WORKDIR";
  /**
   * System property: {@code false} makes Weft never use the bundled copy (only the override, an
   * already mapped libweft and {@code java.library.path}), e.g. where the application ships its own
   * libweft next to its JNI library and must not get a second one.
   */
  public static final String BUNDLED_PROPERTY = "weft.native.bundled";
  /** Environment variable with the meaning of {@value #BUNDLED_PROPERTY}. */
  public static final String BUNDLED_ENV = "WEFT_NATIVE_BUNDLED";
  /** The file name of the extracted copy: libweft's SONAME. */
  public static final String FILE_NAME = "libweft.so.0";

  private static final Set<PosixFilePermission> PRIVATE_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> LIBRARY =
      PosixFilePermissions.fromString("r-xr-xr-x");

  private BundledLibrary() {}

  /** Whether the bundled copy may be used ({@value #BUNDLED_PROPERTY}, {@value #BUNDLED_ENV}). */
  public static boolean enabled() {
    String value = System.getProperty(BUNDLED_PROPERTY);
    if (value == null || value.isEmpty()) {
      value = System.getenv(BUNDLED_ENV);
    }
    return value == null || !value.trim().equalsIgnoreCase("false");
  }

  /**
   * The platform name of the jar's native folder for this JVM, such as {@code linux-x86_64}, or
   * null where Weft bundles no libweft.
   */
  @Nullable
  public static String platform() {
    return platform(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
  }

  @Nullable
  static String platform(String osName, String osArch) {
    if (!osName.toLowerCase(Locale.ROOT).startsWith("linux")) {
      return null;
    }
    switch (osArch.toLowerCase(Locale.ROOT)) {
      case "amd64":
      case "x86_64":
        return "linux-x86_64";
      case "aarch64":
      case "arm64":
        return "linux-aarch64";
      default:
        return null;
    }
  }

  /** The resource name of the bundled libweft for a platform. */
  static String resourceName(String platform) {
    return "META-INF/native/" + platform + "/" + FILE_NAME;
  }

  /** The work directory from the property, the variable, XDG_CACHE_HOME or the home directory. */
  static Path workdir(@Nullable String property, @Nullable String env, @Nullable String xdgCache,
      String userHome) {
    if (property != null && !property.isEmpty()) {
      return Path.of(property);
    }
    if (env != null && !env.isEmpty()) {
      return Path.of(env);
    }
    if (xdgCache != null && !xdgCache.isEmpty()) {
      return Path.of(xdgCache, "weft");
    }
    return Path.of(userHome, ".cache", "weft");
  }

  /** A description of where the work directory came from, for messages. */
  private static String workdirOrigin() {
    String property = System.getProperty(WORKDIR_PROPERTY);
    if (property != null && !property.isEmpty()) {
      return "-D" + WORKDIR_PROPERTY;
    }
    String env = System.getenv(WORKDIR_ENV);
    return env != null && !env.isEmpty() ? WORKDIR_ENV : "the default; set -D" + WORKDIR_PROPERTY
        + " or " + WORKDIR_ENV + " to change it";
  }

  /**
   * Extracts the bundled libweft of this platform (if not already there) and returns the path to
   * load, or null if this jar has none for this platform.
   *
   * @throws LibraryLoader.LoadException if it cannot be extracted or could not be executed there
   */
  @Nullable
  static Path extract() {
    String platform = platform();
    if (platform == null) {
      return null;
    }
    byte[] content;
    try (InputStream in = BundledLibrary.class.getClassLoader() == null ? null
        : BundledLibrary.class.getClassLoader().getResourceAsStream(resourceName(platform))) {
      if (in == null) {
        return null;
      }
      content = in.readAllBytes();
    } catch (IOException e) {
      throw new LibraryLoader.LoadException("weft: cannot read the bundled libweft "
          + resourceName(platform) + ": " + e, false, e);
    }
    Path workdir = workdir(System.getProperty(WORKDIR_PROPERTY), System.getenv(WORKDIR_ENV),
        System.getenv("XDG_CACHE_HOME"), System.getProperty("user.home", "/tmp"));
    return extract(content, workdir, workdirOrigin(), readMountInfo());
  }

  /**
   * Places {@code content} at {@code <workdir>/<sha256>/libweft.so.0} and returns that path.
   *
   * @param origin where {@code workdir} came from, for messages
   * @param mountInfo the lines of {@code /proc/self/mountinfo} (empty: not checked)
   */
  static Path extract(byte[] content, Path workdir, String origin, List<String> mountInfo) {
    String hash = sha256(content);
    Path dir = workdir.toAbsolutePath().normalize().resolve(hash);
    Path target = dir.resolve(FILE_NAME);
    if (!matches(target, hash)) {
      write(content, hash, dir, target, origin);
    }
    checkPrivate(dir, origin);
    String mount = noexecMount(dir, mountInfo);
    if (mount != null) {
      throw new LibraryLoader.LoadException("weft: the bundled libweft was extracted to " + target
          + ", but " + mount + " is mounted noexec, so it cannot be loaded from there. Set -D"
          + WORKDIR_PROPERTY + "=<dir> or " + WORKDIR_ENV + " to a directory on a file system"
          + " that allows executing libraries (work directory from " + origin + ")", false, null);
    }
    return target;
  }

  private static void write(byte[] content, String hash, Path dir, Path target, String origin) {
    Path temp = null;
    try {
      createPrivateDirectories(dir);
      temp = Files.createTempFile(dir, "." + FILE_NAME + "-", ".tmp");
      Files.write(temp, content);
      Files.setPosixFilePermissions(temp, LIBRARY);
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system does not support atomic renames", e);
      }
      temp = null;
    } catch (IOException e) {
      throw new LibraryLoader.LoadException("weft: cannot extract the bundled libweft into " + dir
          + ": " + describe(e) + ". Set -D" + WORKDIR_PROPERTY + "=<dir> or " + WORKDIR_ENV
          + " to a writable directory on a file system that allows executing libraries (work"
          + " directory from " + origin + ")", false, e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // best effort: a stray temporary file is harmless
        }
      }
    }
    if (!matches(target, hash)) {
      throw new LibraryLoader.LoadException("weft: the bundled libweft extracted to " + target
          + " does not match its SHA-256 " + hash + " when read back (another process is writing"
          + " there?). Set -D" + WORKDIR_PROPERTY + " or " + WORKDIR_ENV + " to a private"
          + " directory", false, null);
    }
  }

  /** Refuses a directory others may write into: they could swap the library before it loads. */
  private static void checkPrivate(Path dir, String origin) {
    Set<PosixFilePermission> permissions;
    try {
      permissions = Files.getPosixFilePermissions(dir);
    } catch (IOException | UnsupportedOperationException e) {
      return; // not a POSIX file system: nothing to check
    }
    if (permissions.contains(PosixFilePermission.GROUP_WRITE)
        || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new LibraryLoader.LoadException("weft: " + dir + " is writable by other users ("
          + PosixFilePermissions.toString(permissions) + "), so the libweft in it cannot be"
          + " trusted. Remove it, or set -D" + WORKDIR_PROPERTY + " or " + WORKDIR_ENV + " to a"
          + " private directory (work directory from " + origin + ")", false, null);
    }
  }

  private static void createPrivateDirectories(Path dir) throws IOException {
    Path parent = dir.getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      createPrivateDirectories(parent);
    }
    if (!Files.isDirectory(dir)) {
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
      } catch (java.nio.file.FileAlreadyExistsException e) {
        if (!Files.isDirectory(dir)) {
          throw e; // a file in the way
        }
        // created by a concurrent extraction
      }
    }
  }

  private static String describe(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied (" + e.getMessage() + ")";
    }
    if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
      return ((FileSystemException) e).getReason() + " (" + ((FileSystemException) e).getFile()
          + ")";
    }
    return e.toString();
  }

  /** Whether {@code file} exists with exactly the content of SHA-256 {@code hash}. */
  private static boolean matches(Path file, String hash) {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    try {
      return sha256(Files.readAllBytes(file)).equals(hash);
    } catch (IOException e) {
      return false;
    }
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /**
   * The mount point holding {@code dir} if that file system is mounted {@code noexec}, else null.
   * {@code mountInfo} has the format of {@code /proc/self/mountinfo}: the 5th field is the mount
   * point (octal escapes for spaces), the 6th the per-mount options.
   */
  @Nullable
  static String noexecMount(Path dir, List<String> mountInfo) {
    Path real = dir.toAbsolutePath().normalize();
    try {
      real = dir.toRealPath();
    } catch (IOException e) {
      // not there (yet): the lexical path
    }
    String best = null;
    boolean bestNoexec = false;
    for (String line : mountInfo) {
      String[] fields = line.split(" ");
      if (fields.length < 6) {
        continue;
      }
      String point = unescape(fields[4]);
      if (!real.startsWith(point)) {
        continue;
      }
      // the longest match is the mount that holds dir; a later equal one is mounted over it
      if (best == null || point.length() >= best.length()) {
        best = point;
        bestNoexec = List.of(fields[5].split(",")).contains("noexec");
      }
    }
    return bestNoexec ? best : null;
  }

  private static String unescape(String field) {
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 3 < field.length()) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static List<String> readMountInfo() {
    try {
      return Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of();
    }
  }
}
