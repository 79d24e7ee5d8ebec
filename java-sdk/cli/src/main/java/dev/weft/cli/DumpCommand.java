package dev.weft.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.weft.internal.segment.SlotContents;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weft dump}: everything a segment holds, read-only. */
@Command(name = "dump", mixinStandardHelpOptions = true,
    description = {"Shows what segments hold: header, Resource, lease, every slot's counters, the"
        + " finished spans still in the rings and the spans open in the frames.",
        "Read-only: nothing is mapped or written, so a dump before a recovery or a collector"
            + " changes nothing they find."})
final class DumpCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "0..*", paramLabel = "SEGMENT|DIR",
      description = "segment files, or directories of them (default: $WEFT_SHM_DIR, else /dev/shm)")
  List<Path> targets;

  @Option(names = "--json", description = "one JSON document: {\"segments\": [...]}")
  boolean json;

  @Option(names = "--spans", description = "list every finished span (default: counts only;"
      + " open spans are always listed)")
  boolean spans;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    List<Path> paths = StatsCommand.expand(targets);
    int failures = 0;
    if (json) {
      JsonGenerator g = new JsonFactory().createGenerator(out).useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeArrayFieldStart("segments");
      for (Path path : paths) {
        try {
          writeJson(g, SegmentReport.read(path), spans);
        } catch (IOException e) {
          failures++;
          g.writeStartObject();
          g.writeStringField("path", path.toString());
          g.writeStringField("error", e.getMessage());
          g.writeEndObject();
        }
      }
      g.writeEndArray();
      g.writeEndObject();
      g.flush();
      out.println();
    } else {
      for (Path path : paths) {
        try {
          writeText(out, SegmentReport.read(path), spans);
        } catch (IOException e) {
          failures++;
          spec.commandLine().getErr().println("weft: " + e.getMessage());
        }
      }
    }
    out.flush();
    return StatsCommand.exitCode(paths, failures, targets);
  }

  static void writeText(PrintWriter out, SegmentReport r, boolean listSpans) {
    out.printf("%s: Weft segment ABI 1.%d, state %s, creator pid %d (%s), created %s%n", r.path,
        r.versionMinor, r.stateName(), r.creatorPid, r.creatorAlive ? "running" : "not running",
        Instant.ofEpochSecond(0, r.createdUnixNanos));
    if (!r.verdict().isEmpty()) {
      out.printf("  %s%n", r.verdict());
    }
    out.printf("  resource: %s%s%n", format(r.resource.resource.getAttributes()),
        r.resource.fromRecord ? "" : " (fallback: no valid RESOURCE record)");
    out.printf("  lease: %s; fence: %s; dropped (no free slot): %d%n",
        r.leaseOwner == 0 ? "none" : "pid " + (int) r.leaseOwner
            + (r.leaseHolderRuns() ? " (running)" : " (not running)"),
        r.fence == 0 ? "open" : "closed", r.droppedNoSlot);
    out.printf("  %d slots, ring %d bytes each, stack depth %d; %d finished spans undrained,"
        + " %d open%n", r.slotCount, r.ringCapacity, r.stackDepth, r.finishedSpans(),
        r.openSpans());
    for (SlotContents s : r.slots) {
      out.printf("  slot %d %s tid %d \"%s\": head %d tail %d (%d bytes undrained), committed %d,"
          + " dropped ring-full %d reentrant %d too-deep %d shutdown %d, last end %s%s%n",
          s.slot, SegmentReport.slotStateName(s.state), s.tid, s.threadName, s.head, s.tail,
          s.tail - s.head, s.spansCommitted, s.droppedRingFull, s.droppedReentrant,
          s.droppedTooDeep, s.droppedShutdown,
          s.lastEndUnixNanos == 0 ? "-" : Instant.ofEpochSecond(0, s.lastEndUnixNanos),
          s.corruptRecords + s.corruptFrames + s.unknownRecords == 0 ? ""
              : String.format(", corrupt %d, corrupt frames %d, unknown %d", s.corruptRecords,
                  s.corruptFrames, s.unknownRecords));
      if (listSpans) {
        for (SpanData span : s.finished) {
          out.printf("    finished %s%n", line(span));
        }
      }
      for (SpanData span : s.open) {
        out.printf("    OPEN     %s%n", line(span));
      }
    }
  }

  private static String line(SpanData span) {
    return String.format("%s trace %s span %s parent %s start %s%s %s %s", span.getName(),
        span.getSpanContext().getTraceId(), span.getSpanContext().getSpanId(),
        span.getParentSpanContext().isValid() ? span.getParentSpanContext().getSpanId() : "-",
        Instant.ofEpochSecond(0, span.getStartEpochNanos()),
        span.hasEnded() ? " took " + (span.getEndEpochNanos() - span.getStartEpochNanos()) + " ns"
            : "", span.getStatus().getStatusCode(), format(span.getAttributes()));
  }

  private static String format(Attributes attributes) {
    StringBuilder b = new StringBuilder("{");
    attributes.forEach((key, value) -> {
      if (b.length() > 1) {
        b.append(", ");
      }
      b.append(key.getKey()).append('=').append(value);
    });
    return b.append('}').toString();
  }

  static void writeJson(JsonGenerator g, SegmentReport r, boolean listSpans) throws IOException {
    g.writeStartObject();
    g.writeStringField("path", r.path.toString());
    g.writeStringField("abi", "1." + r.versionMinor);
    g.writeStringField("state", r.stateName());
    g.writeNumberField("creator_pid", r.creatorPid);
    g.writeBooleanField("creator_alive", r.creatorAlive);
    g.writeNumberField("created_unix_nanos", r.createdUnixNanos);
    g.writeObjectFieldStart("resource");
    writeAttributes(g, r.resource.resource.getAttributes());
    g.writeEndObject();
    g.writeBooleanField("resource_from_record", r.resource.fromRecord);
    g.writeNumberField("lease_owner_pid", (int) r.leaseOwner);
    g.writeBooleanField("lease_holder_alive", r.leaseHolderRuns());
    g.writeNumberField("lease_heartbeat_unix_nanos", r.leaseHeartbeatUnixNanos);
    g.writeBooleanField("fenced", r.fence != 0);
    g.writeNumberField("dropped_no_slot", r.droppedNoSlot);
    g.writeNumberField("slot_count", r.slotCount);
    g.writeNumberField("ring_capacity", r.ringCapacity);
    g.writeNumberField("stack_depth", r.stackDepth);
    g.writeNumberField("finished_spans", r.finishedSpans());
    g.writeNumberField("open_spans", r.openSpans());
    g.writeArrayFieldStart("slots");
    for (SlotContents s : r.slots) {
      g.writeStartObject();
      g.writeNumberField("slot", s.slot);
      g.writeStringField("state", SegmentReport.slotStateName(s.state));
      g.writeNumberField("tid", s.tid);
      g.writeStringField("thread_name", s.threadName);
      g.writeNumberField("head", s.head);
      g.writeNumberField("tail", s.tail);
      g.writeNumberField("read_position", s.readPosition);
      g.writeNumberField("spans_committed", s.spansCommitted);
      g.writeNumberField("dropped_ring_full", s.droppedRingFull);
      g.writeNumberField("dropped_reentrant", s.droppedReentrant);
      g.writeNumberField("dropped_too_deep", s.droppedTooDeep);
      g.writeNumberField("dropped_shutdown", s.droppedShutdown);
      g.writeNumberField("last_end_unix_nanos", s.lastEndUnixNanos);
      g.writeNumberField("corrupt_records", s.corruptRecords);
      g.writeNumberField("corrupt_frames", s.corruptFrames);
      g.writeNumberField("unknown_records", s.unknownRecords);
      g.writeNumberField("finished_spans", s.finished.size());
      if (listSpans) {
        g.writeArrayFieldStart("finished");
        for (SpanData span : s.finished) {
          writeSpan(g, span);
        }
        g.writeEndArray();
      }
      g.writeArrayFieldStart("open");
      for (SpanData span : s.open) {
        writeSpan(g, span);
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void writeSpan(JsonGenerator g, SpanData span) throws IOException {
    g.writeStartObject();
    g.writeStringField("name", span.getName());
    g.writeStringField("trace_id", span.getSpanContext().getTraceId());
    g.writeStringField("span_id", span.getSpanContext().getSpanId());
    g.writeStringField("parent_span_id", span.getParentSpanContext().isValid()
        ? span.getParentSpanContext().getSpanId() : "");
    g.writeStringField("kind", span.getKind().name());
    g.writeStringField("scope", span.getInstrumentationScopeInfo().getName());
    g.writeNumberField("start_unix_nanos", span.getStartEpochNanos());
    g.writeNumberField("end_unix_nanos", span.hasEnded() ? span.getEndEpochNanos() : 0);
    g.writeStringField("status", span.getStatus().getStatusCode().name());
    g.writeStringField("status_message", span.getStatus().getDescription());
    g.writeObjectFieldStart("attributes");
    writeAttributes(g, span.getAttributes());
    g.writeEndObject();
    g.writeArrayFieldStart("events");
    for (EventData event : span.getEvents()) {
      g.writeStartObject();
      g.writeStringField("name", event.getName());
      g.writeNumberField("time_unix_nanos", event.getEpochNanos());
      g.writeObjectFieldStart("attributes");
      writeAttributes(g, event.getAttributes());
      g.writeEndObject();
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void writeAttributes(JsonGenerator g, Attributes attributes) throws IOException {
    for (Map.Entry<AttributeKey<?>, Object> e : attributes.asMap().entrySet()) {
      Object value = e.getValue();
      String key = e.getKey().getKey();
      if (value instanceof Long) {
        g.writeNumberField(key, (Long) value);
      } else if (value instanceof Double) {
        g.writeNumberField(key, (Double) value);
      } else if (value instanceof Boolean) {
        g.writeBooleanField(key, (Boolean) value);
      } else {
        g.writeStringField(key, String.valueOf(value));
      }
    }
  }
}
