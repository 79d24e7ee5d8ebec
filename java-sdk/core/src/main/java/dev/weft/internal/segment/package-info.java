/**
 * Reading the mapped shared-memory segment (docs/shm-abi.md): the ABI constants, the
 * validated mapping, the scope table, the ring drainer, the native counters, the frames of open
 * spans for the post-mortem view, the creator-liveness check and the lease (one collector per segment).
 *
 * <p>This package is internal and is not an API: its classes can change or disappear in any
 * release. Use {@link dev.weft.WeftCollector} instead.
 */
@ParametersAreNonnullByDefault
package dev.weft.internal.segment;

import javax.annotation.ParametersAreNonnullByDefault;
