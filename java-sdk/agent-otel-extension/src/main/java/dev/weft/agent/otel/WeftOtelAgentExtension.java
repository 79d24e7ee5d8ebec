package dev.weft.agent.otel;

import dev.weft.WeftClock;
import dev.weft.WeftCollector;
import dev.weft.WeftCollectorBuilder;
import dev.weft.internal.export.CollectorFirstSpanExporter;
import dev.weft.internal.profiling.ProcessContextPublisher;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.time.Duration;
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
