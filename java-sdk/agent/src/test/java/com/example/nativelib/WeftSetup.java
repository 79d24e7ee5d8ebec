package com.example.nativelib;

import dev.weft.WeftCollector;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;

/**
 * The one piece of Weft code of the app-built-SDK mode: the collector that exports the native
 * spans through the application's exporter with its Resource. (The native calls themselves have
 * no Weft code: the agent stitches them.) Kept apart so that the modes without weft-java-sdk on
 * the class path never load it.
 */
final class WeftSetup {
  private WeftSetup() {}

  static AutoCloseable collector(SpanExporter exporter, Resource resource) {
    WeftCollector collector = WeftCollector.builder()
        .setSpanExporter(exporter)
        .setResource(resource)
        .setScheduleDelay(Duration.ofMillis(50))
        .setSegmentPollInterval(Duration.ofMillis(20))
        .setRegisterShutdownHook(false)
        .build();
    return collector;
  }
}
