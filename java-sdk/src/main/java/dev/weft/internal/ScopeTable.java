package dev.weft.internal;

import io.opentelemetry.sdk.common.InstrumentationScopeInfo;

/**
 * The segment's instrumentation scopes, read as they are registered. A record whose
 * {@code scope_index} is not (yet) registered gets {@link #UNKNOWN}: the ABI lists the index
 * bound as a field note, not as a reader check, so the span is kept.
 */
final class ScopeTable {
  static final InstrumentationScopeInfo UNKNOWN = InstrumentationScopeInfo.create("weft.unknown");

  private final InstrumentationScopeInfo[] scopes = new InstrumentationScopeInfo[Abi.MAX_SCOPES];
  private int count;

  /** Reads entries registered since the last call; cheap when nothing changed. */
  void refresh(Segment segment) {
    int published = segment.scopeCountAcquire();
    int limit = published < 0 || published > Abi.MAX_SCOPES ? Abi.MAX_SCOPES : published;
    for (int i = count; i < limit; i++) {
      String name = segment.scopeName(i);
      String version = segment.scopeVersion(i);
      var builder = InstrumentationScopeInfo.builder(name.isEmpty() ? UNKNOWN.getName() : name);
      if (!version.isEmpty()) {
        builder.setVersion(version);
      }
      scopes[i] = builder.build();
    }
    if (limit > count) {
      count = limit;
    }
  }

  InstrumentationScopeInfo get(int index) {
    return index < count ? scopes[index] : UNKNOWN;
  }

  int size() {
    return count;
  }
}
