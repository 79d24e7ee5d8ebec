/**
 * Exporting the decoded spans: the batching export pipeline, the exporter
 * auto-configuration, and the Netty-based gRPC sender (with its non-blocking transport check)
 * that the OTLP exporter uses.
 *
 * <p>This package is internal and is not an API: its classes can change or disappear in any
 * release. Use {@link dev.weft.WeftCollector} instead.
 */
@ParametersAreNonnullByDefault
package dev.weft.internal.export;

import javax.annotation.ParametersAreNonnullByDefault;
