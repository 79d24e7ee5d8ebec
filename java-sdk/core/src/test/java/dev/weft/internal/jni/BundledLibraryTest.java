package dev.weft.internal.jni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Extraction of the bundled libweft: where, how it is reused and shared, and how it fails. */
class BundledLibraryTest {
  static final byte[] CONTENT = "not really an ELF file, only bytes to place".getBytes(
      StandardCharsets.UTF_8);

  @TempDir Path temp;

  @Test
  void platformNamesFollowTheJarFolders() {
    assertThat(BundledLibrary.platform("Linux", "amd64")).isEqualTo("linux-x86_64");
    assertThat(BundledLibrary.platform("Linux", "x86_64")).isEqualTo("linux-x86_64");
    assertThat(BundledLibrary.platform("Linux", "aarch64")).isEqualTo("linux-aarch64");
    assertThat(BundledLibrary.platform("Mac OS X", "aarch64")).isNull();
    assertThat(BundledLibrary.platform("Linux", "s390x")).isNull();
    assertThat(BundledLibrary.resourceName("linux-aarch64"))
        .isEqualTo("META-INF/native/linux-aarch64/libweft.so.0");
  }

  @Test
  void workdirIsThePropertyThenTheVariableThenTheXdgCacheThenHome() {
    assertThat(BundledLibrary.workdir("/p", "/e", "/x", "/home/u")).isEqualTo(Path.of("/p"));
    assertThat(BundledLibrary.workdir("", "/e", "/x", "/home/u")).isEqualTo(Path.of("/e"));
    assertThat(BundledLibrary.workdir(null, null, "/x", "/home/u"))
        .isEqualTo(Path.of("/x/weft"));
    assertThat(BundledLibrary.workdir(null, "", "", "/home/u"))
        .isEqualTo(Path.of("/home/u/.cache/weft"));
  }

