package dev.weft.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NativeSelectionTest {
  @Test
  void theDefaultIsEveryClassOutsideTheJdkTheOtelAgentByteBuddyAndWeft() {
    NativeSelection s = NativeSelection.parse(null, "default");
    assertThat(s.matches("com.example.Codec")).isTrue();
    assertThat(s.matches("org.lz4.LZ4JNI")).isTrue();
    assertThat(s.matches("Toplevel")).isTrue();
    assertThat(s.matches("java.lang.Object")).isFalse();
    assertThat(s.matches("javax.crypto.Cipher")).isFalse();
    assertThat(s.matches("jdk.internal.misc.Unsafe")).isFalse();
    assertThat(s.matches("sun.nio.ch.IOUtil")).isFalse();
    assertThat(s.matches("com.sun.jna.Native")).isFalse();
    assertThat(s.matches("io.opentelemetry.javaagent.bootstrap.AgentClassLoader")).isFalse();
    assertThat(s.matches("net.bytebuddy.ByteBuddy")).isFalse();
    assertThat(s.matches("dev.weft.internal.jni.WeftJni")).isFalse();
    assertThat(s.matches("dev.weft.agent.shaded.bytebuddy.ByteBuddy")).isFalse();
    assertThat(s.toString()).contains("default");
  }

  @Test
  void oneStarIsOnePackageLevelTwoStarsAreSubPackages() {
    NativeSelection s = NativeSelection.parse("com.example.codec.*, org.lz4.**", "-Dx");
    assertThat(s.matches("com.example.codec.Codec")).isTrue();
    assertThat(s.matches("com.example.codec.Codec$Inner")).isTrue();
    assertThat(s.matches("com.example.codec.sub.Codec")).isFalse();
    assertThat(s.matches("com.example.Other")).isFalse();
    assertThat(s.matches("org.lz4.LZ4JNI")).isTrue();
    assertThat(s.matches("org.lz4.a.b.C")).isTrue();
    assertThat(s.matches("org.lz4x.C")).isFalse();
  }

  @Test
  void aClassNameIsExactAndStarsMatchWithinANameToo() {
    NativeSelection s = NativeSelection.parse("com.example.Codec,com.example.*Jni", "-Dx");
    assertThat(s.matches("com.example.Codec")).isTrue();
    assertThat(s.matches("com.example.Codec2")).isFalse();
    assertThat(s.matches("com.example.ZstdJni")).isTrue();
    assertThat(s.matches("com.example.Zstd")).isFalse();
  }

  @Test
  void exclusionsWinAndExclusionsAloneKeepTheDefault() {
    NativeSelection s = NativeSelection.parse("com.example.**,!com.example.Skip", "-Dx");
    assertThat(s.matches("com.example.Codec")).isTrue();
    assertThat(s.matches("com.example.Skip")).isFalse();
    assertThat(s.matches("org.other.Codec")).isFalse();

    NativeSelection onlyExcludes = NativeSelection.parse("!com.example.Skip", "ENV");
    assertThat(onlyExcludes.matches("com.example.Skip")).isFalse();
    assertThat(onlyExcludes.matches("com.example.Codec")).isTrue();
    assertThat(onlyExcludes.matches("java.util.zip.CRC32")).isFalse();
  }

  @Test
  void weftAndTheOtelAgentAreNeverSelectedEvenWhenAsked() {
    NativeSelection s = NativeSelection.parse("dev.weft.**,io.opentelemetry.**", "-Dx");
    assertThat(s.matches("dev.weft.internal.jni.WeftJni")).isFalse();
    assertThat(s.matches("io.opentelemetry.javaagent.Foo")).isFalse();
    assertThat(s.matches("io.opentelemetry.api.Foo")).isTrue();
  }

  @Test
  void explicitJdkPackagesAreSelectable() {
    NativeSelection s = NativeSelection.parse("java.util.zip.*", "-Dx");
    assertThat(s.matches("java.util.zip.CRC32")).isTrue();
  }

  @Test
  void emptyEntriesAndBlanksAreIgnored() {
    NativeSelection s = NativeSelection.parse(" , com.example.Codec ,,", "-Dx");
    assertThat(s.matches("com.example.Codec")).isTrue();
    assertThat(s.matches("com.example.Other")).isFalse();
  }

  @Test
  void aMalformedGlobIsAClearErrorNamingItAndTheSource() {
    for (String bad : new String[] {"com.example..Codec", "com/example/Codec", "!", ".Codec",
        "com.example.", "com.***", "com.example.Codec()"}) {
      assertThatThrownBy(() -> NativeSelection.parse("org.ok.*," + bad, "-Dweft.instrument.native"))
          .as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'")
          .hasMessageContaining("-Dweft.instrument.native")
          .hasMessageContaining("com.example.codec.*");
    }
  }
}
