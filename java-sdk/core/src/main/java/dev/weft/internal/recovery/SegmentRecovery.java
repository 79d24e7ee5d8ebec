package dev.weft.internal.recovery;

import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.HeaderWords;
import dev.weft.internal.segment.InvalidSegmentException;
import dev.weft.internal.segment.Lease;
import dev.weft.internal.segment.ProcessLiveness;
import dev.weft.internal.segment.Segment;
import dev.weft.internal.segment.SlotContents;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import javax.annotation.concurrent.Immutable;

/**
 * Recovers one dead process's segment (docs/architecture.md "Crash recovery"):
 *
 * <ol>
 *   <li>only a segment whose state is LIVE and whose creator does not run (same pid, start time
 *       and boot), or one already RECOVERED (then it is only removed);
 *   <li>takes the lease (a live collector holding it makes recovery refuse);
 *   <li>exports, slot by slot, every finished span still in the ring ({@code [head, tail)}) and
 *       every span open in the frames, ended at the slot's last activity, status ERROR and
 *       {@code weft.span.end_reason=process_died}, under the Resource of the segment's RESOURCE
 *       record (fallback: {@code service.name=unknown_service}, the header's pid, logged);
 *   <li>only when every export was acknowledged: state RECOVERED (CAS from LIVE), then the file
 *       is removed if the path still names it.
 * </ol>
 *
 * <p>An export that fails leaves the segment as it was (LIVE, lease released): nothing is deleted
 * that has not been recovered, and the next run exports it again. Spans of a run that failed
 * half-way are exported again by the next (at least once). The segment is read with positional
 * reads, never mapped (only the header page is, for the lease and state words), and never
 * written but for the lease and state words.
 */
public final class SegmentRecovery {
  private static final Logger logger = Logger.getLogger(SegmentRecovery.class.getName());

  /** What happened to one segment. */
  public enum Outcome {
    /** Exported (finished and open spans) and removed. */
    RECOVERED,
    /** It was RECOVERED already (a recoverer died before removing it): removed, nothing exported. */
    ALREADY_RECOVERED,
    /** Its creator runs: a collector's job, not recovery's. */
    CREATOR_ALIVE,
    /** Closed by its creator: nothing to recover. */
    CLOSED,
    /** A live collector holds its lease. */
    LEASED,
    /** An export failed or timed out: the segment is kept for the next run. */
    EXPORT_FAILED,
    /** Not a Weft segment, or one this reader refuses; the message says why. */
    REFUSED,
    /** Not ready yet, or gone. */
    NOT_THERE,
    /** Stopped before it finished (the collector is closing); the segment is kept. */
    STOPPED
  }

  /** The result for one segment. */
  @Immutable
  public static final class Result {
    public final Path path;
    public final Outcome outcome;
    public final int creatorPid;
    /** Finished spans exported. */
    public final long finishedSpans;
    /** Open spans exported as interrupted. */
    public final long openSpans;
    /** Records that did not validate (ring records, frames, the RESOURCE record). */
    public final long corrupt;
    /**
     * Of {@link #finishedSpans}, those a dead collector had read and not had acknowledged: they
     * may have reached the backend before, so they may arrive twice (counted, as the drain's
     * {@code redelivered}).
     */
    public final long redelivered;
    public final String message;

    /** {@code counts}: finished, open, corrupt, redelivered. */
    Result(Path path, Outcome outcome, int creatorPid, long[] counts, String message) {
      this.path = path;
      this.outcome = outcome;
      this.creatorPid = creatorPid;
      this.finishedSpans = counts[0];
      this.openSpans = counts[1];
      this.corrupt = counts[2];
      this.redelivered = counts[3];
      this.message = message;
    }

    @Override
    public String toString() {
      return message;
    }
  }

  private final SpanExporter exporter;
  private final int batchSize;
  private final long exportTimeoutNanos;
  private final BooleanSupplier stop;