  @Test
  void theCopyIsKeyedByItsHashAndKeepsTheSoname() throws IOException {
    Path path = BundledLibrary.extract(CONTENT, temp, "test", List.of());
    assertThat(path).isEqualTo(temp.resolve(BundledLibrary.sha256(CONTENT)).resolve("libweft.so.0"));
    assertThat(Files.readAllBytes(path)).isEqualTo(CONTENT);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path)))
        .isEqualTo("r-xr-xr-x");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path.getParent())))
        .isEqualTo("rwx------");
    assertThat(leftovers(path.getParent())).isEmpty();
  }

  @Test
  void aSecondExtractionReusesTheFileAndACorruptOneIsReplaced() throws IOException {
    Path first = BundledLibrary.extract(CONTENT, temp, "test", List.of());
    Object inode = Files.getAttribute(first, "unix:ino");
    Path second = BundledLibrary.extract(CONTENT, temp, "test", List.of());
    assertThat(second).isEqualTo(first);
    assertThat(Files.getAttribute(second, "unix:ino")).as("not rewritten").isEqualTo(inode);

    Files.setPosixFilePermissions(first, PosixFilePermissions.fromString("rw-------"));
    Files.write(first, new byte[] {1, 2, 3}); // truncated / altered
    Path third = BundledLibrary.extract(CONTENT, temp, "test", List.of());
    assertThat(Files.readAllBytes(third)).isEqualTo(CONTENT);
  }

  @Test
  void manyThreadsExtractingAtOnceGetOneIntactCopy() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Path>> results = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        results.add(pool.submit(() -> BundledLibrary.extract(CONTENT, temp, "test", List.of())));
      }
      Path expected = temp.resolve(BundledLibrary.sha256(CONTENT)).resolve("libweft.so.0");
      for (Future<Path> result : results) {
        assertThat(result.get(60, TimeUnit.SECONDS)).isEqualTo(expected);
      }
      assertThat(Files.readAllBytes(expected)).isEqualTo(CONTENT);
      assertThat(leftovers(expected.getParent())).isEmpty();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void severalJvmsExtractingAtOnceGetOneIntactCopy() throws Exception {
    Path workdir = temp.resolve("work");
    List<Process> children = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      children.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
          .toString(), "-cp", System.getProperty("java.class.path"),
          ExtractChild.class.getName(), workdir.toString())
          .redirectErrorStream(true).start());
    }
    for (Process child : children) {
      String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).as(out).isZero();
      assertThat(out.trim()).isEqualTo("extracted " + ExtractChild.ROUNDS);
    }
    for (int round = 0; round < ExtractChild.ROUNDS; round++) {
      byte[] content = ExtractChild.content(round);
      Path expected = workdir.resolve(BundledLibrary.sha256(content)).resolve("libweft.so.0");
      assertThat(Files.readAllBytes(expected)).isEqualTo(content);
      assertThat(leftovers(expected.getParent())).isEmpty();
    }
  }

  /**
   * Run by {@link #severalJvmsExtractingAtOnceGetOneIntactCopy}: extracts {@value #ROUNDS}
   * different contents in the same order as its siblings, so that they race on each.
   */
  public static final class ExtractChild {
    static final int ROUNDS = 200;

    private ExtractChild() {}

    static byte[] content(int round) {
      return ("library content of round " + round).repeat(100).getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws IOException {
      for (int round = 0; round < ROUNDS; round++) {
        byte[] content = content(round);
        Path path = BundledLibrary.extract(content, Path.of(args[0]), "test", List.of());
        if (!java.util.Arrays.equals(Files.readAllBytes(path), content)) {
          throw new IllegalStateException("round " + round + ": wrong content at " + path);
        }
      }
      System.out.println("extracted " + ROUNDS);
    }
  }

  @Test
  void aWorkdirThatCannotBeCreatedNamesTheProperty() throws IOException {
    Path file = Files.write(temp.resolve("a-file"), CONTENT);
    assertThatThrownBy(() -> BundledLibrary.extract(CONTENT, file.resolve("weft"), "test",
        List.of()))
        .isInstanceOf(LibraryLoader.LoadException.class)
        .hasMessageContaining("cannot extract the bundled libweft into " + file)
        .hasMessageContaining("-Dweft.native.workdir=<dir>")
        .hasMessageContaining("WEFT_NATIVE_WORKDIR");
  }

  @Test
  void aDirectoryOthersCanWriteIsRefused() throws IOException {
    Path dir = Files.createDirectories(temp.resolve(BundledLibrary.sha256(CONTENT)));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThatThrownBy(() -> BundledLibrary.extract(CONTENT, temp, "test", List.of()))
        .isInstanceOf(LibraryLoader.LoadException.class)
        .hasMessageContaining("writable by other users")
        .hasMessageContaining("weft.native.workdir");
  }

  @Test
  void aReadOnlyFileSystemNamesTheProperty() throws Exception {
    Path mount = Files.createDirectories(temp.resolve("ro"));
    assumeTrue(mountTmpfs(mount, "ro"), "mounting a read-only tmpfs needs root (here: "
        + System.getProperty("user.name") + ")");
    try {
      assertThatThrownBy(() -> BundledLibrary.extract(CONTENT, mount, "test", List.of()))
          .isInstanceOf(LibraryLoader.LoadException.class)
          .hasMessageContaining("Read-only file system")
          .hasMessageContaining("-Dweft.native.workdir=<dir>");
    } finally {
      unmount(mount);
    }
  }

  @Test
  void aNoexecFileSystemNamesTheProperty() throws Exception {
    Path mount = Files.createDirectories(temp.resolve("noexec"));
    assumeTrue(mountTmpfs(mount, "noexec"), "mounting a noexec tmpfs needs root (here: "
        + System.getProperty("user.name") + ")");
    try {
      assertThatThrownBy(() -> BundledLibrary.extract(CONTENT, mount, "test",
          Files.readAllLines(Path.of("/proc/self/mountinfo"))))
          .isInstanceOf(LibraryLoader.LoadException.class)
          .hasMessageContaining("is mounted noexec")
          .hasMessageContaining(mount.toRealPath().toString())
          .hasMessageContaining("-Dweft.native.workdir=<dir>");
      // ... which is what the dynamic loader would have said less clearly
      byte[] real = bundledForThisPlatform();
      if (real != null) {
        Path copy = Files.write(mount.resolve("libweft.so.0"), real);
        assertThatThrownBy(() -> System.load(copy.toString()))
            .isInstanceOf(UnsatisfiedLinkError.class);
      }
    } finally {
      unmount(mount);
    }
  }

  @Test
  void noexecIsReadFromTheMountThatHoldsTheDirectory() {
    List<String> mountInfo = List.of(
        "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
        "30 22 0:25 / /tmp rw,nosuid,nodev,noexec shared:5 - tmpfs tmpfs rw",
        "31 30 0:26 / /tmp/exec\\040ok rw,nosuid shared:6 - tmpfs tmpfs rw");
    assertThat(BundledLibrary.noexecMount(Path.of("/tmp/weft/abc"), mountInfo)).isEqualTo("/tmp");
    assertThat(BundledLibrary.noexecMount(Path.of("/tmp/exec ok/weft"), mountInfo)).isNull();
    assertThat(BundledLibrary.noexecMount(Path.of("/home/u/.cache/weft"), mountInfo)).isNull();
    assertThat(BundledLibrary.noexecMount(Path.of("/tmpfoo/weft"), mountInfo)).isNull();
  }

  @Test
  void theJarCarriesLibweftForThisPlatform() throws IOException {
    String platform = BundledLibrary.platform();
    assumeTrue(platform != null, "Weft bundles no libweft for " + System.getProperty("os.name")
        + "/" + System.getProperty("os.arch"));
    byte[] real = bundledForThisPlatform();
    assertThat(real).as(BundledLibrary.resourceName(platform)
        + " on the class path (copied from c-sdk/target/native by process-resources)").isNotNull();
    assertThat(new String(real, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("ELF");
  }

  private static byte[] bundledForThisPlatform() throws IOException {
    String platform = BundledLibrary.platform();
    if (platform == null) {
      return null;
    }
    try (InputStream in = BundledLibrary.class.getClassLoader()
        .getResourceAsStream(BundledLibrary.resourceName(platform))) {
      return in == null ? null : in.readAllBytes();
    }
  }

  private static List<Path> leftovers(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> !p.getFileName().toString().equals("libweft.so.0")).toList();
    }
  }

  private static boolean mountTmpfs(Path dir, String options) throws Exception {
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", options + ",size=4m", "tmpfs",
        dir.toString()).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  private static void unmount(Path dir) throws Exception {
    // lazy: the failed dlopen may keep the file system busy until this JVM lets go of it
    new ProcessBuilder("umount", "-l", dir.toString()).inheritIO().start()
        .waitFor(30, TimeUnit.SECONDS);
  }
}
