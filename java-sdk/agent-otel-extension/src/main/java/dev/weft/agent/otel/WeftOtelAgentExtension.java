package dev.weft.agent.otel;

import dev.weft.Weft;
import dev.weft.WeftClock;
import dev.weft.WeftCollector;
import dev.weft.WeftCollectorBuilder;
import dev.weft.internal.export.CollectorFirstSpanExporter;
import dev.weft.internal.profiling.ProcessContextPublisher;
import dev.weft.internal.profiling.ThreadContextStorage;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.context.ContextStorage;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import javax.annotation.Nullable;

/**
 * Under the OpenTelemetry Java agent (loaded in its extension class loader, where {@code
 * io.opentelemetry.*} means the agent's own API and SDK): one SDK, one Resource.
 *
 * <ul>
 *   <li>The Weft collector exports the native spans through the span exporters the agent
 *       autoconfigured, with the Resource the agent's tracer provider uses, so native and JVM
 *       spans carry the same Resource, and Weft's export calls (the agent's own exporter) are
 *       not traced.
 *   <li>The Weft agent's wrappers read the agent's current span directly ({@link
 *       AgentContextReader}), not through the context bridge of the application's API.
 *   <li>With {@code weft.threadctx.java}, the agent's context storage publishes each thread's
 *       current span to profilers ({@link #publishThreadContext()}).
 * </ul>
 *
 * It runs last ({@link #order()}), so that the Resource it sees is the final one. The collector
 * is closed (drained into the exporter) before the agent shuts its exporter down.
 */
public final class WeftOtelAgentExtension implements AutoConfigurationCustomizerProvider {
  private final List<SpanExporter> exporters = new ArrayList<>();
  @Nullable private Resource resource;
  @Nullable private volatile WeftCollector collector;

  @Override
  public void customize(AutoConfigurationCustomizer customizer) {
    AgentContextReader.install();
    customizer.addPropertiesCustomizer(config -> {
      // as early as the agent's autoconfiguration gets: before its context storage is first used
      if (config.getBoolean(Weft.THREAD_CONTEXT_PROPERTY, Weft.DEFAULT_THREAD_CONTEXT)) {
        publishThreadContext();
      }
      return Collections.emptyMap();
    });
    customizer.addResourceCustomizer((r, config) -> {
      resource = r;
      return r;
    });
    customizer.addSpanExporterCustomizer((exporter, config) -> {
      synchronized (exporters) {
        exporters.add(exporter);
      }
      return new CollectorFirstSpanExporter(exporter, this::closeCollector);
    });
    customizer.addTracerProviderCustomizer((builder, config) -> {
      start(config.getDuration(WeftCollectorBuilder.CLOSE_TIMEOUT_PROPERTY,
          Duration.ofMillis(WeftCollectorBuilder.DEFAULT_CLOSE_TIMEOUT_MILLIS)));
      // The agent's JVM spans on libweft's clock, when this loader can reach libweft (WeftClock
      // keeps the SDK's default clock, and says so once, if libweft is bound to another loader).
      return builder.setClock(WeftClock.getInstance());
    });
  }

  @Override
  public int order() {
    return Integer.MAX_VALUE;
  }

  /**
   * JVM spans to profilers (OTEP 4947) under the agent: every context change, the application's
   * (bridged to the agent's context) and the agent's own instrumentation's, goes through the
   * agent's context storage, which {@link ThreadContextStorage} wraps here; the records come
   * from the application's side through the Weft agent's hook, as soon as it loads libweft.
   */
  private static void publishThreadContext() {
    if (!ThreadContextStorage.useAgentHook()) {
      return;
    }
    ContextStorage.addWrapper(ThreadContextStorage.wrapper());
    ContextStorage.get();
    if (ThreadContextStorage.isWrapped()) {
      ThreadContextStorage.tellAgentHook();
      Log.debug("JVM spans are published to profilers (OTEP 4947) from the OpenTelemetry agent's"
          + " context storage");
    } else {
      Log.warn("JVM spans are not published to profilers (" + Weft.THREAD_CONTEXT_PROPERTY
          + "): the OpenTelemetry agent's context storage was in use before the Weft extension"
          + " could wrap it (another extension or agent used it first)");
    }
  }

  private void start(Duration closeTimeout) {
    List<SpanExporter> targets;
    synchronized (exporters) {
      targets = List.copyOf(exporters);
    }
    if (targets.isEmpty()) {
      Log.warn("the OpenTelemetry agent has no span exporter (otel.traces.exporter=none?):"
          + " native spans are not exported");
      return;
    }
    Resource r = resource != null ? resource : Resource.getDefault();
    // no JNI in this loader: the application's side publishes the process context (OTEP 4719)
    ProcessContextPublisher.useAgentHook();
    try {
      collector = WeftCollector.builder()
          .setSpanExporter(SpanExporter.composite(targets))
          .setResource(r)
          .setMeterProvider(MeterProvider.noop())
          .setRegisterShutdownHook(false)
          .setCloseTimeout(closeTimeout)
          .build();
      Log.debug("native spans export through the OpenTelemetry agent's exporter ("
          + targets + ") with its Resource");
    } catch (RuntimeException e) {
      Log.error("the Weft collector did not start, native spans are not exported: " + e);
    }
  }

  /** Closes the collector (which drains into the real exporter) before the exporter shuts down. */
  private void closeCollector() {
    WeftCollector c = collector;
    if (c != null) {
      collector = null;
      try {
        c.close();
      } catch (RuntimeException e) {
        Log.error("closing the Weft collector failed: " + e);
      }
    }
  }
}
