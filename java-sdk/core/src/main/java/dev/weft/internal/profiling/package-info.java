/**
 * What profilers and other out-of-process readers see of the JVM (docs/architecture.md
 * "Profilers"): the JVM's current span of each platform thread in the OpenTelemetry thread
 * context (OTEP 4947, {@link dev.weft.internal.profiling.ThreadContextStorage}), and the JVM's
 * Resource in the process context (OTEP 4719, {@link
 * dev.weft.internal.profiling.ProcessContextPublisher}). Not API.
 */
@ParametersAreNonnullByDefault
package dev.weft.internal.profiling;

import javax.annotation.ParametersAreNonnullByDefault;
