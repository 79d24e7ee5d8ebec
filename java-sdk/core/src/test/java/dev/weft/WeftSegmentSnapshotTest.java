package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.segment.ProcessLiveness;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeftSegmentSnapshotTest {
  @TempDir Path dir;

  private static SegmentWriter.Layout self() {
    SegmentWriter.Layout layout = new SegmentWriter.Layout();
    layout.pid = (int) ProcessHandle.current().pid();
    layout.startTicks = ProcessLiveness.startTicks(layout.pid);
    layout.bootId = ProcessLiveness.currentBootId();
    return layout;
  }

  @Test
  void liveCreatorAndItsOpenSpans() throws Exception {
    SegmentWriter writer = SegmentWriter.create(dir.resolve("live"), self());
    writer.registerScope("crashy-lib", "1.0");
    writer.claimSlot(1, 77, "crashy");
    writer.writeFrame(1, 0, SpanRecordBuilder.span().name("request").end(0).build());
    writer.writeFrame(1, 1, SpanRecordBuilder.span().name("decode").spanId(2).end(0).build());
    writer.setDepth(1, 2);
    WeftSegmentSnapshot snapshot = WeftSegmentSnapshot.read(writer.path());
    assertThat(snapshot.state()).isEqualTo(WeftSegmentSnapshot.State.LIVE);
    assertThat(snapshot.creatorAlive()).isTrue();
    assertThat(snapshot.openSpans()).extracting(s -> s.span().getName())
        .containsExactly("request", "decode");
    assertThat(snapshot.openSpans()).allSatisfy(s -> {
      assertThat(s.slot()).isEqualTo(1);
      assertThat(s.span().hasEnded()).isFalse();
    });
  }

  @Test
  void deadCreatorIsRecognised() throws Exception {
    SegmentWriter.Layout otherStart = self();
    otherStart.startTicks += 1;
    assertThat(WeftSegmentSnapshot.read(SegmentWriter.create(dir.resolve("a"), otherStart)
        .path()).creatorAlive()).isFalse();
    SegmentWriter.Layout otherBoot = self();
    otherBoot.bootId[0] ^= 1;
    assertThat(WeftSegmentSnapshot.read(SegmentWriter.create(dir.resolve("b"), otherBoot)
        .path()).creatorAlive()).isFalse();
    SegmentWriter.Layout noSuchPid = self();
    noSuchPid.pid = Integer.MAX_VALUE;
    assertThat(WeftSegmentSnapshot.read(SegmentWriter.create(dir.resolve("c"), noSuchPid)
        .path()).creatorAlive()).isFalse();
    SegmentWriter closed = SegmentWriter.create(dir.resolve("d"), self());
    closed.setState(2);
    WeftSegmentSnapshot snapshot = WeftSegmentSnapshot.read(closed.path());
    assertThat(snapshot.state()).isEqualTo(WeftSegmentSnapshot.State.CLOSED);
    assertThat(snapshot.creatorAlive()).isFalse();
    closed.setState(3);
    assertThat(WeftSegmentSnapshot.read(closed.path()).state())
        .isEqualTo(WeftSegmentSnapshot.State.RECOVERED);
  }
}
