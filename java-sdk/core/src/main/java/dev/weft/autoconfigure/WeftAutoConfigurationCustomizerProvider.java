package dev.weft.autoconfigure;

import dev.weft.Weft;
import dev.weft.WeftCollector;
import dev.weft.WeftClock;
import dev.weft.WeftCollectorBuilder;
import dev.weft.internal.export.CollectorFirstSpanExporter;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import javax.annotation.concurrent.GuardedBy;

/**
 * Starts a {@link WeftCollector} inside every OpenTelemetry SDK built by autoconfiguration
 * ({@code AutoConfiguredOpenTelemetrySdk.initialize()} or its builder): the native spans go
 * through <b>that SDK's own span exporters</b> (every one {@code otel.traces.exporter} names)
 * with <b>that SDK's final Resource</b>, so they are one process with the JVM's spans in any
 * backend. No Weft code is needed: having weft-java-sdk on the class path is enough.
 *
 * <p>Lifecycle: the collector starts when the SDK's tracer provider is configured and closes
 * when the SDK shuts its exporters down (each exporter is wrapped so that its {@code shutdown()}
 * first closes the collector, which exports what is left, within the collector's close timeout).
 * The collector also has its own JVM shutdown hook, for an application that never shuts its SDK
 * down.
 *
 * <p>The tracer provider also gets {@link WeftClock}, so that JVM spans and native spans share
 * one clock anchor.
 *
 * <p>Configuration, read through the SDK's configuration (system property or environment
 * variable):
 *
 * <ul>
 *   <li>{@value #ENABLED_PROPERTY} / {@code WEFT_COLLECTOR_ENABLED}: {@code false} turns this off
 *       (default {@code true}), e.g. for an application that builds its collector with
 *       {@link WeftCollector#builder()};
 *   <li>{@value #SEGMENT_PATH_PROPERTY} / {@code WEFT_COLLECTOR_SEGMENT_PATH}: the segment to read,
 *       default {@link WeftCollector#defaultSegmentPath()};
 *   <li>{@code weft.recovery.enabled} / {@code WEFT_RECOVERY_ENABLED}: {@code false} turns off the
 *       start-up recovery of dead processes' segments (default {@code true}, see
 *       {@link WeftCollectorBuilder#setRecoveryEnabled});
 *   <li>{@code weft.collector.close.timeout} / {@code WEFT_COLLECTOR_CLOSE_TIMEOUT}: how long
 *       closing the collector (at the SDK's shutdown or the JVM's exit) may take to export what is
 *       left, default 1 s ({@link WeftCollectorBuilder#setCloseTimeout}).
 * </ul>
 *
 * <p>With {@code otel.traces.exporter=none} no collector is started, and that is logged once. A
 * segment that is refused is logged (the reason and the fix) and does not fail the SDK.
 */
public final class WeftAutoConfigurationCustomizerProvider
    implements AutoConfigurationCustomizerProvider {
  private static final Logger logger =
      Logger.getLogger(WeftAutoConfigurationCustomizerProvider.class.getName());

  /** Turns the collector on or off: {@value}, default true. */
  public static final String ENABLED_PROPERTY = "weft.collector.enabled";
  /** The segment the collector reads: {@value}. */
  public static final String SEGMENT_PATH_PROPERTY = "weft.collector.segment.path";

  private static final AtomicReference<WeftCollector> latest = new AtomicReference<>();

  /**
   * The collector the most recently autoconfigured SDK started, until that SDK shuts down; empty
   * if none is running (disabled, nothing to export to, or shut down).
   */
  public static Optional<WeftCollector> collector() {
    return Optional.ofNullable(latest.get());
  }

  /** Runs last, so that the Resource it sees is the one every other customizer has made. */
  @Override
  public int order() {
    return Integer.MAX_VALUE;
  }

  @Override
  public void customize(AutoConfigurationCustomizer autoConfiguration) {
    Installation installation = new Installation();
    autoConfiguration.addPropertiesCustomizer(config -> {
      // as early as autoconfiguration gets: before the SDK (and usually the application) uses
      // the context storage, which the wrapper must be added before
      if (enabled(config) && config.getBoolean(Weft.THREAD_CONTEXT_PROPERTY,
          Weft.DEFAULT_THREAD_CONTEXT)) {
        Weft.publishThreadContext();
      }
      return Collections.emptyMap();
    });
    autoConfiguration.addResourceCustomizer((resource, config) -> {
      installation.resource = resource;
      return resource;
    });
    autoConfiguration.addSpanExporterCustomizer((exporter, config) ->
        enabled(config) ? installation.share(exporter) : exporter);
    autoConfiguration.addTracerProviderCustomizer((builder, config) -> {
      if (enabled(config)) {
        installation.start(config);
        // JVM spans on libweft's clock: native children never appear outside their JVM parent
        builder.setClock(WeftClock.getInstance());
      }
      return builder;
    });
  }

  private static boolean enabled(ConfigProperties config) {
    return config.getBoolean(ENABLED_PROPERTY, true);
  }

  /** One SDK's collector: its exporters, its Resource, and the collector once started. */
  private static final class Installation {
    private final Object lock = new Object();
    @Nullable volatile Resource resource;
    @GuardedBy("lock")
    private final List<SpanExporter> exporters = new ArrayList<>();
    @GuardedBy("lock")
    @Nullable private WeftCollector collector;

    SpanExporter share(SpanExporter exporter) {
      synchronized (lock) {
        exporters.add(exporter);
      }
      return new CollectorFirstSpanExporter(exporter, this::closeCollector);
    }

    void start(ConfigProperties config) {
      List<SpanExporter> targets;
      synchronized (lock) {
        targets = new ArrayList<>(exporters);
      }
      if (targets.isEmpty()) {
        logger.info("weft: otel.traces.exporter=none, so no native spans are collected (set"
            + " otel.traces.exporter, or " + ENABLED_PROPERTY + "=false to silence this)");
        return;
      }
      Resource spanResource = resource != null ? resource : Resource.getDefault();
      WeftCollectorBuilder builder = WeftCollector.builder()
          .setSpanExporter(targets.size() == 1 ? targets.get(0) : SpanExporter.composite(targets))
          .setResource(spanResource)
          .setRecoveryEnabled(config.getBoolean(WeftCollectorBuilder.RECOVERY_ENABLED_PROPERTY,
              true))
          .setCloseTimeout(config.getDuration(WeftCollectorBuilder.CLOSE_TIMEOUT_PROPERTY,
              Duration.ofMillis(WeftCollectorBuilder.DEFAULT_CLOSE_TIMEOUT_MILLIS)));
      String segment = config.getString(SEGMENT_PATH_PROPERTY, "").trim();
      if (!segment.isEmpty()) {
        builder.setSegmentPath(Path.of(segment));
      }
      WeftCollector started;
      try {
        started = builder.build();
      } catch (RuntimeException e) {
        logger.log(Level.WARNING, "weft: native spans are not collected: " + e.getMessage(), e);
        return;
      }
      synchronized (lock) {
        collector = started;
      }
      latest.set(started);
      logger.log(Level.FINE, "weft: collecting native spans from {0} through {1}",
          new Object[] {started.segmentPath(), targets});
    }

    /** Closes the collector (waiting for a close in progress); the first exporter shutdown does. */
    void closeCollector() {
      WeftCollector toClose;
      synchronized (lock) {
        toClose = collector;
      }
      if (toClose != null) {
        toClose.close();
        latest.compareAndSet(toClose, null);
      }
    }
  }
}
