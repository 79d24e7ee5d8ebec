package dev.weft.internal.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.internal.segment.SegmentWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SegmentValidationTest {
  @TempDir Path dir;

  @Test
  void opensAValidSegment() throws Exception {
    SegmentWriter writer = SegmentWriter.create(dir.resolve("ok"));
    Segment segment = Segment.open(writer.path());
    assertThat(segment.slotCount()).isEqualTo(2);
    assertThat(segment.stackDepth()).isEqualTo(4);
    assertThat(segment.frameSize()).isEqualTo(512);
    assertThat(segment.ringCapacity()).isEqualTo(4096);
    assertThat(segment.state()).isEqualTo(Abi.SEGMENT_LIVE);
    assertThat(segment.creatorPid()).isEqualTo((int) ProcessHandle.current().pid());
  }

  @Test
  void missingFile() {
    assertThatThrownBy(() -> Segment.open(dir.resolve("none")))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void headerNotPublishedYetIsRetryable() throws Exception {
    SegmentWriter.Layout layout = new SegmentWriter.Layout();
    layout.publishMagic = false;
    SegmentWriter writer = SegmentWriter.create(dir.resolve("early"), layout);
    assertThatThrownBy(() -> Segment.open(writer.path()))
        .isInstanceOfSatisfying(InvalidSegmentException.class,
            e -> assertThat(e.isNotReadyYet()).isTrue());
    writer.publishMagic();
    assertThat(Segment.open(writer.path()).slotCount()).isEqualTo(2);
  }

  @Test
  void refusesGroupOrOtherPermissions() throws Exception {
    SegmentWriter.Layout layout = new SegmentWriter.Layout();
    layout.permissions = "rw-r--r--";
    SegmentWriter writer = SegmentWriter.create(dir.resolve("loose"), layout);
    assertThatThrownBy(() -> Segment.open(writer.path()))
        .isInstanceOf(InvalidSegmentException.class).hasMessageContaining("0644")
        .hasMessageContaining("group or others");
  }

  @Test
  void refusesASymbolicLink() throws Exception {
    SegmentWriter writer = SegmentWriter.create(dir.resolve("target"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), writer.path());
    assertThatThrownBy(() -> Segment.open(link)).isInstanceOf(InvalidSegmentException.class)
        .hasMessageContaining("symbolic link");
  }

  @Test
  void refusesAShortFile() throws Exception {
    Path path = dir.resolve("short");
    Files.write(path, new byte[100]);
    Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions
        .fromString("rw-------"));
    assertThatThrownBy(() -> Segment.open(path)).isInstanceOf(InvalidSegmentException.class)
        .hasMessageContaining("shorter than a header");
  }

  static Stream<Arguments> badHeaders() {
    return Stream.of(
        bad("bad magic", b -> b.putLong(0, 0x1234), "bad magic"),
        bad("major version 2", b -> b.putShort(8, (short) 2), "ABI version 2"),
        bad("byte order mark", b -> b.putInt(24, 0x04030201), "byte order mark"),
        bad("segment_size", b -> b.putLong(16, 12345), "does not match the file size"),
        bad("header_size small", b -> b.putInt(12, 100), "header_size"),
        bad("creator uid", b -> b.putInt(36, 4242), "creator_uid"),
        bad("slot_count 0", b -> b.putInt(72, 0), "slot_count"),
        bad("too many slots", b -> b.putInt(72, 1000), "do not fit"),
        bad("slot header", b -> b.putInt(76, 100), "slot_header_size"),
        bad("slots offset", b -> b.putLong(80, 12), "slots_offset"),
        bad("stack depth 0", b -> b.putInt(96, 0), "stack_depth"),
        bad("stack depth 257", b -> b.putInt(96, 257), "stack_depth"),
        bad("frame size", b -> b.putInt(100, 100), "frame_size"),
        bad("frame size unaligned", b -> b.putInt(100, 516), "frame_size"),
        bad("ring not a power of two", b -> b.putInt(104, 5000), "ring_capacity"),
        bad("ring smaller than two frames", b -> b.putInt(104, 512), "ring_capacity"),
        bad("stride too small", b -> b.putLong(88, 1024), "slot_stride"),
        bad("stride huge", b -> b.putLong(88, Long.MAX_VALUE - 7), "do not fit"));
  }

  private static Arguments bad(String name, Consumer<ByteBuffer> damage, String message) {
    return Arguments.of(name, damage, message);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badHeaders")
  void refusesABadHeader(String name, Consumer<ByteBuffer> damage, String message)
      throws Exception {
    SegmentWriter writer = SegmentWriter.create(dir.resolve("bad"));
    ByteBuffer buffer = writer.buffer().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    damage.accept(buffer);
    assertThatThrownBy(() -> Segment.open(writer.path()))
        .isInstanceOfSatisfying(InvalidSegmentException.class,
            e -> assertThat(e.isNotReadyYet()).isFalse())
        .hasMessageContaining(message);
  }

  /** The same table, over memory ({@link Segment#ofMemory}): the same refusal, the same words. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("badHeaders")
  void refusesABadHeaderInMemory(String name, Consumer<ByteBuffer> damage, String message)
      throws Exception {
    ByteBuffer memory = inMemory(SegmentWriter.create(dir.resolve("bad")).path());
    damage.accept(memory.duplicate().order(ByteOrder.LITTLE_ENDIAN));
    for (boolean map : new boolean[] {true, false}) {
      assertThatThrownBy(() -> Segment.ofMemory(memory, map))
          .isInstanceOfSatisfying(InvalidSegmentException.class,
              e -> assertThat(e.isNotReadyYet()).isFalse())
          .hasMessageStartingWith("segment buffer: ").hasMessageContaining(message);
    }
  }

  @Test
  void opensAValidSegmentInMemory() throws Exception {
    ByteBuffer memory = inMemory(SegmentWriter.create(dir.resolve("ok")).path());
    Segment segment = Segment.ofMemory(memory, true);
    assertThat(segment.isMapped()).isTrue();
    assertThat(segment.path()).isNull();
    assertThat(segment.slotCount()).isEqualTo(2);
    assertThat(segment.ringCapacity()).isEqualTo(4096);
    assertThat(segment.state()).isEqualTo(Abi.SEGMENT_LIVE);
    assertThat(segment.fileSizeNow()).isEqualTo(memory.capacity());
    try (Segment unmapped = Segment.ofMemory(memory, false)) {
      assertThat(unmapped.isMapped()).isFalse();
      ByteBuffer header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      unmapped.readFully(header, 0);
      assertThat(header.getLong(0)).isEqualTo(Abi.MAGIC);
      ByteBuffer past = ByteBuffer.allocate(16);
      assertThatThrownBy(() -> unmapped.readFully(past, memory.capacity() - 8))
          .isInstanceOf(InvalidSegmentException.class).hasMessageContaining("shrank");
    }
  }

  @Test
  void memoryShorterThanAHeaderIsRefused() {
    ByteBuffer memory = ByteBuffer.allocateDirect(100).order(ByteOrder.LITTLE_ENDIAN);
    assertThatThrownBy(() -> Segment.ofMemory(memory, true))
        .isInstanceOf(InvalidSegmentException.class).hasMessageContaining("shorter than a header");
  }

  @Test
  void memoryMustBeAlignedLittleEndianAndDirect() throws Exception {
    ByteBuffer memory = inMemory(SegmentWriter.create(dir.resolve("ok")).path());
    ByteBuffer misaligned = ByteBuffer.allocateDirect(memory.capacity() + 4).position(4).slice()
        .order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer heap = ByteBuffer.allocate(memory.capacity()).order(ByteOrder.LITTLE_ENDIAN);
    for (ByteBuffer wrong : new ByteBuffer[] {misaligned, heap,
        memory.duplicate().order(ByteOrder.BIG_ENDIAN)}) {
      assertThatThrownBy(() -> Segment.ofMemory(wrong, true))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("8-aligned");
    }
  }

  /** The file's bytes in a direct buffer, little-endian. */
  private static ByteBuffer inMemory(Path file) throws Exception {
    byte[] bytes = Files.readAllBytes(file);
    ByteBuffer memory = ByteBuffer.allocateDirect(bytes.length).order(ByteOrder.LITTLE_ENDIAN);
    memory.put(0, bytes);
    return memory;
  }
}
