package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.internal.decode.SpanRecordBuilder;
import dev.weft.internal.segment.ProcessLiveness;
import dev.weft.testing.CrashedSegment;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.testing.OtlpReceiver;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** weft dump, stats and recover, run in-process on segments built byte for byte. */
class WeftCommandTest {
  @TempDir Path dir;
  private OtlpReceiver receiver;

  /** Output and exit code of one command line. */
  static final class Run {
    int code;
    String out;
    String err;
  }

  static Run weft(String... args) {
    CommandLine line = WeftCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(err, true));
    Run run = new Run();
    run.code = line.execute(args);
    run.out = out.toString();
    run.err = err.toString();
    return run;
  }

  @BeforeEach
  void backend() throws Exception {
    receiver = new OtlpReceiver(true).start();
    System.setProperty("otel.exporter.otlp.endpoint", receiver.endpoint());
    // the default 10 s per export is not always enough on a shared machine at load 40
    System.setProperty("otel.exporter.otlp.timeout", "60000");
    System.clearProperty("otel.traces.exporter");
  }

  @AfterEach
  void stop() {
    receiver.close();
    System.clearProperty("otel.exporter.otlp.endpoint");
    System.clearProperty("otel.exporter.otlp.timeout");
    System.clearProperty("otel.traces.exporter");
  }

  private Path crashed(String name) throws Exception {
    Path path = dir.resolve(name);
    CrashedSegment.create(path, true, 424242, 0, new byte[16]);
    return path;
  }

  /**
   * A process that starts recording after {@code weft collect} started is drained from its
   * segment's creation: the poll is an hour here, so only the directory watch can find it.
   */
  @Test
  void collectDrainsASegmentCreatedAfterItStarted() throws Exception {
    Process creator = new ProcessBuilder("sleep", "120").start();
    CommandLine line = WeftCommand.commandLine();
    CollectCommand collect = line.getSubcommands().get("collect").getCommand();
    Thread runner = new Thread(() -> line.execute("collect", "--poll", "60m", dir.toString()),
        "test-weft-collect");
    try {
      runner.start();
      Thread.sleep(500); // its first scan found nothing
      assertThat(runner.isAlive()).as("weft collect runs").isTrue();
      int pid = (int) creator.pid();
      SegmentWriter.Layout layout = new SegmentWriter.Layout();
      layout.pid = pid;
      layout.startTicks = ProcessLiveness.startTicks(pid);
      layout.bootId = ProcessLiveness.currentBootId();
      SegmentWriter writer = SegmentWriter.create(dir.resolve("weft-" + pid), layout);
      writer.registerScope("lib", "1.0");
      writer.claimSlot(0, 10, "native-0");
      for (int i = 0; i < 20; i++) {
        assertThat(writer.append(0, SpanRecordBuilder.span().spanId(100 + i).build())).isTrue();
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> receiver.spanCount() == 20);
    } finally {
      collect.stop.countDown();
      collect.wake.release();
      runner.join(60_000);
      creator.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    assertThat(runner.isAlive()).isFalse();
  }

  @Test
  void dumpShowsEverythingAndChangesNothing() throws Exception {
    Path path = crashed("weft-424242");
    byte[] before = Files.readAllBytes(path);

    Run text = weft("dump", path.toString());
    assertThat(text.code).as(text.err).isZero();
    assertThat(text.out).contains("state LIVE", "creator pid 424242 (not running)",
        "needs recovery", "service.name=crashy", "1000 finished spans undrained, 4 open",
        "OPEN     outer0", "OPEN     inner1");
    assertThat(text.out).doesNotContain("finished done-1 ");
    assertThat(weft("dump", "--spans", path.toString()).out).contains("finished done-1 ");

    Run json = weft("dump", "--json", "--spans", path.toString());
    assertThat(json.code).isZero();
    JsonNode segment = new ObjectMapper().readTree(json.out).get("segments").get(0);
    assertThat(segment.get("state").asText()).isEqualTo("LIVE");
    assertThat(segment.get("creator_alive").asBoolean()).isFalse();
    assertThat(segment.get("finished_spans").asLong()).isEqualTo(1000);
    assertThat(segment.get("open_spans").asLong()).isEqualTo(4);
    assertThat(segment.get("resource").get("service.name").asText()).isEqualTo("crashy");
    assertThat(segment.get("slots").get(0).get("finished")).hasSize(500);
    assertThat(segment.get("slots").get(1).get("open").get(1).get("name").asText())
        .isEqualTo("inner1");

    Run stats = weft("stats", dir.toString());
    assertThat(stats.code).isZero();
    assertThat(stats.out.lines().skip(1).findFirst().orElseThrow())
        .startsWith(path + "\t424242\tLIVE\tdead\tnone\t1000\t1000\t4\t");

    assertThat(Files.readAllBytes(path)).as("inspection is read-only").isEqualTo(before);

    // and what was inspected is then recovered in full
    Run recover = weft("recover", path.toString());
    assertThat(recover.code).as(recover.err).isZero();
    assertThat(receiver.spanCount()).isEqualTo(1004);
  }

  @Test
  void recoverExportsEachSpanOnceWithTheOpenOnesMarkedThenRemovesTheSegment() throws Exception {
    Path path = crashed("weft-424242");
    Run run = weft("recover", dir.toString());
    assertThat(run.code).as(run.err).isZero();
    assertThat(run.out).contains("recovered dead process pid 424242 (service.name=crashy): 1000"
        + " finished spans and 4 open", "1 segment(s) recovered, 0 left for later");
    assertThat(path).doesNotExist();
    List<OtlpReceiver.Received> spans = receiver.received();
    assertThat(spans).hasSize(1004);
    assertThat(spans.stream().map(r -> r.span.getSpanId()).distinct()).hasSize(1004);
    List<OtlpReceiver.Received> open = spans.stream()
        .filter(r -> !r.span.getName().startsWith("done-")).collect(Collectors.toList());
    assertThat(open).hasSize(4).allSatisfy(r -> {
      assertThat(r.span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
      assertThat(r.span.getStatus().getMessage())
          .isEqualTo("the process ended while the span was open");
      assertThat(r.span.getAttributesList()).anySatisfy(a -> {
        assertThat(a.getKey()).isEqualTo("weft.span.end_reason");
        assertThat(a.getValue().getStringValue()).isEqualTo("process_died");
      });
    });
    assertThat(spans).allSatisfy(r -> assertThat(r.resource.getAttributesList())
        .anySatisfy(a -> assertThat(a.getValue().getStringValue()).isEqualTo("crashy")));

    // idempotent
    Run again = weft("recover", path.toString());
    assertThat(again.code).isEqualTo(2);
    assertThat(again.err).contains("no such file");
    assertThat(receiver.spanCount()).isEqualTo(1004);
  }

  @Test
  void recoverWithTheBackendDownKeepsTheSegmentAndSaysSo() throws Exception {
    Path path = crashed("weft-424242");
    receiver.stop();
    System.setProperty("otel.exporter.otlp.timeout", "3000");
    Run run = weft("recover", "--export-timeout", "5s", path.toString());
    assertThat(run.code).isEqualTo(1);
    assertThat(run.err).contains("did not finish", "kept", "exporting otlp to " + receiver.endpoint());
    assertThat(path).exists();
  }

  @Test
  void clearErrors() throws Exception {
    Run missing = weft("dump", dir.resolve("weft-1").toString());
    assertThat(missing.code).isEqualTo(2);
    assertThat(missing.err).contains("no such file or directory");

    Run empty = weft("stats", dir.toString());
    assertThat(empty.code).isEqualTo(2);
    assertThat(empty.err).contains("no Weft segment in " + dir);

    Path foreign = dir.resolve("weft-notes");
    Files.writeString(foreign, "x".repeat(5000));
    Files.setPosixFilePermissions(foreign, PosixFilePermissions.fromString("rw-------"));
    Run notOurs = weft("dump", foreign.toString());
    assertThat(notOurs.code).isEqualTo(2);
    assertThat(notOurs.err).contains("bad magic");

    Files.setPosixFilePermissions(foreign, PosixFilePermissions.fromString("rw-r--r--"));
    Run open = weft("recover", foreign.toString());
    assertThat(open.code).isEqualTo(2);
    assertThat(open.err).contains("gives access to group or others");

    crashed("weft-424242");
    System.setProperty("otel.traces.exporter", "none");
    Run noExporter = weft("recover", dir.toString());
    assertThat(noExporter.code).isEqualTo(2);
    assertThat(noExporter.err).contains("exports no spans", "OTEL_TRACES_EXPORTER");
    assertThat(dir.resolve("weft-424242")).exists();

    Run noCommand = weft();
    assertThat(noCommand.code).isEqualTo(2);
    assertThat(noCommand.err).contains("name a command");
  }
}
