/**
 * Implementation of the Weft collector: the segment reader, the record decoder, the collector
 * thread and the export pipeline.
 *
 * <p>This package is internal and is not an API: its classes can change or disappear in any
 * release. Use {@link dev.weft.WeftCollector} instead.
 */
@ParametersAreNonnullByDefault
package dev.weft.internal;

import javax.annotation.ParametersAreNonnullByDefault;
