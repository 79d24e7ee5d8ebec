package dev.weft.cli;

import dev.weft.internal.export.AutoConfiguredExport;
import dev.weft.internal.recovery.SegmentRecovery;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weft recover}: exports the segments of dead processes, then removes them. */
@Command(name = "recover", mixinStandardHelpOptions = true,
    description = {"Exports what dead processes left in their segments (the finished spans never"
        + " drained, and the spans open at the death, ended at the slot's last activity with"
        + " status ERROR and weft.span.end_reason=process_died), each under its process's own"
        + " Resource, through the standard OTEL_* configuration; then marks each segment"
        + " RECOVERED and removes it.",
        "A segment whose export fails is kept, whole, for the next run; one whose creator runs"
            + " is left to its collector. Running it twice exports nothing the second time."})
final class RecoverCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "0..*", paramLabel = "SEGMENT|DIR",
      description = "segment files, or directories of them (default: $WEFT_SHM_DIR, else /dev/shm)")
  List<Path> targets;

  @Option(names = "--export-timeout", defaultValue = "30s", converter = DurationConverter.class,
      description = "how long one export request may take (default ${DEFAULT-VALUE})")
  Duration exportTimeout;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    List<Path> paths = StatsCommand.expand(targets);
    AutoConfiguredExport export = Exporters.create();
    int problems = 0;
    int refusedNamed = 0;
    try {
      SegmentRecovery recovery = new SegmentRecovery(export.exporter(), 512,
          exportTimeout.toNanos(), () -> false);
      int recovered = 0;
      for (Path path : paths) {
        SegmentRecovery.Result result = recovery.recover(path);
        switch (result.outcome) {
          case RECOVERED:
          case ALREADY_RECOVERED:
            recovered++;
            out.println(result.message);
            break;
          case REFUSED:
            boolean named = targets != null && targets.contains(path)
                && !Files.isDirectory(path);
            if (named) {
              refusedNamed++;
              spec.commandLine().getErr().println("weft: " + result.message);
            } else {
              out.println("skipped " + result.message);
            }
            break;
          case EXPORT_FAILED:
          case STOPPED:
          case LEASED:
            problems++;
            spec.commandLine().getErr().println("weft: " + result.message
                + (result.outcome == SegmentRecovery.Outcome.EXPORT_FAILED
                    ? " (exporting " + Exporters.describe() + ")" : ""));
            break;
          default:
            out.println("skipped " + result.message);
        }
      }
      out.printf("%d segment(s) recovered, %d left for later%n", recovered, problems);
    } finally {
      export.shutdown().join(5, TimeUnit.SECONDS);
    }
    out.flush();
    return refusedNamed > 0 ? 2 : problems > 0 ? 1 : 0;
  }
}