  /**
   * @param stop checked between export batches: true abandons the segment (kept for later)
   */
  public SegmentRecovery(SpanExporter exporter, int batchSize, long exportTimeoutNanos,
      BooleanSupplier stop) {
    this.exporter = Objects.requireNonNull(exporter, "exporter");
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be positive");
    }
    this.batchSize = batchSize;
    this.exportTimeoutNanos = exportTimeoutNanos;
    this.stop = stop;
  }

  /** Recovers the segment at {@code path}, if its creator is dead. */
  public Result recover(Path path) {
    return recover(path, null);
  }

  /**
   * As {@link #recover(Path)}, with a lease the caller already holds on this file (the standalone
   * collector, which drained it while its creator lived); the caller keeps it.
   */
  public Result recover(Path path, @Nullable Lease held) {
    Segment segment;
    try {
      segment = Segment.openUnmapped(path);
    } catch (NoSuchFileException e) {
      return result(path, Outcome.NOT_THERE, 0, path + ": no such file");
    } catch (InvalidSegmentException e) {
      return result(path, e.isNotReadyYet() ? Outcome.NOT_THERE : Outcome.REFUSED, 0,
          e.getMessage());
    } catch (IOException e) {
      return result(path, Outcome.REFUSED, 0, path + ": cannot be read: " + e);
    }
    try (segment) {
      return recover(segment, held);
    } catch (IOException e) {
      return result(path, Outcome.REFUSED, segment.creatorPid(),
          path + ": became unreadable during recovery (" + e.getMessage() + "); kept");
    } catch (InternalError e) {
      // the header page's mapping faulted: the file was truncated under it
      return result(path, Outcome.REFUSED, segment.creatorPid(),
          path + ": truncated during recovery; kept");
    }
  }

  private Result recover(Segment segment, @Nullable Lease held) throws IOException {
    Path path = segment.path();
    int pid = segment.creatorPid();
    int state = segment.state();
    if (state == Abi.SEGMENT_RECOVERED) {
      return removeRecovered(segment);
    }
    if (state == Abi.SEGMENT_CLOSED) {
      return result(path, Outcome.CLOSED, pid, path + ": closed by pid " + pid
          + "; nothing to recover");
    }
    if (state != Abi.SEGMENT_LIVE) {
      return result(path, Outcome.NOT_THERE, pid, path + ": state " + state
          + " (not live yet); not recovered");
    }
    if (ProcessLiveness.isAlive(pid, segment.creatorStartTicks(), segment.bootId())) {
      return result(path, Outcome.CREATOR_ALIVE, pid, path + ": its creator pid " + pid
          + " runs; a collector drains it (weft collect), recovery does not");
    }
    Lease lease = held != null ? held : Lease.mapHeader(segment, Lease.DEFAULT_TIMEOUT_NANOS);
    HeaderWords words = lease.words();
    try {
      if (held == null) {
        Lease.Refusal refused = lease.tryAcquire(System.nanoTime());
        if (refused != null) {
          return result(path, Outcome.LEASED, pid, refused.message + "; not recovered");
        }
      }
      int now = words.stateAcquire();
      if (now == Abi.SEGMENT_RECOVERED) {
        return removeRecovered(segment);
      }
      if (now != Abi.SEGMENT_LIVE) {
        return result(path, Outcome.CLOSED, pid, path + ": state changed to " + now
            + "; not recovered");
      }
      SegmentResource resource = SegmentResource.read(segment);
      if (resource.note != null) {
        logger.info("weft recovery: " + resource.note);
      }
      long[] counts = new long[4]; // finished, open, corrupt, redelivered
      counts[2] = resource.corruptRecords;
      String[] failure = new String[1];
      SlotContents.forEachSlot(segment, resource.resource, slot -> {
        if (failure[0] != null) {
          return;
        }
        failure[0] = exportSlot(slot, lease, counts);
      });
      if (failure[0] != null) {
        Outcome outcome = failure[0].startsWith("stopped") ? Outcome.STOPPED
            : failure[0].startsWith("lease") ? Outcome.LEASED : Outcome.EXPORT_FAILED;
        return new Result(path, outcome, pid, counts, path
            + ": recovery of pid " + pid + " did not finish (" + failure[0] + "); the segment is"
            + " kept and the next run exports it again");
      }
      if (!words.markRecovered(Abi.SEGMENT_LIVE)) {
        return new Result(path, Outcome.CLOSED, pid, counts, path
            + ": its state changed during recovery; kept");
      }
      boolean removed = unlinkIfSame(segment);
      String service = String.valueOf(resource.resource.getAttribute(SegmentResource.SERVICE_NAME));
      return new Result(path, Outcome.RECOVERED, pid, counts,
          String.format("%s: recovered dead process pid %d (service.name=%s): %d finished"
              + " spans and %d open at its death exported%s%s%s", path, pid, service, counts[0],
              counts[1], counts[3] > 0 ? " (" + counts[3] + " of the finished ones had been"
                  + " read by a collector that died before they were acknowledged: they may"
                  + " arrive twice)" : "",
              counts[2] > 0 ? ", " + counts[2] + " corrupt records skipped" : "",
              removed ? "; removed" : "; the path now names another file, left alone"));
    } finally {
      if (held == null) {
        lease.release();
      }
    }
  }

  /** Exports one slot's spans; returns null when acknowledged, else why not. */
  @Nullable
  private String exportSlot(SlotContents slot, Lease lease, long[] counts) {
    counts[2] += slot.corruptRecords + slot.corruptFrames;
    List<SpanData> spans = new ArrayList<>(slot.finished.size() + slot.open.size());
    spans.addAll(slot.finished);
    long open = 0;
    if (!slot.open.isEmpty()) {
      // A span whose record reached the ring just before the death may still be in its frame.
      Set<String> ended = new HashSet<>();
      for (SpanData span : slot.finished) {
        ended.add(span.getSpanContext().getSpanId());
      }
      long end = slot.lastActivityUnixNanos();
      for (SpanData span : slot.open) {
        if (!ended.contains(span.getSpanContext().getSpanId())) {
          spans.add(new InterruptedSpan(span, end));
          open++;
        }
      }
    }
    for (int from = 0; from < spans.size(); from += batchSize) {
      if (stop.getAsBoolean()) {
        return "stopped: the collector is closing";
      }
      if (!lease.check(System.nanoTime())) {
        return "lease taken over by pid " + Lease.pidOf(lease.words().leaseOwnerAcquire());
      }
      List<SpanData> batch = spans.subList(from, Math.min(spans.size(), from + batchSize));
      CompletableResultCode code = exporter.export(new ArrayList<>(batch));
      code.join(exportTimeoutNanos, TimeUnit.NANOSECONDS);
      if (!code.isDone()) {
        return "an export did not answer within "
            + TimeUnit.NANOSECONDS.toMillis(exportTimeoutNanos) + " ms";
      }
      if (!code.isSuccess()) {
        Throwable why = code.getFailureThrowable();
        return "an export failed" + (why != null ? ": " + why : "")
            + " (is the backend that OTEL_EXPORTER_OTLP_ENDPOINT names up?)";
      }
    }
    counts[0] += spans.size() - open;
    counts[1] += open;
    counts[3] += slot.finishedAlreadyRead;
    return null;
  }

  private static Result removeRecovered(Segment segment) {
    boolean removed = unlinkIfSame(segment);
    return result(segment.path(), Outcome.ALREADY_RECOVERED, segment.creatorPid(),
        segment.path() + ": recovered already" + (removed ? "; removed" : "") + ", nothing"
            + " exported");
  }

  /** Removes the file if the path still names the segment that was recovered. */
  private static boolean unlinkIfSame(Segment segment) {
    try {
      var attributes = Files.readAttributes(segment.path(), "unix:ino,dev",
          LinkOption.NOFOLLOW_LINKS);
      if (!segment.fileKey().equals(attributes.get("ino") + ":" + attributes.get("dev"))) {
        return false;
      }
      Files.delete(segment.path());
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Result result(Path path, Outcome outcome, int pid, String message) {
    return new Result(path, outcome, pid, new long[4], message);
  }
}
