package dev.weft.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One libweft per process, whichever is loaded first: each case runs {@link LoadOrderProbe} in a
 * fresh JVM (a loaded library cannot be unloaded) and checks what the JVM and the application's
 * native library each see.
 */
class LibraryLoadingTest {
  static Path demoLibrary;
  static Path bundledLibweft;

  @TempDir Path temp;

  @BeforeAll
  static void paths() throws IOException {
    demoLibrary = NativeCodec.libraryPath();
    bundledLibweft = demoLibrary.resolveSibling("libweft.so.0").toRealPath();
  }

  private Map<String, String> probe(String order, String... jvmOptions) throws Exception {
    return probe(demoLibrary, List.of(order), jvmOptions);
  }

  private Map<String, String> probe(Path appLibrary, List<String> args, String... jvmOptions)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("-D" + NativeCodec.LIBRARY_PROPERTY + "=" + appLibrary);
    // the bundled libweft, if it comes to that, goes to this test's directory
    command.add("-Dweft.native.workdir=" + temp.resolve("weft-cache"));
    command.addAll(List.of(jvmOptions));
    command.add(LoadOrderProbe.class.getName());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("WEFT_LIBRARY_PATH");
    pb.environment().put("WEFT_SHM_DIR", temp.toString());
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    Map<String, String> result = new HashMap<>();
    for (String line : output.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        result.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    result.put("output", output);
    return result;
  }

  private static void assertOneInstance(Map<String, String> seen, Path expected) {
    assertThat(seen).as(seen.get("output")).doesNotContainKey("error");
    assertThat(Path.of(seen.get("weft"))).isEqualTo(expected);
    assertThat(seen.get("mapped")).isEqualTo("1");
    assertThat(seen.get("jvmSegment")).isNotEqualTo("null").isEqualTo(seen.get("appSegment"));
  }

  @Test
  void appLibraryFirstThenWeftUsesTheLibweftItPulledIn() throws Exception {
    Map<String, String> seen = probe("app-first");
    assertOneInstance(seen, bundledLibweft);
    assertThat(Path.of(seen.get("appLibweft")).toRealPath()).isEqualTo(bundledLibweft);
  }

  @Test
  void weftFirstFromThePropertyThenTheAppLibrarySharesIt() throws Exception {
    Map<String, String> seen = probe("weft-first", "-Dweft.library.path=" + bundledLibweft);
    assertOneInstance(seen, bundledLibweft);
  }

  @Test
  void weftFirstFromAnotherCopyIsStillOneInstanceBySoname() throws Exception {
    // The JVM loads a copy elsewhere first; the app library's DT_NEEDED libweft.so.0 then
    // matches that copy's SONAME and the dynamic linker reuses it.
    Path copy = Files.copy(bundledLibweft, temp.resolve("libweft.so.0"));
    Map<String, String> seen = probe("weft-first", "-Dweft.library.path=" + copy);
    assertOneInstance(seen, copy.toRealPath());
    assertThat(Path.of(seen.get("appLibweft")).toRealPath()).isEqualTo(copy.toRealPath());
  }

  @Test
  void aSecondCopyAfterTheAppLibraryIsRefusedWithAnExplanation() throws Exception {
    Path other = Path.of(System.getProperty("weft.native.build.dir", "../c-sdk/target/cmake"),
        "libweft.so.0");
    Assumptions.assumeTrue(Files.exists(other), "no second libweft at " + other);
    Map<String, String> seen = probe("app-first", "-Dweft.library.path=" + other);
    assertThat(seen.get("error")).as(seen.get("output"))
        .contains("two instances of libweft")
        .contains(bundledLibweft.toString())
        .contains("Unset weft.library.path");
  }

  @Test
  void libweftOnJavaLibraryPathIsFoundWhenNothingElseSaysWhere() throws Exception {
    Map<String, String> seen = probe("weft-first",
        "-Djava.library.path=" + bundledLibweft.getParent());
    assertOneInstance(seen, bundledLibweft);
  }

  @Test
  void aJniLibraryExtractedWithNoRpathSharesTheLibweftBundledInTheJar() throws Exception {
    // As an application jar ships its JNI library: extracted alone into a temporary directory,
    // no RPATH/RUNPATH, no libweft beside it, nothing on java.library.path. Weft loads first and
    // extracts its bundled copy; the app library's DT_NEEDED libweft.so.0 then resolves to it.
    Path built = demoLibrary.resolveSibling("libweftdemo-norpath.so");
    Assumptions.assumeTrue(Files.exists(built), "not built: " + built);
    assertThat(dynamicSection(built)).as("readelf -d " + built)
        .noneMatch(line -> line.contains("RPATH") || line.contains("RUNPATH"))
        .anyMatch(line -> line.contains("NEEDED") && line.contains("libweft.so.0"));
    Path extracted = Files.copy(built,
        Files.createDirectory(temp.resolve("jni-extracted")).resolve("libweftdemo.so"));
    Path emptyLibraryPath = Files.createDirectory(temp.resolve("empty"));

    Map<String, String> seen = probe(extracted, List.of("weft-first", "stitch"),
        "-Djava.library.path=" + emptyLibraryPath);

    assertThat(seen).as(seen.get("output")).doesNotContainKey("error");
    Path weft = Path.of(seen.get("weft"));
    assertThat(weft.getFileName()).hasToString("libweft.so.0");
    assertThat(weft.getParent().getParent()).isEqualTo(temp.resolve("weft-cache"));
    assertThat(Files.readAllBytes(weft)).as("the jar's copy, byte for byte")
        .isEqualTo(Files.readAllBytes(bundledLibweft));
    assertOneInstance(seen, weft);
    assertThat(Path.of(seen.get("appLibweft")).toRealPath()).isEqualTo(weft.toRealPath());
    assertThat(seen.get("stitched")).as(seen.get("output")).isEqualTo("true");
  }

  private static List<String> dynamicSection(Path library) throws Exception {
    Process readelf;
    try {
      readelf = new ProcessBuilder("readelf", "-d", library.toString()).redirectErrorStream(true)
          .start();
    } catch (IOException e) {
      Assumptions.abort("readelf (binutils) is not installed: " + e.getMessage());
      throw e;
    }
    String out = new String(readelf.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(readelf.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return List.of(out.split("\n"));
  }
}
