package dev.weft;

import dev.weft.internal.segment.PostMortem;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import javax.annotation.concurrent.Immutable;

/**
 * The post-mortem view of a segment: whether its creator still runs and which spans were open in
 * each slot's frames. After a crash these are the spans that were open at the moment of death,
 * outermost first ({@link SpanData#hasEnded()} is false, end time 0). The records still in the
 * rings are read by a {@link WeftCollector} pointed at the same path.
 */
@Immutable
public final class WeftSegmentSnapshot {
  /** The segment's {@code state} word. */
  public enum State {
    INITIALIZING,
    LIVE,
    CLOSED,
    /** ABI 1.1: a dead creator's data was exported by a recoverer; the file is about to go. */
    RECOVERED,
    /** A value this reader does not know. */
    UNKNOWN
  }

  /** A span open in frame {@code depthIndex} of slot {@code slot}. */
  @Immutable
  public static final class OpenSpan {
    private final int slot;
    private final int depthIndex;
    private final SpanData span;

    OpenSpan(int slot, int depthIndex, SpanData span) {
      this.slot = slot;
      this.depthIndex = depthIndex;
      this.span = span;
    }

    public int slot() {
      return slot;
    }

    public int depthIndex() {
      return depthIndex;
    }

    public SpanData span() {
      return span;
    }

    @Override
    public String toString() {
      return "OpenSpan{slot=" + slot + ", depthIndex=" + depthIndex + ", span=" + span + "}";
    }
  }

  private final Path path;
  private final State state;
  private final int creatorPid;
  private final boolean creatorAlive;
  private final List<OpenSpan> openSpans;
  private final long corruptFrames;

  private WeftSegmentSnapshot(Path path, State state, int creatorPid, boolean creatorAlive,
      List<OpenSpan> openSpans, long corruptFrames) {
    this.path = path;
    this.state = state;
    this.creatorPid = creatorPid;
    this.creatorAlive = creatorAlive;
    this.openSpans = openSpans;
    this.corruptFrames = corruptFrames;
  }

  /** Reads the segment at {@code path} with the default resource. */
  public static WeftSegmentSnapshot read(Path path) throws IOException {
    return read(path, Resource.getDefault());
  }

  /**
   * Reads the segment at {@code path}; the spans carry {@code resource}.
   *
   * @throws IOException if the file is missing or refused (the message says why)
   */
  public static WeftSegmentSnapshot read(Path path, Resource resource) throws IOException {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(resource, "resource");
    PostMortem postMortem = PostMortem.read(path, resource);
    State state;
    switch (postMortem.state) {
      case 0:
        state = State.INITIALIZING;
        break;
      case 1:
        state = State.LIVE;
        break;
      case 2:
        state = State.CLOSED;
        break;
      case 3:
        state = State.RECOVERED;
        break;
      default:
        state = State.UNKNOWN;
    }
    List<OpenSpan> spans = postMortem.openSpans.stream()
        .map(f -> new OpenSpan(f.slot, f.depthIndex, f.span))
        .collect(java.util.stream.Collectors.toUnmodifiableList());
    return new WeftSegmentSnapshot(path, state, postMortem.creatorPid, postMortem.creatorAlive,
        spans, postMortem.corruptFrames);
  }

  public Path path() {
    return path;
  }

  public State state() {
    return state;
  }

  public int creatorPid() {
    return creatorPid;
  }

  /**
   * True if the segment is live and its creator runs: same pid, same start time
   * ({@code /proc/<pid>/stat} field 22) and same boot id. If false, the open spans are final.
   */
  public boolean creatorAlive() {
    return creatorAlive;
  }

  /** The open spans of every slot, slot by slot, outermost first. */
  public List<OpenSpan> openSpans() {
    return openSpans;
  }

  /** Frames that did not validate (torn while the writer was alive, or corrupt). */
  public long corruptFrames() {
    return corruptFrames;
  }
}
