package dev.weft.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.annotation.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weft stats}: one line of counters per segment, read-only. */
@Command(name = "stats", mixinStandardHelpOptions = true,
    description = "One line per segment: state, creator, lease, spans committed, undrained and"
        + " open, and every drop counter. Read-only.")
final class StatsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "0..*", paramLabel = "SEGMENT|DIR",
      description = "segment files, or directories of them (default: $WEFT_SHM_DIR, else /dev/shm)")
  List<Path> targets;

  @Option(names = "--json", description = "a JSON array, one object per segment")
  boolean json;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    List<Path> paths = expand(targets);
    int failures = 0;
    JsonGenerator g = null;
    if (json) {
      g = new JsonFactory().createGenerator(out);
      g.writeStartArray();
    } else {
      out.println("segment\tpid\tstate\tcreator\tlease\tcommitted\tundrained\topen\tring_full"
          + "\treentrant\ttoo_deep\tno_slot\tshutdown\tcorrupt");
    }
    for (Path path : paths) {
      SegmentReport r;
      try {
        r = SegmentReport.read(path);
      } catch (IOException e) {
        failures++;
        spec.commandLine().getErr().println("weft: " + e.getMessage());
        continue;
      }
      long committed = r.sum(s -> s.spansCommitted);
      long ringFull = r.sum(s -> s.droppedRingFull);
      long reentrant = r.sum(s -> s.droppedReentrant);
      long tooDeep = r.sum(s -> s.droppedTooDeep);
      long shutdown = r.sum(s -> s.droppedShutdown);
      long corrupt = r.sum(s -> s.corruptRecords + s.corruptFrames) + r.resource.corruptRecords;
      String lease = r.leaseOwner == 0 ? "none" : Integer.toString((int) r.leaseOwner);
      if (g != null) {
        g.writeStartObject();
        g.writeStringField("path", path.toString());
        g.writeNumberField("creator_pid", r.creatorPid);
        g.writeStringField("state", r.stateName());
        g.writeBooleanField("creator_alive", r.creatorAlive);
        g.writeNumberField("lease_owner_pid", (int) r.leaseOwner);
        g.writeNumberField("spans_committed", committed);
        g.writeNumberField("finished_spans_undrained", r.finishedSpans());
        g.writeNumberField("open_spans", r.openSpans());
        g.writeNumberField("dropped_ring_full", ringFull);
        g.writeNumberField("dropped_reentrant", reentrant);
        g.writeNumberField("dropped_too_deep", tooDeep);
        g.writeNumberField("dropped_no_slot", r.droppedNoSlot);
        g.writeNumberField("dropped_shutdown", shutdown);
        g.writeNumberField("corrupt", corrupt);
        g.writeEndObject();
      } else {
        out.printf("%s\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d%n", path,
            r.creatorPid, r.stateName(), r.creatorAlive ? "running" : "dead", lease, committed,
            r.finishedSpans(), r.openSpans(), ringFull, reentrant, tooDeep, r.droppedNoSlot,
            shutdown, corrupt);
      }
    }
    if (g != null) {
      g.writeEndArray();
      g.flush();
      out.println();
    }
    out.flush();
    return exitCode(paths, failures, targets);
  }

  /** The segments the arguments name (default: the shm directory's). */
  static List<Path> expand(@Nullable List<Path> targets) throws IOException {
    List<Path> roots = targets == null || targets.isEmpty()
        ? List.of(WeftCommand.defaultDirectory()) : targets;
    List<Path> paths = new ArrayList<>();
    for (Path root : roots) {
      paths.addAll(WeftCommand.segments(root));
    }
    return paths;
  }

  /**
   * 0 if every segment was read; 2 if a file named on the command line was refused (not a
   * segment, not ours); 1 if only files found in a directory were.
   */
  static int exitCode(List<Path> paths, int failures, @Nullable List<Path> targets) {
    if (failures == 0) {
      return 0;
    }
    boolean namedFile = targets != null && targets.stream()
        .anyMatch(t -> !java.nio.file.Files.isDirectory(t));
    return namedFile ? 2 : 1;
  }
}
