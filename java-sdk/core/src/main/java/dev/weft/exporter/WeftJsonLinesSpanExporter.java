package dev.weft.exporter;

import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.concurrent.GuardedBy;

/**
 * Appends each export batch to a file as one line of OTLP/JSON, an {@code
 * ExportTraceServiceRequest} (the OTLP file format: JSON lines, the protobuf JSON mapping with
 * hex trace and span ids), encoded by the OpenTelemetry SDK's own OTLP marshaler. The exporter
 * named {@value #NAME} ({@code OTEL_TRACES_EXPORTER=weft-jsonl}); the file is
 * {@code otel.exporter.weft.jsonl.path} / {@code OTEL_EXPORTER_WEFT_JSONL_PATH}, by default
 * {@code weft-traces-<pid>.jsonl} in {@code java.io.tmpdir}. The file is created if needed and
 * appended to, never truncated; every line is flushed when written.
 */
public final class WeftJsonLinesSpanExporter implements SpanExporter {
  private static final Logger logger = Logger.getLogger(WeftJsonLinesSpanExporter.class.getName());

  /** The exporter's name in {@code otel.traces.exporter}: {@value}. */
  public static final String NAME = "weft-jsonl";

  private final Path path;
  private final Object lock = new Object();

  @GuardedBy("lock")
  private final OutputStream out;
  @GuardedBy("lock")
  private boolean shutdown;
  @GuardedBy("lock")
  private boolean failureLogged;

  private WeftJsonLinesSpanExporter(Path path, OutputStream out) {
    this.path = path;
    this.out = out;
  }

  /**
   * Opens (creating it if needed) {@code path} for appending.
   *
   * @throws IOException if the file cannot be opened for writing; the message names it
   */
  public static WeftJsonLinesSpanExporter create(Path path) throws IOException {
    Path absolute = path.toAbsolutePath();
    try {
      return new WeftJsonLinesSpanExporter(absolute, Files.newOutputStream(absolute,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE));
    } catch (IOException e) {
      throw new IOException("cannot open " + absolute + " for the OTLP/JSON lines (" + e
          + "): set otel.exporter.weft.jsonl.path / OTEL_EXPORTER_WEFT_JSONL_PATH to a writable"
          + " file", e);
    }
  }

  /** The default file: {@code weft-traces-<pid>.jsonl} in {@code java.io.tmpdir}. */
  public static Path defaultPath() {
    return Path.of(System.getProperty("java.io.tmpdir"),
        "weft-traces-" + ProcessHandle.current().pid() + ".jsonl");
  }

  /** The file written to (absolute). */
  public Path path() {
    return path;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    if (spans.isEmpty()) {
      return CompletableResultCode.ofSuccess();
    }
    ByteArrayOutputStream line = new ByteArrayOutputStream(256 * spans.size());
    try {
      TraceRequestMarshaler.create(spans).writeJsonTo(line);
    } catch (IOException e) {
      logger.log(Level.WARNING, "could not encode spans as OTLP/JSON", e);
      return CompletableResultCode.ofFailure();
    }
    line.write('\n');
    synchronized (lock) {
      if (shutdown) {
        return CompletableResultCode.ofFailure();
      }
      try {
        line.writeTo(out);
        out.flush();
        failureLogged = false;
        return CompletableResultCode.ofSuccess();
      } catch (IOException e) {
        if (!failureLogged) {
          failureLogged = true;
          logger.log(Level.WARNING, "weft-jsonl: cannot write to " + path + " (" + e
              + "); spans are lost until it can: check the disk and the file's permissions");
        }
        return CompletableResultCode.ofFailure();
      }
    }
  }

  @Override
  public CompletableResultCode flush() {
    synchronized (lock) {
      try {
        if (!shutdown) {
          out.flush();
        }
        return CompletableResultCode.ofSuccess();
      } catch (IOException e) {
        return CompletableResultCode.ofFailure();
      }
    }
  }

  /** Closes the file; later exports fail. */
  @Override
  public CompletableResultCode shutdown() {
    synchronized (lock) {
      if (shutdown) {
        return CompletableResultCode.ofSuccess();
      }
      shutdown = true;
      try {
        out.close();
        return CompletableResultCode.ofSuccess();
      } catch (IOException e) {
        logger.log(Level.WARNING, "weft-jsonl: closing " + path + " failed", e);
        return CompletableResultCode.ofFailure();
      }
    }
  }

  @Override
  public String toString() {
    return "WeftJsonLinesSpanExporter{path=" + path + "}";
  }
}
