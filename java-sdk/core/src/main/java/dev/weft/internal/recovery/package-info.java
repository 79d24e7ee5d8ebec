/**
 * Crash recovery: exports what a dead process left in its segment (the finished spans never
 * drained and the spans open in its frames, marked as ended by the process's death) under that
 * process's own Resource, then marks the segment RECOVERED and removes it (docs/architecture.md
 * "Crash recovery").
 */
@javax.annotation.ParametersAreNonnullByDefault
package dev.weft.internal.recovery;
