package dev.weft.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where things are: the repository, the native build, this module's output directory. */
public final class Repo {
  private Repo() {}

  /** The repository root (system property {@code weft.repo.root}, set by the pom). */
  public static Path root() {
    String configured = System.getProperty("weft.repo.root");
    Path root = configured != null ? Path.of(configured) : Path.of("..");
    try {
      return root.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("weft.repo.root " + root + " does not exist", e);
    }
  }

  /** c-sdk's CMake build directory (its tools/ holds weft-loadgen). */
  public static Path nativeBuildDir() {
    String configured = System.getProperty("weft.native.build.dir");
    return configured != null ? Path.of(configured) : root().resolve("c-sdk/target/cmake");
  }

  /** A fresh directory under target/weft-it for logs and data of one test class or step. */
  public static Path outputDir(String name) {
    String configured = System.getProperty("weft.it.output.dir");
    Path base = configured != null ? Path.of(configured) : root().resolve("integration-tests/target/weft-it");
    Path dir = base.resolve(name);
    try {
      if (Files.exists(dir)) {
        try (var paths = Files.walk(dir)) {
          paths.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(dir))
              .forEach(p -> p.toFile().delete());
        }
      }
      Files.createDirectories(dir);
      return dir.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
