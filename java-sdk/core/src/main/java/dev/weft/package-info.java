/**
 * Weft's Java side: {@link dev.weft.WeftCollector} drains the spans that native code records in
 * the shared-memory segment and exports them through the OpenTelemetry Java SDK;
 * {@link dev.weft.WeftSegmentSnapshot} reads a segment post mortem.
 */
@ParametersAreNonnullByDefault
package dev.weft;

import javax.annotation.ParametersAreNonnullByDefault;
