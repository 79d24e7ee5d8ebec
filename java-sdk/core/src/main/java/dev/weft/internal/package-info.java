/**
 * The Weft collector engine: the collector thread, its idle strategy, its own counters and
 * their self-metrics. The parts it drives are in sub-packages by concern: {@code segment}
 * (reading the mapped segment), {@code decode} (records to {@code SpanData}), {@code export}
 * (batching and sending) and {@code jni} (the native library).
 *
 * <p>This package is internal and is not an API: its classes can change or disappear in any
 * release. Use {@link dev.weft.WeftCollector} instead.
 */
@ParametersAreNonnullByDefault
package dev.weft.internal;

import javax.annotation.ParametersAreNonnullByDefault;
